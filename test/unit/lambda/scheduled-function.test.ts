import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sweepFunction, sweepServices } from '../../../functions/sweep/handler.js';
import { defineScheduledFunction } from '../../../shared/lambda/scheduled-function.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { bringAlive, configure, memoryWorld, requestMessage } from '../../support/use-case-fixtures.js';
import { registerRequests } from '../../../shared/application/use-cases/register-requests.js';

describe('defineScheduledFunction', () => {
  it('runs the use case over the given deps, whatever the schedule sends, and returns its result', async () => {
    const logger = new CapturingLogger();
    const fn = defineScheduledFunction({ name: 'probe', envSchema: z.object({}), compose: () => ({ logger }), run: async () => 'done' });
    expect(await fn.withDeps({ logger })({ 'detail-type': 'Scheduled Event' })).toBe('done');
    expect(await fn.withDeps({ logger })()).toBe('done');
  });

  it('logs a failed run and rethrows it, so the invocation counts as an error', async () => {
    const logger = new CapturingLogger();
    const fn = defineScheduledFunction({ name: 'probe', envSchema: z.object({}), compose: () => ({ logger }), run: () => Promise.reject(new Error('boom')) });
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
