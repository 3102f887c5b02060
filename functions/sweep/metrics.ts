import type { ChannelModel } from 'amqplib';
import { eventSourceMappings, topologyOptions, type ManagerSettings } from '../../shared/contract/manager-settings.js';
import { managerTopology } from '../../shared/contract/topology.js';
import type { Request } from '../../shared/domain/request/request.js';
import { describeError } from '../../shared/kernel/errors.js';
import type { Logger } from '../../shared/kernel/logger.js';
import type { RequestStore } from '../../shared/ports/request-store.js';

// sweep run --> (dead-letter depths, oldest waiting request) --> CloudWatch embedded metric format log lines --> alarms

/**
 * The custom metrics the sweep publishes, in CloudWatch's embedded metric format (EMF): a JSON log
 * line CloudWatch Logs turns into metrics, so no CloudWatch client and no PutMetricData permission
 * are needed. The CDK stack alarms on exactly these names and dimensions.
 */
export const SWEEP_METRICS = {
  namespace: 'WorkerManager',
  /** Messages (ready + unacknowledged) in one dead-letter queue; dimensions FunctionName, Queue. */
  deadLetterMessages: 'DeadLetterMessages',
  /** Seconds since the oldest NO_WORKER_AVAILABLE request the sweep read started waiting; dimension FunctionName. */
  oldestWaitingSeconds: 'OldestWaitingRequestAgeSeconds',
} as const;

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

type Dimensions = Record<string, string>;

/** One EMF document: one metric value with its dimensions, as CloudWatch Logs extracts it. */
export function emfLine(metric: string, unit: 'Count' | 'Seconds', value: number, dimensions: Dimensions, now: Date): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [{ Namespace: SWEEP_METRICS.namespace, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: metric, Unit: unit }] }],
    },
    ...dimensions,
    [metric]: value,
  });
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

export interface SweepMetricsDeps {
  settings: ManagerSettings;
  logger: Logger;
  /** Messages in a queue (amqplib checkQueue's messageCount). */
  queueDepth: (queue: string) => Promise<number>;
  observer: WaitingObserver;
  /** The dimension that tells one environment's sweep from another's: its function name. */
  functionName: string;
  /** Writes one EMF line (process.stdout in Lambda). */
  write: (line: string) => void;
}

/**
 * Publishes the dead-letter depths (one checkQueue per dead-letter queue) and the age of the oldest
 * waiting request. A metric that cannot be read is logged and left out: the alarms treat missing
 * data as such, and the sweep's own work is never failed by its metrics.
 */
export async function publishSweepMetrics(deps: SweepMetricsDeps, now: Date): Promise<void> {
  const functionName = deps.functionName;
  deps.write(emfLine(SWEEP_METRICS.oldestWaitingSeconds, 'Seconds', deps.observer.takeOldestAgeSeconds(now), { FunctionName: functionName }, now));
  for (const queue of deadLetterQueues(deps.settings)) {
    try {
      const messages = await deps.queueDepth(queue);
      deps.write(emfLine(SWEEP_METRICS.deadLetterMessages, 'Count', messages, { FunctionName: functionName, Queue: queue }, now));
    } catch (error) {
      deps.logger.warn('could not read the depth of a dead-letter queue', { queue, error: describeError(error) });
    }
  }
}

/** Reads a queue's depth on a channel of its own: checkQueue on a missing queue closes the channel it ran on. */
export function queueDepthReader(connection: () => Promise<ChannelModel>): (queue: string) => Promise<number> {
  return async (queue) => {
    const channel = await (await connection()).createChannel();
    // A 404 closes the channel from the broker side; its 'error' event must not be unhandled.
    channel.on('error', () => undefined);
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  };
}
