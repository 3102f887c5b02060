import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, TEST_JWT_SECRET, tokenFor, type CallOptions } from '../../support/admin-api-client.js';
import { startHarness, type HostHarness } from '../../support/host-harness.js';

/*
 * An identifier over its limit is the caller's mistake, refused at the door with a 400 naming the
 * field: it never reaches DynamoDB, whose ValidationException on an oversize key would otherwise
 * come back as a store error (500 or 503) blaming the service.
 */

let h: HostHarness;
const TENANT = 'tenant-oversize';
const LONG = 'x'.repeat(2_000);

beforeAll(async () => {
  h = await startHarness('admin-api-oversize', { only: [], http: { port: 0, auth: { secret: TEST_JWT_SECRET } } });
});

afterAll(async () => {
  await h?.close();
});

const CASES: { name: string; method: string; path: string; field: string; options?: CallOptions; role?: string; tenant?: string }[] = [
  { name: 'a request id in the path', method: 'GET', path: `/requests/${LONG}`, field: 'path.requestId' },
  { name: 'a job id in the path', method: 'GET', path: `/jobs/${LONG}`, field: 'path.jobId' },
  { name: 'a job id to resume', method: 'POST', path: `/jobs/${LONG}/resume`, field: 'path.jobId' },
  { name: 'a session to search', method: 'POST', path: '/requests', field: 'body.session', options: { body: { session: LONG } } },
  { name: 'a source to search', method: 'POST', path: '/requests', field: 'body.source', options: { body: { source: LONG } } },
  { name: 'a worker type to search', method: 'POST', path: '/requests', field: 'body.dispatchedWorkerType', options: { body: { dispatchedWorkerType: LONG } } },
  {
    name: 'a content type to search',
    method: 'POST',
    path: '/requests',
    field: 'body.contentTypes.values[0]',
    options: { body: { contentTypes: { mode: 'INCLUDE', values: [LONG] } } },
  },
  { name: 'a session to retry', method: 'POST', path: '/requests/retry', field: 'body.session', options: { body: { session: LONG } } },
  { name: 'a counters source', method: 'GET', path: `/sessions/counters?source=${LONG}&session=s`, field: 'query.source' },
  { name: 'a counters session', method: 'GET', path: `/sessions/counters?source=s&session=${LONG}`, field: 'query.session' },
  { name: 'a content type of the workers query', method: 'GET', path: `/workers?contentTypes=${LONG}`, field: 'query.contentTypes[0]' },
  {
    name: 'a tenant named by an instance administrator',
    method: 'GET',
    path: '/workers',
    field: 'tenant',
    role: 'INSTANCE_ADMIN',
    options: { headers: { 'x-tenant': LONG } },
  },
  { name: 'a tenant in the token', method: 'GET', path: '/workers', field: 'tenant', tenant: LONG },
];

describe('an oversize identifier through the admin API', () => {
  it.each(CASES)('$name: 400 naming $field', async ({ method, path, field, options, role, tenant }) => {
    const answer = await apiCall(h, method, path, { token: tokenFor(tenant ?? TENANT, role ?? 'ADMIN'), ...options });
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body.issues).toContainEqual(expect.objectContaining({ path: field }));
  });

  it('an identifier at its limit still reaches the store (404, not 400)', async () => {
    const answer = await apiCall(h, 'GET', `/requests/${'x'.repeat(255)}`, { token: tokenFor(TENANT, 'ADMIN') });
    expect(answer.status).toBe(404);
  });
});
