import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConfigStore } from '../../../shared/adapters/dynamodb/dynamo-config-store.js';
import { DynamoCounterStore } from '../../../shared/adapters/dynamodb/dynamo-counter-store.js';
import { DynamoJobStore } from '../../../shared/adapters/dynamodb/dynamo-job-store.js';
import { DynamoRequestStore } from '../../../shared/adapters/dynamodb/dynamo-request-store.js';
import { DynamoWorkerRegistry } from '../../../shared/adapters/dynamodb/dynamo-worker-registry.js';
import { CounterKeys, JobKeys, RequestKeys, TenantKeys, WorkerKeys } from '../../../shared/adapters/dynamodb/keys.js';
import { requestToItem } from '../../../shared/adapters/dynamodb/request-item.js';
import { CorruptItemError } from '../../../shared/adapters/dynamodb/stored-item.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { searchOf } from '../../support/store-contract/request-search-contract.js';
import { makeRequest, uniqueTenant } from '../../support/store-contract/requests.js';

/*
 * A stored item that does not parse is never a raw ZodError (the admin API would answer it as the
 * caller's bad input, a 400): every reader throws CorruptItemError naming the item's key, with the
 * zod error as its cause.
 */

let fixture: DynaliteFixture;
beforeAll(async () => {
  fixture = await startDynalite();
});
afterAll(async () => {
  await fixture.close();
});

const put = (item: Record<string, unknown>, tableName = fixture.tableName) => fixture.client.send(new PutCommand({ TableName: tableName, Item: item }));

async function corruption(read: () => Promise<unknown>, key: { pk: string; sk: string }): Promise<CorruptItemError> {
  const error = await read().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CorruptItemError);
  const corrupt = error as CorruptItemError;
  expect(corrupt.key).toBe(JSON.stringify([key.pk, key.sk]));
  expect(corrupt.message).toContain(key.pk);
  expect(corrupt.statusCode).toBe(500);
  expect(corrupt.cause).toBeInstanceOf(Error);
  expect((corrupt.cause as Error).name).toBe('ZodError');
  return corrupt;
}

describe('corrupt stored items on dynalite', () => {
  it('a request item', async () => {
    const tenant = uniqueTenant();
    const key = RequestKeys.primary(tenant, 'broken');
    await put({ ...key, tenant, requestId: 'broken', status: 'WHATEVER', version: 'one' });
    await corruption(() => new DynamoRequestStore(fixture.client, fixture.tableName).getAll(tenant, ['broken']), key);
  });

  it('a request entry of the status index read by a search', async () => {
    const tenant = uniqueTenant();
    const request = makeRequest(tenant, 'half-broken', { status: 'ERROR' });
    const key = RequestKeys.primary(tenant, request.requestId);
    await put({ ...requestToItem(request), attempt: 'many' });
    await corruption(() => new DynamoRequestStore(fixture.client, fixture.tableName).search(tenant, searchOf({}), { limit: 5 }), key);
  });

  it('a configuration item without its configuration', async () => {
    const tenant = uniqueTenant();
    const key = TenantKeys.config(tenant);
    // Before: ConfigItemSchema.parse threw a raw ZodError here.
    await put({ ...key, tenant, version: 1 });
    const error = await corruption(() => new DynamoConfigStore(fixture.client, fixture.tableName).get(tenant), key);
    expect(error.message).toContain(tenant);
  });

  it('a job item without its job, and a job that does not validate', async () => {
    const tenant = uniqueTenant();
    const store = new DynamoJobStore(fixture.client, fixture.tableName);
    const missing = JobKeys.job(tenant, 'j-missing');
    await put({ ...missing, version: 1 });
    await corruption(() => store.get(tenant, 'j-missing'), missing);
    const invalid = JobKeys.job(tenant, 'j-invalid');
    await put({ ...invalid, version: 1, job: { id: 'j-invalid', status: 'SOMEWHERE' } });
    await corruption(() => store.get(tenant, 'j-invalid'), invalid);
  });

  it('a counter item', async () => {
    const tenant = uniqueTenant();
    const key = CounterKeys.session(tenant, 'source-1', 'session-1');
    await put({ ...key, tenant, source: 42, session: 'session-1' });
    await corruption(() => new DynamoCounterStore(fixture.client, fixture.tableName).get(tenant, 'source-1', 'session-1'), key);
  });

  it('a worker type item', async () => {
    const tableName = await fixture.newTable();
    const key = WorkerKeys.type('extract-worker');
    await put({ ...key, workerType: 'extract-worker', lastBeatAt: 'yesterday', aliveUntil: 'tomorrow' }, tableName);
    await corruption(() => new DynamoWorkerRegistry(fixture.client, tableName).aliveWorkerTypes(new Date()), key);
  });
});
