import type { ChannelModel } from 'amqplib';
import { boundedDepthReading } from '../../shared/adapters/rabbitmq/amqp-queue-depths.js';
import { eventSourceMappings, topologyOptions, type ManagerSettings } from '../../shared/contract/manager-settings.js';
import { managerTopology } from '../../shared/contract/topology.js';
import type { Request } from '../../shared/domain/request/request.js';
import { describeError } from '../../shared/kernel/errors.js';
import type { Logger } from '../../shared/kernel/logger.js';
import type { Metrics } from '../../shared/ports/metrics.js';
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
  /** Messages in a queue (amqplib checkQueue's messageCount). */
  queueDepth: (queue: string) => Promise<number>;
  observer: WaitingObserver;
}

export interface SweepGaugeDeps {
  settings: ManagerSettings;
  logger: Logger;
  metrics: Metrics;
  gauges: SweepGauges;
}

/**
 * Records the dead-letter depths (one checkQueue per dead-letter queue) and the age of the oldest
 * waiting request as gauges; the function wrapper flushes them with the invocation. A depth that
 * cannot be read is logged and left out: the alarms treat missing data as such, and the sweep's
 * own work is never failed by its metrics.
 */
export async function recordSweepGauges(deps: SweepGaugeDeps, now: Date): Promise<void> {
  deps.metrics.gauge('oldestWaitingAge', {}, deps.gauges.observer.takeOldestAgeSeconds(now));
  for (const queue of deadLetterQueues(deps.settings)) {
    try {
      deps.metrics.gauge('deadLetterMessages', { Queue: queue }, await deps.gauges.queueDepth(queue));
    } catch (error) {
      deps.logger.warn('could not read the depth of a dead-letter queue', { queue, error: describeError(error) });
    }
  }
}

/** Reads a queue's depth on a channel of its own: checkQueue on a missing queue closes the channel it ran on. */
export function queueDepthReader(connection: () => Promise<ChannelModel>): (queue: string) => Promise<number> {
  const read = async (queue: string): Promise<number> => {
    const channel = await (await connection()).createChannel();
    // A 404 closes the channel from the broker side; its 'error' event must not be unhandled.
    channel.on('error', () => undefined);
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  };
  return (queue) => boundedDepthReading(read(queue), queue);
}
