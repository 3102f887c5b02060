import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { AdminApiEnvSchema } from '../../../functions/admin-api/env.js';
import { adminApiFunction, type AdminApiFunctionDeps } from '../../../functions/admin-api/handler.js';
import { RunBulkJobsEnvSchema } from '../../../functions/run-bulk-jobs/env.js';
import { runBulkJobsFunction } from '../../../functions/run-bulk-jobs/handler.js';
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

function event(method: string, path: string, body?: unknown, token?: string): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    headers: {
      Host: 'api.test',
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
    auth: { secret: SECRET, clockSkewSeconds: 0, jwksCacheSeconds: 60 },
    maxBodyBytes: 64 * 1024,
  };
}

describe('admin-api function over memory adapters', () => {
  it('answers a search with links under the API Gateway stage', async () => {
    const d = deps();
    await d.requests.insertAll([makeRequest('tenant-a', 'r-1', { status: 'ERROR' })]);
    const handler = adminApiFunction.withDeps(d);
    const token = signToken(SECRET, { tenant: 'tenant-a', role: 'EXPLOIT' });
    const result = await handler(event('POST', '/requests', {}, token));
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body) as { content: { links: { rel: string; href: string }[] }[] };
    expect(body.content[0]?.links[0]).toEqual({ rel: 'self', href: 'https://api.test/prod/requests/r-1' });
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
