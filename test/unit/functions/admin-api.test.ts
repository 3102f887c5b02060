import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { AdminApiEnvSchema } from '../../../functions/admin-api/env.js';
import { adminApiFunction, type AdminApiFunctionDeps } from '../../../functions/admin-api/handler.js';
import { RunBulkJobsEnvSchema } from '../../../functions/run-bulk-jobs/env.js';
import { runBulkJobsFunction } from '../../../functions/run-bulk-jobs/handler.js';
import { MemoryDeadLetters } from '../../../shared/adapters/memory/memory-dead-letters.js';
import { MemoryJobLauncher } from '../../../shared/adapters/memory/memory-job-launcher.js';
import { MemoryJobStore } from '../../../shared/adapters/memory/memory-job-store.js';
import { signToken } from '../../../shared/lambda/auth.js';
import { resolveAuthSettings } from '../../../shared/lambda/jwt-secret.js';
import { HealthProbe } from '../../../shared/ports/health-probe.js';
import { makeRequest } from '../../support/store-contract/requests.js';
import { memoryWorld } from '../../support/use-case-fixtures.js';

const SECRET = 'unit-admin-api-secret-0123456789abcdef';

class StubProbe extends HealthProbe {
  public constructor(
    public readonly name: string,
    private readonly up: boolean,
  ) {
    super();
  }

  public async check(): Promise<void> {
    if (!this.up) throw new Error('ECONNREFUSED 10.1.2.3:5671');
  }
}

function event(method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    headers: {
      Host: 'api.test',
      ...headers,
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { path: `/prod${path}`, requestId: 'r-1' },
  } as unknown as APIGatewayProxyEvent;
}

function deps(probesUp = true): AdminApiFunctionDeps & ReturnType<typeof memoryWorld> {
  const world = memoryWorld();
  return {
    ...world,
    jobs: new MemoryJobStore(),
    launcher: new MemoryJobLauncher(),
    probes: [new StubProbe('store', true), new StubProbe('broker', probesUp)],
    deadLetters: new MemoryDeadLetters(),
    auth: { secret: SECRET, clockSkewSeconds: 0, jwksCacheSeconds: 60 },
    maxBodyBytes: 64 * 1024,
  };
}

type Links = { rel: string; href: string }[];

describe('admin-api function over memory adapters', () => {
  const FORGED = { Host: 'evil.example', 'X-Forwarded-Proto': 'gopher', 'X-Forwarded-Host': 'evil.example' };

  async function selfLinkAndLocation(d: AdminApiFunctionDeps & ReturnType<typeof memoryWorld>, headers: Record<string, string> = {}) {
    await d.requests.insertAll([makeRequest('tenant-a', 'r-1', { status: 'ERROR' })]);
    const handler = adminApiFunction.withDeps(d);
    const token = signToken(SECRET, { tenant: 'tenant-a', role: 'EXPLOIT' });
    const search = await handler(event('POST', '/requests', {}, token, headers));
    expect(search.statusCode).toBe(200);
    const retry = await handler(event('POST', '/requests/retry', {}, token, headers));
    expect(retry.statusCode).toBe(202);
    const { id } = JSON.parse(retry.body) as { id: string };
    return { self: (JSON.parse(search.body) as { content: { links: Links }[] }).content[0]?.links[0], location: retry.headers?.['Location'], id };
  }

  it('answers a search with links relative to the API Gateway stage when no public URL is configured', async () => {
    const { self, location, id } = await selfLinkAndLocation(deps());
    expect(self).toEqual({ rel: 'self', href: '/prod/requests/r-1' });
    expect(location).toBe(`/prod/jobs/${id}`);
  });

  it('builds links and Location on PUBLIC_BASE_URL when configured', async () => {
    const { self, location, id } = await selfLinkAndLocation({ ...deps(), publicBaseUrl: 'https://wm.example.org/api/v1/rs-worker-manager' });
    expect(self).toEqual({ rel: 'self', href: 'https://wm.example.org/api/v1/rs-worker-manager/requests/r-1' });
    expect(location).toBe(`https://wm.example.org/api/v1/rs-worker-manager/jobs/${id}`);
  });

  it('never builds a link on a forged Host or X-Forwarded-Proto', async () => {
    const relative = await selfLinkAndLocation(deps(), FORGED);
    expect(relative.self?.href).toBe('/prod/requests/r-1');
    expect(relative.location).toBe(`/prod/jobs/${relative.id}`);
    const configured = await selfLinkAndLocation({ ...deps(), publicBaseUrl: 'https://wm.example.org' }, FORGED);
    expect(configured.self?.href).toBe('https://wm.example.org/requests/r-1');
    expect(configured.location).toBe(`https://wm.example.org/jobs/${configured.id}`);
  });

  it('knows no request that finished and left only its trace: 404 on GET, absent from a search', async () => {
    const d = deps();
    const finished = makeRequest('tenant-a', 'r-done', { status: 'SUCCESS' });
    await d.requests.insertAll([finished]);
    await d.requests.deleteAll([finished]);
    const handler = adminApiFunction.withDeps(d);
    const token = signToken(SECRET, { tenant: 'tenant-a', role: 'EXPLOIT' });
    expect((await handler(event('GET', '/requests/r-done', undefined, token))).statusCode).toBe(404);
    const search = await handler(event('POST', '/requests', {}, token));
    expect(JSON.parse(search.body)).toMatchObject({ content: [] });
  });

  it('answers 503 with the failing check named, and only its error name', async () => {
    const result = await adminApiFunction.withDeps(deps(false))(event('GET', '/health'));
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toEqual({ status: 'DOWN', checks: { store: { status: 'UP' }, broker: { status: 'DOWN', error: 'Error' } } });
    expect(result.body).not.toContain('10.1.2.3');
  });

  it('starts a bulk job through the launcher and answers 202 at once', async () => {
    const d = deps();
    const result = await adminApiFunction.withDeps(d)(
      event('POST', '/requests/retry', {}, signToken(SECRET, { tenant: 'tenant-a', role: 'EXPLOIT', sub: 'me' })),
    );
    expect(result.statusCode).toBe(202);
    expect((d.launcher as MemoryJobLauncher).launched).toHaveLength(1);
  });

  it('takes restartFrom on the bulk retry and on the retry of one request, refusing at once what cannot be done', async () => {
    const d = deps();
    await d.requests.insertAll([makeRequest('tenant-a', 'r-1', { status: 'ERROR' }), makeRequest('tenant-a', 'r-2', { status: 'RUNNING' })]);
    const handler = adminApiFunction.withDeps(d);
    const token = signToken(SECRET, { tenant: 'tenant-a', role: 'EXPLOIT', sub: 'me' });
    const withQuery = (base: APIGatewayProxyEvent, restartFrom: string): APIGatewayProxyEvent => ({
      ...base,
      queryStringParameters: { restartFrom },
      multiValueQueryStringParameters: { restartFrom: [restartFrom] },
    });
    const bulk = await handler(withQuery(event('POST', '/requests/retry', {}, token), 'first'));
    expect(bulk.statusCode).toBe(202);
    expect(JSON.parse(bulk.body)).toMatchObject({ kind: 'retry', restartFrom: 'first' });
    expect((await handler(withQuery(event('POST', '/requests/retry', {}, token), 'last'))).statusCode).toBe(400);

    const one = await handler(withQuery(event('POST', '/requests/r-1/retry', undefined, token), 'first'));
    expect(one.statusCode).toBe(202);
    expect(JSON.parse(one.body)).toMatchObject({ kind: 'retry', restartFrom: 'first', filter: { ids: { mode: 'INCLUDE', values: [expect.any(Number)] } } });
    const notBlocked = await handler(event('POST', '/requests/r-2/retry', undefined, token));
    expect(notBlocked.statusCode).toBe(409);
    expect(notBlocked.body).toContain('not RUNNING');
    expect((await handler(event('POST', '/requests/none/retry', undefined, token))).statusCode).toBe(404);
    expect((d.launcher as MemoryJobLauncher).launched).toHaveLength(2);
  });
});

/** A token with the given header, HS256-signed with the right secret: only the header is forged. */
function forged(header: unknown, options: { rawHeader?: string; sign?: boolean } = {}): string {
  const head = options.rawHeader ?? Buffer.from(JSON.stringify(header)).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ tenant: 'tenant-a', role: 'EXPLOIT', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
  const signature = options.sign === false ? 'c2ln' : createHmac('sha256', SECRET).update(`${head}.${payload}`).digest('base64url');
  return `${head}.${payload}.${signature}`;
}

describe('admin-api with a forged token header', () => {
  it.each<[string, string]>([
    ['alg with a NUL', forged({ alg: 'HS256\u0000', typ: 'JWT' })],
    ['alg naming no algorithm', forged({ alg: 'foo', typ: 'JWT' })],
    ['alg a number', forged({ alg: 42, typ: 'JWT' })],
    ['alg an object', forged({ alg: {}, typ: 'JWT' })],
    ['alg a list', forged({ alg: ['HS256'], typ: 'JWT' })],
    ['alg empty', forged({ alg: '', typ: 'JWT' })],
    ['alg null', forged({ alg: null, typ: 'JWT' })],
    ['no alg', forged({ typ: 'JWT' })],
    ['alg none', forged({ alg: 'none', typ: 'JWT' }, { sign: false })],
    ['a crit header naming a claim', forged({ alg: 'HS256', typ: 'JWT', crit: ['exp'], exp: 1 })],
    ['a crit header naming b64', forged({ alg: 'HS256', typ: 'JWT', crit: ['b64'], b64: false })],
    ['a crit header that is not a list', forged({ alg: 'HS256', typ: 'JWT', crit: 'x' })],
    ['an empty crit header', forged({ alg: 'HS256', typ: 'JWT', crit: [] })],
    ['no typ and a bad signature', forged({ alg: 'HS256' }, { sign: false })],
    ['a 100 KB header', forged({ alg: 'HS256', typ: 'JWT', pad: 'x'.repeat(100 * 1024) })],
    ['a 7 KB header', forged({ alg: 'HS256\u0000', typ: 'JWT', pad: 'x'.repeat(7 * 1024) })],
    ['a non-JSON header', forged(undefined, { rawHeader: Buffer.from('{alg: HS256').toString('base64url') })],
    ['a JSON header that is not an object', forged(['HS256'])],
    ['a null header', forged(null)],
    ['a header that is not base64url', forged(undefined, { rawHeader: '%%%' })],
    ['a header that is not UTF-8', forged(undefined, { rawHeader: Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url') })],
    ['an empty header', forged(undefined, { rawHeader: '' })],
  ])('answers 401 with a JSON error for %s', async (_name, token) => {
    const result = await adminApiFunction.withDeps(deps())(event('GET', '/workers', undefined, token));
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['Content-Type']).toBe('application/json');
    expect(JSON.parse(result.body)).toMatchObject({ status: 401, error: 'UnauthenticatedError', message: expect.any(String) });
    // The refusal never echoes the forged header back at length.
    expect(result.body.length).toBeLessThan(1024);
  });

  it('accepts a well-signed token without typ (RFC 7519 makes it optional; not every issuer writes it)', async () => {
    const result = await adminApiFunction.withDeps(deps())(event('GET', '/workers', undefined, forged({ alg: 'HS256' })));
    expect(result.statusCode).toBe(200);
  });

  it('answers 401 to an Authorization header over 8 KB before decoding it', async () => {
    const valid = signToken(SECRET, { tenant: 'tenant-a', role: 'EXPLOIT', pad: 'x'.repeat(9 * 1024) });
    const result = await adminApiFunction.withDeps(deps())(event('GET', '/workers', undefined, valid));
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body)).toMatchObject({ status: 401, message: expect.stringMatching(/Authorization header/) });
  });
});

describe('run-bulk-jobs function', () => {
  it('runs the job named by the event and launches the next run when its budget is spent', async () => {
    const d = deps();
    await d.requests.insertAll(
      Array.from({ length: 250 }, (_, i) => makeRequest('tenant-a', `r-${i}`, { status: 'ERROR', creationDate: '2026-02-01T00:00:00.000Z' })),
    );
    const submitted = await adminApiFunction.withDeps(d)(event('DELETE', '/requests/delete', {}, signToken(SECRET, { tenant: 'tenant-a', role: 'ADMIN' })));
    const { id } = JSON.parse(submitted.body) as { id: string };
    const launcher = new MemoryJobLauncher();
    const run = runBulkJobsFunction.withDeps({ ...d, launcher, maxPages: 1 });
    expect((await run({ tenant: 'tenant-a', jobId: id })).outcome).toBe('more');
    expect(launcher.launched).toEqual([{ tenant: 'tenant-a', jobId: id }]);
    expect((await run({ tenant: 'tenant-a', jobId: id })).outcome).toBe('finished');
    expect(d.requests.size).toBe(0);
    await expect(run({ tenant: 'tenant-a' })).rejects.toThrow();
  });
});

describe('environments', () => {
  const base = { TABLE_NAME: 'wm', BULK_JOBS_FUNCTION_NAME: 'wm-run-bulk-jobs' };

  it('admin-api needs a way to verify tokens and the bulk-jobs function name', () => {
    expect(AdminApiEnvSchema.safeParse(base).success).toBe(false);
    expect(AdminApiEnvSchema.safeParse({ ...base, JWT_SECRET: 'short' }).success).toBe(false);
    expect(AdminApiEnvSchema.parse({ ...base, JWT_SECRET: SECRET })).toMatchObject({ MAX_BODY_BYTES: 1024 * 1024 });
    expect(AdminApiEnvSchema.safeParse({ ...base, JWT_JWKS_URL: 'https://issuer.example/jwks' }).success).toBe(true);
    expect(AdminApiEnvSchema.safeParse({ TABLE_NAME: 'wm', JWT_SECRET: SECRET }).success).toBe(false);
    expect(RunBulkJobsEnvSchema.parse({ TABLE_NAME: 'wm', AWS_LAMBDA_FUNCTION_NAME: 'wm-run-bulk-jobs' })).toMatchObject({ BULK_JOB_MAX_PAGES: 500 });
  });

  it('admin-api reads PUBLIC_BASE_URL as an http(s) URL, without its trailing slash', () => {
    const env = { ...base, JWT_SECRET: SECRET };
    expect(AdminApiEnvSchema.parse(env).PUBLIC_BASE_URL).toBeUndefined();
    expect(AdminApiEnvSchema.parse({ ...env, PUBLIC_BASE_URL: 'https://wm.example.org/api/v1/' }).PUBLIC_BASE_URL).toBe('https://wm.example.org/api/v1');
    expect(AdminApiEnvSchema.safeParse({ ...env, PUBLIC_BASE_URL: 'wm.example.org' }).success).toBe(false);
    expect(AdminApiEnvSchema.safeParse({ ...env, PUBLIC_BASE_URL: 'javascript:alert(1)' }).success).toBe(false);
  });

  it('reads the HMAC secret from Secrets Manager, plain or as {"secret"}', async () => {
    const reader = (value: string) => ({ getSecretString: async () => value });
    expect((await resolveAuthSettings({ JWT_SECRET_ARN: 'arn:aws:secretsmanager:x' }, reader(SECRET))).secret).toBe(SECRET);
    expect((await resolveAuthSettings({ JWT_SECRET_ARN: 'arn:aws:secretsmanager:x' }, reader(JSON.stringify({ secret: SECRET })))).secret).toBe(SECRET);
    await expect(resolveAuthSettings({ JWT_SECRET_ARN: 'arn:aws:secretsmanager:x' }, reader('short'))).rejects.toThrow(/JWT settings/);
    await expect(
      resolveAuthSettings({ JWT_SECRET_ARN: 'arn:aws:secretsmanager:x' }, { getSecretString: async () => Promise.reject(new Error('denied')) }),
    ).rejects.toThrow(/cannot read/);
  });
});
