import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryMetrics } from '../../../shared/adapters/memory/memory-metrics.js';
import { registerRequests } from '../../../shared/application/use-cases/register-requests.js';
import { bringAlive, configure, memoryWorld, requestMessage, type MemoryWorld } from '../../support/use-case-fixtures.js';
import { workerResponseDriver } from '../../support/worker-response-driver.js';

const TENANT = 'tenant-a';

describe('metrics recorded by the use cases', () => {
  let world: MemoryWorld & { metrics: MemoryMetrics };
  const { answer, respond } = workerResponseDriver(() => world, TENANT);

  beforeEach(async () => {
    world = { ...memoryWorld(), metrics: new MemoryMetrics() };
    await configure(world, TENANT, {
      workers: [
        { workerType: 'extract', contentTypeInputs: ['raw'] },
        { workerType: 'asleep', contentTypeInputs: ['later'] },
      ],
      skipContentTypes: ['ignored'],
    });
    await bringAlive(world, 'extract');
  });

  it('counts a batch through register-requests: received, answers by state, dispatches by worker type, dead letters, and the dispatch latency', async () => {
    await registerRequests(
      {
        messages: [
          requestMessage({ requestId: 'r1', contentType: 'raw' }),
          requestMessage({ requestId: 'r2', contentType: 'raw' }),
          requestMessage({ requestId: 'r3', contentType: 'later' }),
          requestMessage({ requestId: 'r4', contentType: 'ignored' }),
          // no tenant: nobody to answer, dead-lettered
          requestMessage({ requestId: 'r5', tenant: undefined }),
        ],
        unreadable: [],
      },
      world,
    );

    const { metrics, settings } = world;
    expect(metrics.total('requestsReceived')).toBe(5);
    expect(metrics.total('answers', { State: 'GRANTED' })).toBe(2);
    expect(metrics.total('answers', { State: 'DELAYED' })).toBe(1);
    expect(metrics.total('answers', { State: 'SKIPPED' })).toBe(1);
    expect(metrics.total('answers')).toBe(4);
    expect(metrics.total('dispatched', { WorkerType: 'extract' })).toBe(2);
    expect(metrics.values('dispatched', { WorkerType: 'asleep' })).toEqual([]);
    expect(metrics.total('deadLetters', { Queue: settings.names.requestQueue })).toBe(1);
    // Created and granted in the same batch, at the same clock reading.
    expect(metrics.values('dispatchLatency')).toEqual([0, 0]);
    expect(metrics.values('endToEndLatency')).toEqual([]);
    // Only dimensions of bounded sets: no tenant, session or request id.
    for (const { dimensions } of metrics.recorded) expect(Object.keys(dimensions).every((name) => ['State', 'WorkerType', 'Queue'].includes(name))).toBe(true);
  });

  it('measures the end-to-end latency at the final answer, from the creation of the request', async () => {
    await registerRequests({ messages: [requestMessage({ requestId: 'r1', contentType: 'raw' })], unreadable: [] }, world);
    world.clock.advance(90_000);
    await respond(answer({ requestId: 'r1', status: 'RUNNING', dispatchAttempt: 1 }));
    expect(world.metrics.values('endToEndLatency')).toEqual([]);
    world.clock.advance(30_000);
    await respond(answer({ requestId: 'r1', status: 'SUCCESS', dispatchAttempt: 1 }));

    expect(world.metrics.values('endToEndLatency')).toEqual([120_000]);
    expect(world.metrics.total('answers', { State: 'SUCCESS' })).toBe(1);
  });

  it('counts nothing of a batch whose publish failed: the redelivery will', async () => {
    world.bus.failing = true;
    await expect(registerRequests({ messages: [requestMessage({ requestId: 'r1', contentType: 'raw' })], unreadable: [] }, world)).rejects.toThrow(
      'broker marked unavailable',
    );
    expect(world.metrics.total('answers')).toBe(0);
    expect(world.metrics.total('dispatched')).toBe(0);
    expect(world.metrics.total('requestsReceived')).toBe(1);
  });
});
