import { eventSourceMappings, topologyOptions, type ManagerSettings } from '../../shared/contract/manager-settings.js';
import { managerTopology } from '../../shared/contract/topology.js';
import type { Request } from '../../shared/domain/request/request.js';
import { describeError } from '../../shared/kernel/errors.js';
import type { Logger } from '../../shared/kernel/logger.js';
import type { Metrics } from '../../shared/ports/metrics.js';
import type { QueueDepths } from '../../shared/ports/queue-depths.js';
import type { RequestStore } from '../../shared/ports/request-store.js';

// sweep run --> (dead-letter depths, oldest waiting request) --> Metrics gauges (ports/metrics.ts) --> EMF in Lambda, GET /metrics locally --> alarms, dashboard

/**
 * The dead-letter queues of the topology: bound to the dead-letter exchange and consumed by no
 * function (the worker dead-letter queue is bound there too, but handle-worker-dead-letters drains it).
 * One definition for the sweep, which reads their depth, and the CDK stack, which alarms on it.
 */
export function deadLetterQueues(settings: ManagerSettings): string[] {
  const { bindings } = managerTopology(settings.names, topologyOptions(settings));
  const consumed = new Set(eventSourceMappings(settings).map((mapping) => mapping.queue));
  const bound = bindings.filter((binding) => binding.exchange === settings.names.deadLetterExchange).map((binding) => binding.queue);
  return [...new Set(bound)].filter((queue) => !consumed.has(queue));
}

/**
 * Watches the requests a sweep loads and remembers when the oldest waiting one started waiting.
 * The re-dispatch of waiting requests reads each waiting list oldest first and loads what it
 * lists, so this costs no extra store call and leaves the sweep use case untouched.
 */
export class WaitingObserver {
  private oldest: number | undefined;

  /** A RequestStore that reports every NO_WORKER_AVAILABLE request it loads to this observer. */
  public observe(store: RequestStore): RequestStore {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'getAll' || typeof value !== 'function') return value;
        return async (...args: Parameters<RequestStore['getAll']>) => {
          const loaded = (await Reflect.apply(value, target, args)) as Map<string, Request>;
          for (const request of loaded.values()) this.seen(request);
          return loaded;
        };
      },
    });
  }

  /** The age in seconds of the oldest waiting request seen since the last call (0 when none), and a fresh start. */
  public takeOldestAgeSeconds(now: Date): number {
    const oldest = this.oldest;
    this.oldest = undefined;
    return oldest === undefined ? 0 : Math.max(0, Math.round((now.getTime() - oldest) / 1000));
  }

  private seen(request: Request): void {
    if (request.status !== 'NO_WORKER_AVAILABLE') return;
    const since = Date.parse(request.statusDate);
    if (this.oldest === undefined || since < this.oldest) this.oldest = since;
  }
}

/** What the sweep reads its gauges with, besides the sweep's own services. */
export interface SweepGauges {
  /** The same reader as the deadline check's (AmqpQueueDepths in a host with a broker). */
  queueDepths: QueueDepths;
  observer: WaitingObserver;
}

export interface SweepGaugeDeps {
  settings: ManagerSettings;
  logger: Logger;
  metrics: Metrics;
  gauges: SweepGauges;
}

/**
 * Records the dead-letter depths (one reading over every dead-letter queue) and the age of the
 * oldest waiting request as gauges; the function wrapper flushes them with the invocation. A
 * dead-letter queue the broker does not know gets no point and a warning, not a 0 that would hide
 * it is gone; a reading that fails leaves every depth out, logged. The alarms treat missing data
 * as such, and the sweep's own work is never failed by its metrics.
 */
export async function recordSweepGauges(deps: SweepGaugeDeps, now: Date): Promise<void> {
  deps.metrics.gauge('oldestWaitingAge', {}, deps.gauges.observer.takeOldestAgeSeconds(now));
  const queues = deadLetterQueues(deps.settings);
  let counts: Map<string, number>;
  try {
    counts = await deps.gauges.queueDepths.messageCounts(queues);
  } catch (error) {
    deps.logger.warn('could not read the depths of the dead-letter queues', { queues, error: describeError(error) });
    return;
  }
  for (const queue of queues) {
    const depth = counts.get(queue);
    if (depth === undefined) deps.logger.warn('a dead-letter queue is missing on the broker: no depth recorded', { queue });
    else deps.metrics.gauge('deadLetterMessages', { Queue: queue }, depth);
  }
}
