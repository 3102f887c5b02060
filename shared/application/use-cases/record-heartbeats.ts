import type { NormalizedBatch } from '../../contract/amazon-mq-event.js';
import { parseHeartbeat } from '../../contract/heartbeat.js';
import type { ConfigStore } from '../../ports/config-store.js';
import type { Heartbeat, WorkerRegistry } from '../../ports/worker-registry.js';
import { redispatchWaiting, type RedispatchReport, type RedispatchWaitingDeps } from './redispatch-waiting.js';

// record-heartbeats handler --> (use case) --> WorkerRegistry, then redispatchWaiting on a revival

export interface RecordHeartbeatsDeps extends RedispatchWaitingDeps {
  registry: WorkerRegistry;
  configStore: ConfigStore;
  /** Waiting requests listed at most per invocation after a revival; the sweeper takes the rest. */
  revivalRedispatchLimit?: number;
}

export interface RecordHeartbeatsReport {
  received: number;
  /** Valid heartbeats handed to the registry (it may coalesce their writes). */
  recorded: number;
  /** Dropped, each logged with its reason. */
  invalid: number;
  /** Worker types that had no live instance before this batch. */
  revived: string[];
  /** The re-dispatch the revival triggered; null when nothing revived or the re-dispatch failed (logged). */
  redispatch: RedispatchReport | null;
}

export const DEFAULT_REVIVAL_REDISPATCH_LIMIT = 2000;

/**
 * Records one batch of heartbeats (reference 3.7) and, for every worker type that comes alive,
 * re-dispatches its waiting requests in every tenant at once instead of waiting for a scheduler.
 *
 * Liveness runs on the manager's clock: every beat counts as received now, and the worker's own
 * date is kept for display only, so a worker whose clock is off by an hour is as alive as any
 * other. REGARDS instead drops beats whose date is over 60 s old, which makes skew matter.
 */
export async function recordHeartbeats(batch: NormalizedBatch, deps: RecordHeartbeatsDeps): Promise<RecordHeartbeatsReport> {
  const { logger } = deps;
  const now = deps.clock.now();
  const report: RecordHeartbeatsReport = { received: batch.messages.length, recorded: 0, invalid: 0, revived: [], redispatch: null };

  const beats: Heartbeat[] = [];
  for (const message of batch.messages) {
    const heartbeat = parseHeartbeat(message.headers, message.body);
    if (!heartbeat.ok) {
      report.invalid += 1;
      logger.warn('invalid heartbeat dropped', { reason: heartbeat.reason, queue: message.queue, bytes: message.body.length });
      continue;
    }
    const { workerType, instanceId, reportedAt } = heartbeat.value;
    beats.push({ workerType, instanceId, receivedAt: now, reportedAt });
  }
  report.recorded = beats.length;
  if (beats.length === 0) return report;

  // A store failure here throws: the batch is redelivered and the beats recorded then.
  const { revived } = await deps.registry.record(beats, now);
  report.revived = revived;
  if (revived.length === 0) return report;

  deps.liveness.invalidate();
  logger.info('worker types came alive: re-dispatching their waiting requests', { revived });
  try {
    const tenants = await deps.configStore.listTenants();
    report.redispatch = await redispatchWaiting(
      { tenants, workerTypes: revived, includeUnrouted: false, limit: deps.revivalRedispatchLimit ?? DEFAULT_REVIVAL_REDISPATCH_LIMIT },
      deps,
    );
    if (report.redispatch.continuation !== undefined) {
      logger.info('more requests wait than one invocation re-dispatches; the sweeper takes the rest', { revived, examined: report.redispatch.examined });
    }
  } catch (error) {
    // Not rethrown: the registry reports a revival once, so a redelivered batch would not retry
    // this; the sweeper's safety net re-dispatches the waiting requests of every alive type.
    logger.error('re-dispatch after a revival failed; the sweeper will pick the requests up', { revived, error });
  }
  return report;
}
