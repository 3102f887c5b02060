import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { sweepFunction, sweepServices } from '../../../functions/sweep/handler.js';
import { registerRequests } from '../../../shared/application/use-cases/register-requests.js';
import type { NormalizedBatch } from '../../../shared/contract/amazon-mq-event.js';
import { amazonMqSource } from '../../../shared/lambda/amazon-mq-source.js';
import { PublishError } from '../../../shared/ports/message-bus.js';
import { StoreUnavailableError } from '../../../shared/ports/request-store.js';
import { MemoryMetrics } from '../../../shared/adapters/memory/memory-metrics.js';
import { apiGatewaySource } from '../../../shared/lambda/api-gateway-source.js';
import { JwtVerifier } from '../../../shared/lambda/auth.js';
import { defineFunction, localContext } from '../../../shared/lambda/define-function.js';
import { EnvironmentError } from '../../../shared/lambda/env.js';
import { LambdaLogger } from '../../../shared/lambda/lambda-logger.js';
import { scheduleSource } from '../../../shared/lambda/schedule-source.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { jsonLinesWrittenBy } from '../../support/json-lines.js';
import { bringAlive, configure, memoryWorld, requestMessage } from '../../support/use-case-fixtures.js';

const SECRET = 'a-test-secret-of-at-least-32-characters!';

describe('defineFunction over a schedule', () => {
  it('runs the use case over the given deps, whatever the schedule sends, and returns its result', async () => {
    const logger = new CapturingLogger();
    const fn = defineFunction({ name: 'probe', envSchema: z.object({}), compose: () => ({ logger }), ...scheduleSource, run: async () => 'done' });
    expect(await fn.withDeps({ logger })({ 'detail-type': 'Scheduled Event' })).toBe('done');
    expect(await fn.withDeps({ logger })()).toBe('done');
  });

  it('logs a failed run and rethrows it, so the invocation counts as an error', async () => {
    const logger = new CapturingLogger();
    const fn = defineFunction({
      name: 'probe',
      envSchema: z.object({}),
      compose: () => ({ logger }),
      ...scheduleSource,
      run: () => Promise.reject(new Error('boom')),
    });
    await expect(fn.withDeps({ logger })()).rejects.toThrow('boom');
    expect(logger.entries).toMatchObject([{ level: 'error', message: 'scheduled run failed', fields: { fn: 'probe' } }]);
  });
});

describe('the sweep function', () => {
  it('sweeps with the composed services and keeps its progress between runs of a warm process', async () => {
    const world = memoryWorld();
    await configure(world, 'tenant-a', { workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
    await registerRequests({ messages: [requestMessage()], unreadable: [] }, world);
    await bringAlive(world, 'extract-worker');
    const services = sweepServices(world);
    const report = (await sweepFunction.withDeps(services)()) as { waiting: { dispatched: number } };
    expect(report.waiting.dispatched).toBe(1);
    expect(services.progress).toEqual({});
  });
});

const mqEvent = (records: unknown[], queue = 'requests') => ({
  eventSource: 'aws:rmq',
  eventSourceArn: 'arn:aws:mq:local',
  rmqMessagesByQueue: { [`${queue}::/`]: records },
});

describe('defineFunction over an Amazon MQ event source', () => {
  it('dead-letters an unreadable message with a log line naming the function and the request id, and answers nothing', async () => {
    const world = memoryWorld();
    const logger = new CapturingLogger();
    const seen: NormalizedBatch[] = [];
    const fn = defineFunction({
      name: 'probe',
      envSchema: z.object({}),
      compose: () => ({ ...world, logger }),
      ...amazonMqSource(async (batch: NormalizedBatch) => seen.push(batch)),
    });
    const context = { ...localContext('wm-probe'), awsRequestId: 'request-1' };
    const queue = world.settings.names.requestQueue;
    expect(await fn.withDeps({ ...world, logger })(mqEvent([{ not: 'a message' }], queue), context)).toBeUndefined();
    expect(seen[0]?.unreadable).toHaveLength(1);
    expect(logger.entries).toMatchObject([
      { level: 'error', message: 'unreadable message dead-lettered', fields: { fn: 'probe', requestId: 'request-1', queue } },
      { level: 'warn', message: 'unreadable messages set aside', fields: { deadLettered: 1, dropped: 0 } },
    ]);
    expect(world.bus.to(world.settings.names.deadLetterExchange)).toHaveLength(1);
  });

  it('throws when the use case fails, so the event source redelivers the batch', async () => {
    const world = memoryWorld();
    const logger = new CapturingLogger();
    const fn = defineFunction({
      name: 'probe',
      envSchema: z.object({}),
      compose: () => ({ ...world, logger }),
      ...amazonMqSource(() => Promise.reject(new Error('store down'))),
    });
    await expect(fn.withDeps({ ...world, logger })(mqEvent([]))).rejects.toThrow('store down');
    expect(logger.entries).toMatchObject([
      { level: 'error', message: 'batch failed, it will be redelivered', fields: { fn: 'probe', error: { message: 'store down' } } },
    ]);
  });
});

describe('an Amazon MQ batch that fails on the store or the broker', () => {
  const fast = { maxAttempts: 3, policy: { initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: 0 }, reserveMs: 30_000 };
  const record = { basicProperties: { headers: {} }, data: Buffer.from('{}').toString('base64'), redelivered: false };

  function probe(failures: unknown[], remainingMs = 900_000) {
    const world = memoryWorld();
    const logger = new CapturingLogger();
    const seen: NormalizedBatch[] = [];
    const fn = defineFunction({
      name: 'probe',
      envSchema: z.object({}),
      compose: () => ({ ...world, logger }),
      ...amazonMqSource(async (batch: NormalizedBatch) => {
        seen.push(batch);
        const failure = failures.shift();
        if (failure !== undefined) throw failure;
        return 'done';
      }, fast),
    });
    const context = { ...localContext('wm-probe'), getRemainingTimeInMillis: () => remainingMs };
    return { run: () => fn.withDeps({ ...world, logger })(mqEvent([record, record]), context), seen, logger };
  }

  it('is retried in the invocation, every message then seen as a redelivery, and succeeds', async () => {
    const { run, seen, logger } = probe([new StoreUnavailableError('throttled'), new PublishError('connection lost')]);
    expect(await run()).toBeUndefined();
    expect(seen.map((batch) => batch.messages.map((message) => message.redelivered))).toEqual([
      [false, false],
      [true, true],
      [true, true],
    ]);
    expect(logger.entries.filter((entry) => entry.message.includes('retried in this invocation'))).toHaveLength(2);
  });

  it('fails the invocation once the attempts are spent, so the event source redelivers the batch', async () => {
    const { run, seen } = probe([new StoreUnavailableError('down'), new StoreUnavailableError('down'), new StoreUnavailableError('still down')]);
    await expect(run()).rejects.toThrow('still down');
    expect(seen).toHaveLength(3);
  });

  it('is not retried for an error that is not the store or the broker, nor when the time-out is near', async () => {
    const bug = probe([new TypeError('a bug')]);
    await expect(bug.run()).rejects.toThrow('a bug');
    expect(bug.seen).toHaveLength(1);
    const late = probe([new StoreUnavailableError('down')], 10_000);
    await expect(late.run()).rejects.toThrow('down');
    expect(late.seen).toHaveLength(1);
  });
});

describe('defineFunction over API Gateway', () => {
  const event = {
    httpMethod: 'GET',
    path: '/boom',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { path: '/boom' },
  } as unknown as APIGatewayProxyEvent;

  it('builds the API once per composition and answers 500, logged, what escapes the router', async () => {
    const logger = new CapturingLogger();
    let built = 0;
    const fn = defineFunction({
      name: 'api',
      envSchema: z.object({}),
      compose: () => ({ logger }),
      ...apiGatewaySource((deps: { logger: CapturingLogger }) => {
        built += 1;
        const verifier = new JwtVerifier({ secret: SECRET, clockSkewSeconds: 0, jwksCacheSeconds: 60 });
        return {
          routes: [],
          verifier,
          logger: deps.logger,
          maxBodyBytes: 1024,
          // A bug in the shaping around the router: nothing inside it catches this.
          get corsOrigins(): string[] {
            throw new Error('shaping bug');
          },
        };
      }),
    });
    const handler = fn.withDeps({ logger });
    const first = await handler(event);
    await handler(event);
    expect(built).toBe(1);
    expect(first.statusCode).toBe(500);
    expect(JSON.parse(first.body)).toMatchObject({ status: 500, error: 'InternalError' });
    expect(first.body).not.toContain('shaping bug');
    expect(logger.entries[0]).toMatchObject({
      level: 'error',
      message: 'admin API request failed outside the router',
      fields: { fn: 'api', error: { message: 'shaping bug' } },
    });
  });
});

describe('the Lambda handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('composes once per warm process from the validated environment, and again after a failed composition', async () => {
    const logger = new CapturingLogger();
    const composed: string[] = [];
    const fn = defineFunction({
      name: 'probe',
      envSchema: z.object({ PROBE_SETTING: z.string().min(1) }),
      compose: (env) => {
        composed.push(env.PROBE_SETTING);
        return { logger };
      },
      ...scheduleSource,
      run: async () => 'ran',
    });
    vi.stubEnv('PROBE_SETTING', '');
    await expect(fn.handler({}, localContext('probe'))).rejects.toBeInstanceOf(EnvironmentError);
    vi.stubEnv('PROBE_SETTING', 'set');
    expect(await fn.handler({}, localContext('probe'))).toBe('ran');
    expect(await fn.handler({}, localContext('probe'))).toBe('ran');
    expect(composed).toEqual(['set']);
  });

  it('with the Lambda logger, puts the invocation context on every line, those of loggers made at composition included', async () => {
    const lines = await jsonLinesWrittenBy(async () => {
      const logger = LambdaLogger.create('info', { fn: 'probe' });
      const adapterLogger = logger.child({ component: 'store' });
      const fn = defineFunction({
        name: 'probe',
        envSchema: z.object({}),
        compose: () => ({ logger }),
        ...scheduleSource,
        run: async () => adapterLogger.info('written by an adapter'),
      });
      await fn.withDeps({ logger })({}, { ...localContext('wm-dev-probe'), awsRequestId: 'request-7' });
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      message: 'written by an adapter',
      component: 'store',
      fn: 'probe',
      function_name: 'wm-dev-probe',
      function_request_id: 'request-7',
    });
    expect(typeof lines[0]?.['cold_start']).toBe('boolean');
  });
});

describe('defineFunction and metrics', () => {
  const record = (data: string) => ({ data: Buffer.from(data).toString('base64'), basicProperties: { headers: {} }, redelivered: false });

  it('records each batch’s size and handling time under the function’s name, and flushes once per invocation', async () => {
    const world = memoryWorld();
    const metrics = new MemoryMetrics();
    const deps = { ...world, metrics };
    const fn = defineFunction({ name: 'probe', envSchema: z.object({}), compose: () => deps, ...amazonMqSource(async () => 'done') });
    const handler = fn.withDeps(deps);
    await handler(mqEvent([record('{}'), record('{}')]));
    await handler(mqEvent([record('{}')]));
    expect(metrics.values('batchMessages', { Function: 'probe' })).toEqual([2, 1]);
    expect(metrics.values('batchDuration', { Function: 'probe' })).toHaveLength(2);
    expect(metrics.values('batchDuration').every((ms) => ms >= 0)).toBe(true);
    expect(metrics.flushes).toBe(2);
  });

  it('still times the batch and flushes when the invocation fails, and a failing flush fails nothing', async () => {
    const world = memoryWorld();
    const metrics = new MemoryMetrics();
    const deps = { ...world, metrics };
    const failing = defineFunction({
      name: 'probe',
      envSchema: z.object({}),
      compose: () => deps,
      ...amazonMqSource(() => Promise.reject(new Error('a bug')), {
        maxAttempts: 1,
        policy: { initialDelayMs: 1, maxDelayMs: 1, factor: 1, jitter: 0 },
        reserveMs: 0,
      }),
    });
    await expect(failing.withDeps(deps)(mqEvent([record('{}')]))).rejects.toThrow('a bug');
    expect(metrics.values('batchDuration')).toHaveLength(1);
    expect(metrics.flushes).toBe(1);

    const logger = new CapturingLogger();
    const broken = Object.assign(new MemoryMetrics(), {
      flush: () => {
        throw new Error('stdout closed');
      },
    });
    const brokenDeps = { ...world, logger, metrics: broken };
    const fn = defineFunction({ name: 'probe', envSchema: z.object({}), compose: () => brokenDeps, ...scheduleSource, run: async () => 'done' });
    expect(await fn.withDeps(brokenDeps)()).toBe('done');
    expect(logger.entries).toMatchObject([{ level: 'warn', message: 'metrics could not be flushed' }]);
  });
});
