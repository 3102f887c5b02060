import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRoutes } from '../../../functions/admin-api/routes.js';
import { REGARDS_CONFIG_KEYS } from '../../../shared/contract/config-file.js';
import { signToken } from '../../../shared/lambda/auth.js';
import { apiCall, multipartFile, TEST_JWT_SECRET, tokenFor, type CallOptions } from '../../support/admin-api-client.js';
import { startHarness, type HostHarness } from '../../support/host-harness.js';
import { makeRequest } from '../../support/store-contract/requests.js';

/*
 * Every admin API endpoint through the local host's HTTP server (real RabbitMQ, dynalite, HS256
 * tokens): valid and invalid input, roles, tenant isolation, and the 401 cases.
 */

let h: HostHarness;
const A = 'tenant-a';
const B = 'tenant-b';

const workerItem = (workerType: string, contentTypeInputs: string[]) => ({ key: REGARDS_CONFIG_KEYS.worker, value: { workerType, contentTypeInputs } });
const regardsFile = (configuration: unknown[], resetBeforeImport = true) => ({
  microservice: 'rs-worker-manager',
  modules: [{ module: { id: 'workermanager' }, resetBeforeImport, configuration }],
});

/** Every protected endpoint, with the least role that may call it and a call that is valid for it. */
const ENDPOINTS: { name: string; role: string; method: string; path: string; options?: CallOptions }[] = [
  { name: 'search', role: 'EXPLOIT', method: 'POST', path: '/requests', options: { body: {} } },
  { name: 'get request', role: 'EXPLOIT', method: 'GET', path: '/requests/a-error-1' },
  { name: 'retry', role: 'EXPLOIT', method: 'POST', path: '/requests/retry', options: { body: { source: 'nobody-matches' } } },
  { name: 'delete', role: 'ADMIN', method: 'DELETE', path: '/requests/delete', options: { body: { source: 'nobody-matches' } } },
  { name: 'workers', role: 'EXPLOIT', method: 'GET', path: '/workers' },
  { name: 'counters', role: 'EXPLOIT', method: 'GET', path: '/sessions/counters?source=owner-1&session=session-1' },
  { name: 'jobs', role: 'EXPLOIT', method: 'GET', path: '/jobs' },
  { name: 'job', role: 'EXPLOIT', method: 'GET', path: '/jobs/unknown-job' },
  { name: 'resume', role: 'EXPLOIT', method: 'POST', path: '/jobs/unknown-job/resume' },
  { name: 'export', role: 'PROJECT_ADMIN', method: 'GET', path: '/microservice/configuration' },
  {
    name: 'import',
    role: 'PROJECT_ADMIN',
    method: 'POST',
    path: '/microservice/configuration',
    options: { body: regardsFile([workerItem('extract-worker', ['to-extract'])]) },
  },
  { name: 'native export', role: 'PROJECT_ADMIN', method: 'GET', path: '/configuration/native' },
  {
    name: 'native import',
    role: 'PROJECT_ADMIN',
    method: 'PUT',
    path: '/configuration/native',
    options: { body: { format: 'worker-manager/v1', resetBeforeImport: true, workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] } },
  },
  { name: 'settings', role: 'ADMIN', method: 'GET', path: '/settings' },
  { name: 'put setting', role: 'ADMIN', method: 'PUT', path: '/settings/skipContentTypes', options: { body: { name: 'skipContentTypes', value: [] } } },
  { name: 'reset setting', role: 'ADMIN', method: 'DELETE', path: '/settings/skipContentTypes' },
  { name: 'declare tenant', role: 'INSTANCE_ADMIN', method: 'PUT', path: '/tenants/tenant-declared-by-roles' },
  { name: 'dead letters', role: 'INSTANCE_ADMIN', method: 'GET', path: '/dead-letters?limit=5' },
  // Not a dead-letter queue: an INSTANCE_ADMIN gets 404 and nothing moves; a tenant role is refused before that.
  { name: 'redrive dead letters', role: 'INSTANCE_ADMIN', method: 'POST', path: '/dead-letters/not-a-dlq/redrive', options: { body: { limit: 1 } } },
];
const BELOW: Record<string, string> = { EXPLOIT: 'REGISTERED_USER', ADMIN: 'EXPLOIT', PROJECT_ADMIN: 'ADMIN', INSTANCE_ADMIN: 'PROJECT_ADMIN' };

const call = (method: string, path: string, options: CallOptions = {}) => apiCall(h, method, path, options);
const as = (tenant: string, role: string) => tokenFor(tenant, role);

beforeAll(async () => {
  h = await startHarness('admin-api-endpoints', { only: [], http: { port: 0, auth: { secret: TEST_JWT_SECRET } } });
  h.rabbit.trackWorkerType('extract-worker');
  for (const tenant of [A, B]) {
    const imported = await call('POST', '/microservice/configuration', {
      token: as(tenant, 'PROJECT_ADMIN'),
      body: regardsFile([workerItem('extract-worker', ['to-extract'])]),
    });
    expect(imported.status).toBe(201);
  }
  const prefix = (tenant: string) => tenant.slice(-1);
  await h.services.requests.insertAll(
    [A, B].flatMap((tenant) => [
      makeRequest(tenant, `${prefix(tenant)}-error-1`, { status: 'ERROR', error: 'boom', contentType: 'to-extract', creationDate: '2026-01-01T00:00:01.000Z' }),
      makeRequest(tenant, `${prefix(tenant)}-running-1`, {
        status: 'RUNNING',
        contentType: 'to-extract',
        creationDate: '2026-01-01T00:00:02.000Z',
        deadline: '2026-01-02T00:00:00.000Z',
      }),
      makeRequest(tenant, `${prefix(tenant)}-waiting-1`, {
        status: 'NO_WORKER_AVAILABLE',
        dispatchedWorkerType: null,
        contentType: 'other',
        creationDate: '2026-01-01T00:00:03.000Z',
      }),
    ]),
  );
  await h.services.counters.apply([{ tenant: A, source: 'owner-1', session: 'session-1', property: 'workers.requests', delta: 3 }]);
});

afterAll(async () => {
  await h?.close();
});

describe('service endpoints (no token)', () => {
  it('GET /health answers UP with the store and the broker checked', async () => {
    const answer = await call('GET', '/health');
    expect(answer).toMatchObject({ status: 200, body: { status: 'UP', checks: { store: { status: 'UP' }, broker: { status: 'UP' } } } });
  });

  it('GET /openapi.json is a JSON OpenAPI 3.1 document listing every route with its role', async () => {
    const answer = await call('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('application/json');
    const document = JSON.parse(answer.text) as { openapi: string; paths: Record<string, Record<string, { 'x-required-role': string }>> };
    expect(document.openapi).toBe('3.1.0');
    const routes = adminRoutes(h.host.adminApi!.services);
    for (const route of routes) {
      expect(document.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toMatchObject({
        'x-required-role': route.access === 'public' ? 'none' : route.access,
      });
    }
    expect(Object.values(document.paths).flatMap((methods) => Object.keys(methods))).toHaveLength(routes.length);
  });

  it('answers 404 for an unknown path and 405 with Allow for a wrong method', async () => {
    expect((await call('GET', '/nothing', { token: as(A, 'ADMIN') })).status).toBe(404);
    const wrong = await call('GET', '/requests/retry', { token: as(A, 'ADMIN') });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});

describe('authentication and roles on every endpoint', () => {
  const expired = tokenFor(A, 'INSTANCE_ADMIN', { exp: Math.floor(Date.now() / 1000) - 3600 });
  const badSignature = signToken('another-secret-of-at-least-32-characters', { tenant: A, role: 'INSTANCE_ADMIN' });
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ tenant: A, role: 'INSTANCE_ADMIN', exp: Math.floor(Date.now() / 1000) + 600 })}.`;

  it.each(ENDPOINTS)('$name: 401 without a token, expired, badly signed or alg none', async ({ method, path, options }) => {
    for (const token of [undefined, expired, badSignature, algNone, 'garbage']) {
      const answer = await call(method, path, { ...options, token });
      expect(answer.status, `token ${token?.slice(0, 12)}`).toBe(401);
      expect(answer.body).toMatchObject({ error: 'UnauthenticatedError' });
      expect(answer.text).not.toMatch(/at .*\.ts:\d+/);
    }
  });

  it.each(ENDPOINTS)('$name: 403 below $role, allowed from $role up', async ({ role, method, path, options }) => {
    const below = await call(method, path, { ...options, token: as(A, BELOW[role]!) });
    expect(below.status).toBe(403);
    expect(below.body).toMatchObject({ error: 'ForbiddenError' });
    for (const allowed of [role, 'INSTANCE_ADMIN']) {
      const answer = await call(method, path, {
        ...options,
        token: allowed === 'INSTANCE_ADMIN' ? tokenFor(undefined, allowed) : as(A, allowed),
        headers: allowed === 'INSTANCE_ADMIN' ? { 'x-tenant': A } : {},
      });
      expect([401, 403], `${allowed} on ${method} ${path}: ${answer.text}`).not.toContain(answer.status);
      expect(answer.status).toBeLessThan(500);
    }
  });

  it.each(ENDPOINTS)('$name: 403 when a tenant token names another tenant', async ({ method, path, options }) => {
    expect((await call(method, path, { ...options, token: as(B, 'PROJECT_ADMIN'), headers: { 'x-tenant': A } })).status).toBe(403);
    expect((await call(method, `${path}${path.includes('?') ? '&' : '?'}tenant=${A}`, { ...options, token: as(B, 'PROJECT_ADMIN') })).status).toBe(403);
  });
});

describe('tenant declaration', () => {
  it('PUT /tenants/{tenant} declares a tenant once (201, then 200), which the sweeper and intake then know', async () => {
    const admin = tokenFor(undefined, 'INSTANCE_ADMIN');
    const headers = { 'x-tenant': A };
    const first = await call('PUT', '/tenants/tenant-fresh', { token: admin, headers });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ tenant: 'tenant-fresh', created: true, configured: false });
    const again = await call('PUT', '/tenants/tenant-fresh', { token: admin, headers });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false });
    expect(await h.services.configStore.isDeclared('tenant-fresh')).toBe(true);
    expect((await call('PUT', '/tenants/configured-one', { token: admin, headers })).status).toBe(201);
    expect((await call('PUT', `/tenants/${A}`, { token: admin, headers })).body).toMatchObject({ created: false, configured: true });
  });

  it('refuses an oversize tenant name with 400 and declares nothing', async () => {
    const long = 'x'.repeat(1000);
    const answer = await call('PUT', `/tenants/${long}`, { token: tokenFor(undefined, 'INSTANCE_ADMIN'), headers: { 'x-tenant': A } });
    expect(answer.status).toBe(400);
    expect(await h.services.configStore.isDeclared(long)).toBe(false);
  });
});

describe('tenant isolation', () => {
  it('a tenant-B token never reads tenant-A requests, jobs, counters or configuration', async () => {
    const tokenB = as(B, 'PROJECT_ADMIN');
    const search = await call('POST', '/requests?size=100', { token: tokenB, body: {} });
    expect(search.status).toBe(200);
    expect(search.body.content.map((entry: { content: { requestId: string } }) => entry.content.requestId).sort()).toEqual([
      'b-error-1',
      'b-running-1',
      'b-waiting-1',
    ]);
    expect((await call('GET', '/requests/a-error-1', { token: tokenB })).status).toBe(404);
    const jobA = await call('POST', '/requests/retry', { token: as(A, 'EXPLOIT'), body: { source: 'nobody' } });
    expect(jobA.status).toBe(202);
    expect((await call('GET', `/jobs/${jobA.body.id}`, { token: tokenB })).status).toBe(404);
    expect((await call('POST', `/jobs/${jobA.body.id}/resume`, { token: tokenB })).status).toBe(404);
    expect((await call('GET', '/jobs', { token: tokenB })).body.content.map((job: { id: string }) => job.id)).not.toContain(jobA.body.id);
    expect((await call('GET', '/sessions/counters?source=owner-1&session=session-1', { token: tokenB })).body.values).toEqual({});
    expect((await call('GET', '/sessions/counters?source=owner-1&session=session-1', { token: as(A, 'EXPLOIT') })).body.values).toEqual({
      'workers.requests': 3,
    });
  });

  it('a tenant-B token never changes tenant-A data: retry, delete, settings, configuration', async () => {
    const tokenB = as(B, 'PROJECT_ADMIN');
    const configA = (await call('GET', '/configuration/native', { token: as(A, 'PROJECT_ADMIN') })).body;
    const deleted = await call('DELETE', '/requests/delete', { token: tokenB, body: {} });
    expect(deleted.status).toBe(202);
    await h.host.adminApi!.jobs.idle();
    expect((await call('GET', `/jobs/${deleted.body.id}`, { token: tokenB })).body).toMatchObject({ status: 'DONE', succeeded: 2 });
    expect([...(await h.services.requests.getAll(A, ['a-error-1', 'a-waiting-1'])).keys()].sort()).toEqual(['a-error-1', 'a-waiting-1']);
    expect([...(await h.services.requests.getAll(B, ['b-error-1', 'b-waiting-1', 'b-running-1'])).keys()]).toEqual(['b-running-1']);
    expect((await call('PUT', '/settings/skipContentTypes', { token: tokenB, body: { value: ['skipped-in-b'] } })).status).toBe(200);
    expect(
      (await call('PUT', '/configuration/native', { token: tokenB, body: { format: 'worker-manager/v1', resetBeforeImport: true, workers: [] } })).status,
    ).toBe(200);
    expect((await call('GET', '/configuration/native', { token: as(A, 'PROJECT_ADMIN') })).body).toEqual(configA);
    // Put tenant B back as the other tests expect it.
    await h.services.requests.insertAll([
      makeRequest(B, 'b-error-1', { status: 'ERROR', error: 'boom', contentType: 'to-extract', creationDate: '2026-01-01T00:00:01.000Z' }),
      makeRequest(B, 'b-waiting-1', {
        status: 'NO_WORKER_AVAILABLE',
        dispatchedWorkerType: null,
        contentType: 'other',
        creationDate: '2026-01-01T00:00:03.000Z',
      }),
    ]);
  });
});

describe('requests', () => {
  const exploit = () => as(A, 'EXPLOIT');

  it('POST /requests: a REGARDS paged model with links (retry/delete only on blocked requests)', async () => {
    const answer = await call('POST', '/requests?page=0&size=2&sort=creationDate,ASC', { token: exploit(), body: {} });
    expect(answer.status).toBe(200);
    expect(answer.body.metadata).toEqual({ size: 2, totalElements: 3, totalPages: 2, number: 0 });
    expect(answer.body.totalElementsExact).toBe(true);
    const [first, second] = answer.body.content;
    expect(first.content).toMatchObject({
      requestId: 'a-error-1',
      status: 'ERROR',
      error: 'boom',
      contentType: 'to-extract',
      source: 'owner-1',
      session: 'session-1',
      id: expect.any(Number),
    });
    expect(Object.keys(first.content).sort()).toEqual([
      'contentType',
      'creationDate',
      'dispatchedWorkerType',
      'error',
      'id',
      'requestId',
      'session',
      'source',
      'status',
    ]);
    expect(first.links.map((link: { rel: string }) => link.rel)).toEqual(['self', 'list', 'retry', 'delete']);
    expect(first.links[0].href).toBe(`${h.host.adminApi!.url}/requests/a-error-1`);
    expect(second.links.map((link: { rel: string }) => link.rel)).toEqual(['self', 'list']);
    expect(answer.body.links.map((link: { rel: string }) => link.rel)).toEqual(['self', 'next']);
    const next = await call('POST', `/requests?size=2&cursor=${answer.body.nextCursor}`, { token: exploit(), body: {} });
    expect(next.body.content.map((entry: { content: { requestId: string } }) => entry.content.requestId)).toEqual(['a-waiting-1']);
    expect(next.body.metadata).toMatchObject({ number: 1, totalElements: 3 });
    expect(next.body.nextCursor).toBeUndefined();
  });

  it('POST /requests: filters, descending order, and REGARDS default sort read as creation order', async () => {
    const errors = await call('POST', '/requests', {
      token: exploit(),
      body: {
        statuses: { mode: 'INCLUDE', values: ['ERROR', 'NO_WORKER_AVAILABLE'] },
        contentTypes: { mode: 'INCLUDE', values: ['TO-'], matchMode: 'STARTS_WITH', ignoreCase: true },
      },
    });
    expect(errors.body.content.map((entry: { content: { requestId: string } }) => entry.content.requestId)).toEqual(['a-error-1']);
    const desc = await call('POST', '/requests?sort=creationDate,DESC', { token: exploit(), body: {} });
    expect(desc.body.content.map((entry: { content: { requestId: string } }) => entry.content.requestId)).toEqual(['a-waiting-1', 'a-running-1', 'a-error-1']);
    const regardsDefault = await call('POST', '/requests?sort=requestId,ASC', { token: exploit(), body: {} });
    expect(regardsDefault.body.content[0].content.requestId).toBe('a-error-1');
  });

  it('POST /requests: ignores unknown filter fields as REGARDS does, and names them in a Warning header', async () => {
    const answer = await call('POST', '/requests', { token: exploit(), body: { sourcee: 'x', statuses: { mode: 'INCLUDE', values: ['ERROR'], extra: 1 } } });
    expect(answer.status).toBe(200);
    expect(answer.body.content.map((entry: { content: { requestId: string } }) => entry.content.requestId)).toEqual(['a-error-1']);
    expect(answer.headers.get('warning')).toBe('299 - "unknown fields ignored: sourcee"');
    expect((await call('POST', '/requests', { token: exploit(), body: {} })).headers.get('warning')).toBeNull();
    // A field name is the caller's text: never a broken header.
    const forged = await call('POST', '/requests', { token: exploit(), body: { 'a\r\nX-Injected: 1': 1, 'é"': 2 } });
    expect(forged.status).toBe(200);
    expect(forged.headers.get('warning')).toBe('299 - "unknown fields ignored: a??X-Injected: 1, ??"');
    expect(forged.headers.get('x-injected')).toBeNull();
  });

  it('POST /requests: sorts by status from the index (a cursor walks every status), and by any LightRequest property in memory', async () => {
    const ids = (answer: { body: { content: { content: { requestId: string } }[] } }) => answer.body.content.map((entry) => entry.content.requestId);
    const byStatus = await call('POST', '/requests?sort=status,ASC&sort=creationDate,DESC', { token: exploit(), body: {} });
    expect(ids(byStatus)).toEqual(['a-error-1', 'a-waiting-1', 'a-running-1']);
    expect(ids(await call('POST', '/requests?sort=status,DESC', { token: exploit(), body: {} }))).toEqual(['a-running-1', 'a-waiting-1', 'a-error-1']);
    const walked: string[] = [];
    let page = await call('POST', '/requests?size=1&sort=status', { token: exploit(), body: {} });
    expect(page.body.metadata.totalElements).toBe(3);
    for (;;) {
      walked.push(...ids(page));
      if (page.body.nextCursor === undefined) break;
      page = await call('POST', `/requests?size=1&sort=status&cursor=${page.body.nextCursor}`, { token: exploit(), body: {} });
    }
    expect(walked).toEqual(['a-error-1', 'a-waiting-1', 'a-running-1']);
    expect(ids(await call('POST', '/requests?sort=requestId,DESC', { token: exploit(), body: {} }))).toEqual(['a-waiting-1', 'a-running-1', 'a-error-1']);
    const second = await call('POST', '/requests?sort=requestId,DESC&size=2&page=1', { token: exploit(), body: {} });
    expect(ids(second)).toEqual(['a-error-1']);
    expect(second.body.metadata).toMatchObject({ number: 1, totalElements: 3, totalPages: 2 });
    expect(second.body.links[0].href).toContain('sort=requestId%2CDESC');
  });

  it.each([
    ['INCLUDE with no value', '/requests', { statuses: { mode: 'INCLUDE', values: [] } }, 'body.statuses.values'],
    ['an unknown status', '/requests', { statuses: { mode: 'INCLUDE', values: ['LOST'] } }, 'body.statuses.values[0]'],
    ['a size over 1000', '/requests?size=1001', {}, 'query.size'],
    ['an unsupported sort', '/requests?sort=priority,ASC', {}, 'query.sort'],
    ['an unknown query parameter', '/requests?pages=2', {}, 'query'],
  ])('POST /requests: 400 for %s, with the path', async (_case, path, body, where) => {
    const answer = await call('POST', path, { token: exploit(), body });
    expect(answer.status).toBe(400);
    expect(answer.body.issues.map((issue: { path: string }) => issue.path)).toContain(where);
  });

  it('POST /requests: 400 for a cursor it did not issue or from another filter, and for broken JSON', async () => {
    expect((await call('POST', '/requests?cursor=abc', { token: exploit(), body: {} })).status).toBe(400);
    const first = await call('POST', '/requests?size=1', { token: exploit(), body: {} });
    expect((await call('POST', `/requests?size=1&cursor=${first.body.nextCursor}`, { token: exploit(), body: { source: 'x' } })).body).toMatchObject({
      error: 'InvalidCursorError',
    });
    expect((await call('POST', '/requests', { token: exploit(), raw: '{"source":', contentType: 'application/json' })).status).toBe(400);
  });

  it('GET /requests/{requestId}: the LightRequest with step, attempt, deadline and history; 404 if unknown', async () => {
    const answer = await call('GET', '/requests/a-running-1', { token: exploit() });
    expect(answer.status).toBe(200);
    expect(answer.body.content).toMatchObject({
      requestId: 'a-running-1',
      status: 'RUNNING',
      attempt: 1,
      stepNumber: null,
      stepWorkerType: 'extract',
      deadline: '2026-01-02T00:00:00.000Z',
      history: [expect.objectContaining({ event: 'dispatch' })],
    });
    expect((await call('GET', '/requests/missing', { token: exploit() })).body).toMatchObject({ status: 404, error: 'RequestNotFoundError' });
  });

  it('links and Location stay on the configured URL (the local host: its own) whatever X-Forwarded-Proto and X-Forwarded-Host say', async () => {
    const forged = { 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'evil.example', forwarded: 'host=evil.example;proto=gopher' };
    const search = await call('POST', '/requests?size=1', { token: as(A, 'EXPLOIT'), body: {}, headers: forged });
    expect(search.status).toBe(200);
    expect(search.body.content[0].links[0].href).toMatch(new RegExp(`^${h.host.adminApi!.url}/requests/`));
    const retry = await call('POST', '/requests/retry', { token: as(A, 'EXPLOIT'), body: { source: 'nobody-matches' }, headers: forged });
    expect(retry.headers.get('location')).toBe(`${h.host.adminApi!.url}/jobs/${retry.body.id}`);
  });

  it('POST /requests/retry and DELETE /requests/delete: 202 with the job and its Location; 400 on a bad filter', async () => {
    const retry = await call('POST', '/requests/retry', { token: exploit(), body: { source: 'nobody' } });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ kind: 'retry', status: 'PENDING', requestedBy: 'exploit@tenant-a', filter: { source: 'nobody' } });
    expect(retry.headers.get('location')).toBe(`${h.host.adminApi!.url}/jobs/${retry.body.id}`);
    expect((await call('POST', '/requests/retry', { token: exploit(), body: { ids: { mode: 'INCLUDE', values: [1], matchMode: 'CONTAINS' } } })).status).toBe(
      400,
    );
    expect((await call('DELETE', '/requests/delete', { token: as(A, 'ADMIN'), body: { creationDate: { after: 'yesterday' } } })).status).toBe(400);
  });
});

describe('jobs', () => {
  it('GET /jobs lists newest first; GET /jobs/{id} follows one; 404 unknown; 409 resuming a finished job', async () => {
    const token = as(A, 'ADMIN');
    const job = (await call('DELETE', '/requests/delete', { token, body: { source: 'nobody' } })).body;
    await h.host.adminApi!.jobs.idle();
    const done = await call('GET', `/jobs/${job.id}`, { token });
    expect(done.body).toMatchObject({ id: job.id, kind: 'delete', status: 'DONE', progress: 100, processed: 0, links: [{ rel: 'self' }] });
    expect((await call('GET', '/jobs?limit=1', { token })).body).toMatchObject({ content: [{ id: job.id }], nextCursor: expect.any(String) });
    expect((await call('GET', '/jobs?limit=0', { token })).status).toBe(400);
    expect((await call('POST', `/jobs/${job.id}/resume`, { token })).status).toBe(409);
    expect((await call('POST', `/jobs/${job.id}/resume`, { token: as(A, 'EXPLOIT') })).status).toBe(403);
  });
});

describe('workers and counters', () => {
  it('GET /workers lists alive types, filtered by the content types they serve in the tenant', async () => {
    const now = new Date();
    await h.services.registry.record(
      [
        { workerType: 'extract-worker', instanceId: 'i-1', receivedAt: now, reportedAt: now },
        { workerType: 'lonely', instanceId: 'i-2', receivedAt: now, reportedAt: now },
      ],
      now,
    );
    const token = as(A, 'EXPLOIT');
    expect((await call('GET', '/workers', { token })).body).toEqual([
      { workerType: 'extract-worker', nbInstance: 1 },
      { workerType: 'lonely', nbInstance: 1 },
    ]);
    expect((await call('GET', '/workers?contentTypes=to-extract', { token })).body).toEqual([{ workerType: 'extract-worker', nbInstance: 1 }]);
    expect((await call('GET', '/workers?contentTypes=nothing&contentTypes=other', { token })).body).toEqual([]);
    expect((await call('GET', '/workers?contentType=x', { token })).status).toBe(400);
  });

  it('GET /sessions/counters: 400 without source or session', async () => {
    const answer = await call('GET', '/sessions/counters?source=owner-1', { token: as(A, 'EXPLOIT') });
    expect(answer.status).toBe(400);
    expect(answer.body.issues.map((issue: { path: string }) => issue.path)).toEqual(['query.session']);
  });
});

describe('configuration', () => {
  const project = () => as(A, 'PROJECT_ADMIN');

  it('GET /microservice/configuration exports a REGARDS file that imports back unchanged (JSON and multipart)', async () => {
    const exported = await call('GET', '/microservice/configuration', { token: project() });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain('attachment');
    expect(exported.body).toMatchObject({ microservice: 'rs-worker-manager', modules: [{ module: { id: 'workermanager' }, resetBeforeImport: true }] });
    const form = multipartFile('file', 'conf.json', JSON.stringify(exported.body));
    const imported = await call('POST', '/microservice/configuration', { token: project(), raw: form.raw, contentType: form.contentType });
    expect(imported).toMatchObject({ status: 201, body: [{ moduleInformation: { id: 'workermanager' }, importErrors: [], onlyErrors: false }] });
    expect((await call('GET', '/microservice/configuration', { token: project() })).body).toEqual(exported.body);
  });

  it('an import with no valid item is refused with 409, its REGARDS report and every error, and changes nothing', async () => {
    const before = (await call('GET', '/configuration/native', { token: project() })).body;
    const bad = regardsFile([workerItem('', ['x']), workerItem('other', ['to-extract']), { key: 'unknown.Key', value: 1 }], false);
    for (const path of ['/microservice/configuration', '/microservice/configuration?atomic=true']) {
      const refused = await call('POST', path, { token: project(), body: bad });
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual([expect.objectContaining({ moduleInformation: expect.objectContaining({ id: 'workermanager' }), onlyErrors: true })]);
      expect(refused.body[0].errors.map((error: { path: string }) => error.path)).toEqual(
        expect.arrayContaining(['modules[0].configuration[0].value.workerType', 'modules[0].configuration[2].key']),
      );
      expect(refused.body[0].importErrors.length).toBeGreaterThanOrEqual(3);
      expect(refused.body[0].importErrors).toContain(
        'modules[0].configuration[2].key: ' + refused.body[0].errors.find((e: { path: string }) => e.path.endsWith('[2].key')).message,
      );
    }
    expect((await call('GET', '/configuration/native', { token: project() })).body).toEqual(before);
    expect((await call('POST', '/microservice/configuration', { token: project(), body: { nothing: true } })).status).toBe(409);
    expect((await call('POST', '/microservice/configuration', { token: project(), raw: 'a,b', contentType: 'text/csv' })).status).toBe(415);
  });

  it('ignores unknown fields of REGARDS items (warnings in the report), and refuses them in our own extension fields', async () => {
    const before = (await call('GET', '/configuration/native', { token: project() })).body;
    const item = { key: REGARDS_CONFIG_KEYS.worker, value: { workerType: 'lenient', contentTypeInputs: ['lenient-in'], id: 12, futureFlag: true } };
    const imported = await call('POST', '/microservice/configuration', { token: project(), body: regardsFile([item], false) });
    expect(imported.status).toBe(201);
    expect(imported.body[0].warnings).toEqual([
      'modules[0].configuration[0].value.id: unknown field "id" ignored',
      'modules[0].configuration[0].value.futureFlag: unknown field "futureFlag" ignored',
    ]);
    const typo = { key: REGARDS_CONFIG_KEYS.worker, value: { workerType: 'typo', contentTypeInputs: ['typo-in'], deadlines: { timeToStartSecond: 5 } } };
    expect((await call('POST', '/microservice/configuration', { token: project(), body: regardsFile([typo], false) })).status).toBe(409);
    const native = await call('PUT', '/configuration/native', {
      token: project(),
      body: { ...before, workers: [{ workerType: 'n', contentTypeInputs: ['n-in'], id: 1 }] },
    });
    expect(native.status).toBe(409);
    expect((await call('PUT', '/configuration/native', { token: project(), body: { ...before, resetBeforeImport: true } })).status).toBe(200);
  });

  it('imports the valid items of a file with some errors (206, as REGARDS), and nothing of it with atomic=true', async () => {
    const before = (await call('GET', '/configuration/native', { token: project() })).body;
    const mixed = regardsFile([workerItem('', ['x']), workerItem('partial-worker', ['partial-in'])], false);
    const atomic = await call('POST', '/microservice/configuration?atomic=true', { token: project(), body: mixed });
    expect(atomic.status).toBe(409);
    expect((await call('GET', '/configuration/native', { token: project() })).body.workers.map((w: { workerType: string }) => w.workerType)).not.toContain(
      'partial-worker',
    );
    const partial = await call('POST', '/microservice/configuration', { token: project(), body: mixed });
    expect(partial.status).toBe(206);
    expect(partial.body).toEqual([
      expect.objectContaining({ onlyErrors: false, importErrors: [expect.stringContaining('modules[0].configuration[0].value.workerType')] }),
    ]);
    expect((await call('GET', '/configuration/native', { token: project() })).body.workers.map((w: { workerType: string }) => w.workerType)).toContain(
      'partial-worker',
    );
    // The next tests expect the configuration as it was.
    expect((await call('PUT', '/configuration/native', { token: project(), body: { ...before, resetBeforeImport: true } })).status).toBe(200);
  });

  it('GET/PUT /configuration/native round-trip, refuse the REGARDS format, and report the re-dispatch', async () => {
    const exported = await call('GET', '/configuration/native', { token: project() });
    expect(exported.body).toMatchObject({
      format: 'worker-manager/v1',
      workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'], keepErrors: true, retry: expect.any(Object) }],
    });
    const put = await call('PUT', '/configuration/native', { token: project(), body: exported.body });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ version: expect.any(Number), configuration: exported.body, redispatch: { complete: true } });
    expect((await call('PUT', '/configuration/native', { token: project(), body: regardsFile([]) })).status).toBe(409);
  });

  it('answers 413 to a body over the limit', async () => {
    const huge = { format: 'worker-manager/v1', workers: [], padding: 'x'.repeat(2 * 1024 * 1024) };
    const answer = await call('PUT', '/configuration/native', { token: project(), body: huge });
    expect(answer.status).toBe(413);
  });
});

describe('settings', () => {
  const admin = () => as(A, 'ADMIN');

  it('GET /settings lists skipContentTypes as a DynamicTenantSettingDto; names filters', async () => {
    const answer = await call('GET', '/settings', { token: admin() });
    expect(answer.body).toEqual([
      {
        content: { name: 'skipContentTypes', description: expect.any(String), value: [], defaultValue: [] },
        links: [{ rel: 'self', href: expect.stringContaining('/settings/skipContentTypes') }],
      },
    ]);
    expect((await call('GET', '/settings?names=other', { token: admin() })).body).toEqual([]);
  });

  it('PUT /settings/{name} takes a list or its REGARDS JSON text; 409 when a worker uses it; DELETE resets', async () => {
    expect(
      (
        await call('PUT', '/settings/skipContentTypes', {
          token: admin(),
          body: { name: 'skipContentTypes', value: '["ignored"]', className: 'java.util.ArrayList' },
        })
      ).body.content.value,
    ).toEqual(['ignored']);
    const conflict = await call('PUT', '/settings/skipContentTypes', { token: admin(), body: { value: ['to-extract'] } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.errors.length).toBeGreaterThan(0);
    expect((await call('GET', '/settings', { token: admin() })).body[0].content.value).toEqual(['ignored']);
    expect((await call('DELETE', '/settings/skipContentTypes', { token: admin() })).body.content.value).toEqual([]);
    expect((await call('PUT', '/settings/unknown', { token: admin(), body: { value: [] } })).status).toBe(404);
    expect((await call('PUT', '/settings/skipContentTypes', { token: admin(), body: { value: 'not json' } })).status).toBe(400);
    expect((await call('PUT', '/settings/skipContentTypes', { token: admin(), body: {} })).status).toBe(400);
  });
});
