import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobKeys, TenantKeys } from '../../../shared/adapters/dynamodb/keys.js';
import { apiCall, TEST_JWT_SECRET, tokenFor } from '../../support/admin-api-client.js';
import { startHarness, type HostHarness } from '../../support/host-harness.js';

/*
 * A corrupt stored item is the service's fault, not the caller's: through the admin API it is an
 * opaque 500 (logged with the item's key), never the 400 a raw ZodError used to become.
 */

let h: HostHarness;
const TENANT = 'tenant-corrupt';

beforeAll(async () => {
  h = await startHarness('admin-api-corrupt', { only: [], http: { port: 0, auth: { secret: TEST_JWT_SECRET } } });
});

afterAll(async () => {
  await h?.close();
});

const put = (item: Record<string, unknown>) => h.dynamo.client.send(new PutCommand({ TableName: h.dynamo.tableName, Item: item }));

const OPAQUE_500 = { status: 500, error: 'InternalError', message: 'internal error; it was logged', messages: ['internal error; it was logged'] };

describe('a corrupt stored item through the admin API', () => {
  it('a configuration item without its configuration: 500, not 400', async () => {
    await put({ ...TenantKeys.config(TENANT), tenant: TENANT, version: 1 });
    const answer = await apiCall(h, 'GET', '/configuration/native', { token: tokenFor(TENANT, 'PROJECT_ADMIN') });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual(OPAQUE_500);
    const logged = h.logger.entries.find((entry) => entry.level === 'error' && JSON.stringify(entry).includes('CorruptItemError'));
    expect(JSON.stringify(logged)).toContain(TenantKeys.config(TENANT).pk);
  });

  it('a job item that does not validate: 500', async () => {
    await put({ ...JobKeys.job(TENANT, 'j-broken'), version: 1, job: { id: 'j-broken', status: 'SOMEWHERE' } });
    const answer = await apiCall(h, 'GET', '/jobs/j-broken', { token: tokenFor(TENANT, 'EXPLOIT') });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual(OPAQUE_500);
  });
});
