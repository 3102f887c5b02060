import { describe, expect, it } from 'vitest';
import { deadLetterQueues, recordSweepGauges, WaitingObserver } from '../../../functions/sweep/metrics.js';
import { MemoryMetrics } from '../../../shared/adapters/memory/memory-metrics.js';
import { MemoryQueueDepths } from '../../../shared/adapters/memory/memory-queue-depths.js';
import { DEFAULT_MANAGER_SETTINGS } from '../../../shared/contract/manager-settings.js';
import { dedicatedDeadLetterQueue } from '../../../shared/contract/wire-names.js';
import type { Request } from '../../../shared/domain/request/request.js';
import type { RequestStore } from '../../../shared/ports/request-store.js';
import { CapturingLogger } from '../../support/capturing-logger.js';

const NOW = new Date('2026-12-05T12:00:00.000Z');
const names = DEFAULT_MANAGER_SETTINGS.names;

/** Only what the observer reads of a request. */
const request = (requestId: string, status: Request['status'], statusDate: string) => ({ requestId, status, statusDate }) as unknown as Request;

function storeReturning(requests: Request[]): RequestStore {
  const fake = {
    getAll: async () => new Map(requests.map((item) => [item.requestId, item])),
    other: () => 'untouched',
  };
  return fake as unknown as RequestStore;
}

describe('sweep gauges', () => {
  it('lists the dead-letter queues nothing consumes: regards.DLQ and each input queue’s .DLQ, not the worker dead-letter queue', () => {
    const queues = deadLetterQueues(DEFAULT_MANAGER_SETTINGS);
    expect(queues).toContain(names.deadLetterQueue);
    expect(queues).toContain(dedicatedDeadLetterQueue(names.requestQueue));
    expect(queues).toContain(dedicatedDeadLetterQueue(names.workerResponse));
    expect(queues).not.toContain(names.workerDeadLetter);
  });

  it('remembers the oldest NO_WORKER_AVAILABLE request a sweep loaded, ignores the others, and starts afresh after each report', async () => {
    const observer = new WaitingObserver();
    const store = observer.observe(
      storeReturning([
        request('a', 'NO_WORKER_AVAILABLE', '2026-12-05T11:50:00.000Z'),
        request('b', 'NO_WORKER_AVAILABLE', '2026-12-05T11:30:00.000Z'),
        request('c', 'DISPATCHED', '2026-12-01T00:00:00.000Z'),
      ]),
    );
    const loaded = await store.getAll('t', ['a', 'b', 'c']);
    expect(loaded.size).toBe(3);
    expect((store as unknown as { other: () => string }).other()).toBe('untouched');
    expect(observer.takeOldestAgeSeconds(NOW)).toBe(30 * 60);
    expect(observer.takeOldestAgeSeconds(NOW)).toBe(0);
  });

  /** The sweep gauges recorded over the memory adapter, with one waiting request a minute old. */
  async function recordOver(queueDepths: MemoryQueueDepths) {
    const metrics = new MemoryMetrics();
    const logger = new CapturingLogger();
    const observer = new WaitingObserver();
    await observer.observe(storeReturning([request('a', 'NO_WORKER_AVAILABLE', '2026-12-05T11:59:00.000Z')])).getAll('t', ['a']);
    await recordSweepGauges({ settings: DEFAULT_MANAGER_SETTINGS, logger, metrics, gauges: { observer, queueDepths } }, NOW);
    const depths = Object.fromEntries(
      metrics.recorded.filter((entry) => entry.metric === 'deadLetterMessages').map((entry) => [entry.dimensions['Queue'], entry.value]),
    );
    const warned = logger.entries.filter((entry) => entry.level === 'warn');
    return { metrics, depths, warned };
  }

  it('reads every dead-letter depth in one call, and skips (warns about) a queue the broker does not know rather than report 0', async () => {
    const queueDepths = new MemoryQueueDepths();
    queueDepths.depths.set(names.deadLetterQueue, 7);
    const missing = dedicatedDeadLetterQueue(names.workerResponse);
    queueDepths.missing.add(missing);
    const { metrics, depths, warned } = await recordOver(queueDepths);

    expect(queueDepths.calls).toEqual([deadLetterQueues(DEFAULT_MANAGER_SETTINGS)]);
    expect(metrics.values('oldestWaitingAge')).toEqual([60]);
    const present = deadLetterQueues(DEFAULT_MANAGER_SETTINGS).filter((queue) => queue !== missing);
    expect(Object.keys(depths).sort()).toEqual(present.sort());
    expect(depths[names.deadLetterQueue]).toBe(7);
    expect(depths[dedicatedDeadLetterQueue(names.requestQueue)]).toBe(0);
    expect(warned.map((entry) => entry.fields['queue'])).toEqual([missing]);
  });

  it('records no depth, and warns once, when the broker cannot be asked; the waiting age is still recorded', async () => {
    const queueDepths = new MemoryQueueDepths();
    queueDepths.unavailable = true;
    const { metrics, depths, warned } = await recordOver(queueDepths);
    expect(depths).toEqual({});
    expect(metrics.values('oldestWaitingAge')).toEqual([60]);
    expect(warned).toHaveLength(1);
    expect(warned[0]?.fields['queues']).toEqual(deadLetterQueues(DEFAULT_MANAGER_SETTINGS));
  });
});
