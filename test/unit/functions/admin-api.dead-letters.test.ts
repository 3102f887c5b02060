import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { adminApiFunction, type AdminApiFunctionDeps } from '../../../functions/admin-api/handler.js';
import { managerDeadLetterQueues } from '../../../shared/application/use-cases/dead-letters.js';
import { MemoryDeadLetters } from '../../../shared/adapters/memory/memory-dead-letters.js';
import { MemoryJobLauncher } from '../../../shared/adapters/memory/memory-job-launcher.js';
import { MemoryJobStore } from '../../../shared/adapters/memory/memory-job-store.js';
import { DEFAULT_MANAGER_SETTINGS } from '../../../shared/contract/manager-settings.js';
import { signToken } from '../../../shared/lambda/auth.js';
import { memoryWorld } from '../../support/use-case-fixtures.js';

const SECRET = 'unit-admin-api-dlq-secret-0123456789abcdef';
const NAMES = DEFAULT_MANAGER_SETTINGS.names;
const REQUEST_DLQ = `${NAMES.requestQueue}.DLQ`;

function event(method: string, path: string, token: string, body?: unknown, query: Record<string, string> | null = null): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    headers: { Host: 'api.test', Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    multiValueHeaders: {},
    queryStringParameters: query,
    multiValueQueryStringParameters: query === null ? null : Object.fromEntries(Object.entries(query).map(([key, value]) => [key, [value]])),
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { path: `/prod${path}`, requestId: 'r-1' },
  } as unknown as APIGatewayProxyEvent;
}

function setup() {
  const world = memoryWorld();
  const deadLetters = new MemoryDeadLetters({
    [REQUEST_DLQ]: [
      { messageId: 'a', reason: 'invalid header regards.tenant', reasonOrigin: 'manager', deadLetteredAt: new Date('2026-03-01T09:59:00.000Z'), tenant: 't1' },
      { messageId: 'b', reason: 'delivery_limit', reasonOrigin: 'broker' },
      { messageId: 'c', reason: 'delivery_limit', reasonOrigin: 'broker' },
    ],
  });
  const deps: AdminApiFunctionDeps = {
    ...world,
    jobs: new MemoryJobStore(),
    launcher: new MemoryJobLauncher(),
    probes: [],
    deadLetters,
    auth: { secret: SECRET, clockSkewSeconds: 0, jwksCacheSeconds: 60 },
    maxBodyBytes: 64 * 1024,
  };
  return { handler: adminApiFunction.withDeps(deps), deadLetters };
}

const instanceAdmin = signToken(SECRET, { tenant: 'tenant-a', role: 'INSTANCE_ADMIN' });

describe('admin API dead-letter routes', () => {
  it("names the manager's four dead-letter queues, each with the queue it extends as source", () => {
    expect(managerDeadLetterQueues(NAMES)).toEqual([
      { queue: `${NAMES.requestQueue}.DLQ`, source: NAMES.requestQueue },
      { queue: `${NAMES.workerResponse}.DLQ`, source: NAMES.workerResponse },
      { queue: `${NAMES.workerDeadLetter}.DLQ`, source: NAMES.workerDeadLetter },
      { queue: `${NAMES.sessionDeletionQueue}.DLQ`, source: NAMES.sessionDeletionQueue },
    ]);
  });

  it.each(['ADMIN', 'PROJECT_ADMIN', 'EXPLOIT'])('refuses a %s (tenant role) with 403 on both routes, and moves nothing', async (role) => {
    const { handler, deadLetters } = setup();
    const token = signToken(SECRET, { tenant: 'tenant-a', role });
    expect((await handler(event('GET', '/dead-letters', token))).statusCode).toBe(403);
    expect((await handler(event('POST', `/dead-letters/${REQUEST_DLQ}/redrive`, token, {}))).statusCode).toBe(403);
    expect(deadLetters.queues.get(REQUEST_DLQ)).toHaveLength(3);
  });

  it('lists counts, reasons (most frequent first) and the oldest age to an INSTANCE_ADMIN', async () => {
    const { handler } = setup();
    const result = await handler(event('GET', '/dead-letters', instanceAdmin, undefined, { limit: '10' }));
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body) as {
      queue: string;
      exists: boolean;
      count: number;
      oldestAgeSeconds?: number;
      reasons: unknown[];
      messages: unknown[];
    }[];
    expect(body.map((queue) => [queue.queue, queue.exists, queue.count])).toEqual([
      [REQUEST_DLQ, true, 3],
      [`${NAMES.workerResponse}.DLQ`, false, 0],
      [`${NAMES.workerDeadLetter}.DLQ`, false, 0],
      [`${NAMES.sessionDeletionQueue}.DLQ`, false, 0],
    ]);
    expect(body[0]?.oldestAgeSeconds).toBe(60);
    expect(body[0]?.reasons).toEqual([
      { reason: 'delivery_limit', origin: 'broker', count: 2 },
      { reason: 'invalid header regards.tenant', origin: 'manager', count: 1 },
    ]);
    expect(body[0]?.messages[0]).toEqual({
      position: 0,
      messageId: 'a',
      reason: 'invalid header regards.tenant',
      reasonOrigin: 'manager',
      deadLetteredAt: '2026-03-01T09:59:00.000Z',
      tenant: 't1',
    });
  });

  it('redrives one by id, then the rest, and says how many moved', async () => {
    const { handler, deadLetters } = setup();
    const one = await handler(event('POST', `/dead-letters/${REQUEST_DLQ}/redrive`, instanceAdmin, { messageId: 'b' }));
    expect(one.statusCode).toBe(200);
    expect(JSON.parse(one.body)).toEqual({ queue: REQUEST_DLQ, source: NAMES.requestQueue, moved: 1, remaining: 2 });
    const rest = await handler(event('POST', `/dead-letters/${REQUEST_DLQ}/redrive`, instanceAdmin));
    expect(JSON.parse(rest.body)).toMatchObject({ moved: 2, remaining: 0 });
    expect(deadLetters.queues.get(NAMES.requestQueue)?.map((message) => message.messageId)).toEqual(['b', 'a', 'c']);
  });

  it("answers 404 for a queue that is not one of the manager's dead-letter queues, 409 for one not declared, 400 for a bad limit", async () => {
    const { handler } = setup();
    expect((await handler(event('POST', '/dead-letters/some.other.queue/redrive', instanceAdmin, {}))).statusCode).toBe(404);
    expect((await handler(event('POST', `/dead-letters/${NAMES.workerResponse}.DLQ/redrive`, instanceAdmin, {}))).statusCode).toBe(409);
    expect((await handler(event('POST', `/dead-letters/${REQUEST_DLQ}/redrive`, instanceAdmin, { limit: 0 }))).statusCode).toBe(400);
  });

  it('lists both routes in the OpenAPI document', async () => {
    const { handler } = setup();
    const doc = JSON.parse((await handler(event('GET', '/openapi.json', instanceAdmin))).body) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/dead-letters'] ?? {})).toContain('get');
    expect(Object.keys(doc.paths['/dead-letters/{queue}/redrive'] ?? {})).toContain('post');
  });
});
