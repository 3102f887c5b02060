import { describe, expect, it } from 'vitest';
import { deadLetterQueues, recordSweepGauges, WaitingObserver } from '../../../functions/sweep/metrics.js';
import { MemoryMetrics } from '../../../shared/adapters/memory/memory-metrics.js';
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

  it('records the oldest waiting age and one depth per dead-letter queue, and skips (logs) a queue it cannot read', async () => {
    const metrics = new MemoryMetrics();
    const logger = new CapturingLogger();
    const observer = new WaitingObserver();
    await observer.observe(storeReturning([request('a', 'NO_WORKER_AVAILABLE', '2026-12-05T11:59:00.000Z')])).getAll('t', ['a']);
    const unreadable = dedicatedDeadLetterQueue(names.workerResponse);
    await recordSweepGauges(
      {
        settings: DEFAULT_MANAGER_SETTINGS,
        logger,
        metrics,
        gauges: {
          observer,
          queueDepth: async (queue) => {
            if (queue === unreadable) throw new Error('NOT_FOUND');
            return queue === names.deadLetterQueue ? 7 : 0;
          },
        },
      },
      NOW,
    );
    expect(metrics.values('oldestWaitingAge')).toEqual([60]);
    const depths = Object.fromEntries(
      metrics.recorded.filter((entry) => entry.metric === 'deadLetterMessages').map((entry) => [entry.dimensions['Queue'], entry.value]),
    );
    const readable = deadLetterQueues(DEFAULT_MANAGER_SETTINGS).filter((queue) => queue !== unreadable);
    expect(Object.keys(depths).sort()).toEqual(readable.sort());
    expect(depths[names.deadLetterQueue]).toBe(7);
    expect(logger.entries.some((entry) => entry.level === 'warn' && entry.fields['queue'] === unreadable)).toBe(true);
  });
});
