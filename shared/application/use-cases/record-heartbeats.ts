import type { NormalizedBatch } from '../../contract/amazon-mq-event.js';
import { parseHeartbeat } from '../../contract/heartbeat.js';
import type { ConfigStore } from '../../ports/config-store.js';
import type { Heartbeat, WorkerRegistry } from '../../ports/worker-registry.js';
import { QueryBudget, TENANT_PAGE_SIZE } from '../services/query-budget.js';
import { fillFreeSlots } from './fill-slots.js';
import { addTally, emptyTally, redispatchWaiting, type RedispatchReport, type RedispatchWaitingDeps } from './redispatch-waiting.js';

// record-heartbeats handler --> (use case) --> WorkerRegistry, then redispatchWaiting on a revival

export interface RecordHeartbeatsDeps extends RedispatchWaitingDeps {
  registry: WorkerRegistry;
  configStore: ConfigStore;
  /** Waiting requests listed at most per invocation after a revival; the sweeper takes the rest. */
  revivalRedispatchLimit?: number;
  /** Store queries the re-dispatch after a revival may spend; default: the `revivalQueryBudget` setting. */
  revivalQueryBudget?: number;
  /** When the registry-full warning may be logged again; default: one per warm process, once a minute. */
  capWarnings?: WarningThrottle;
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
  /** Instances whose beats the registry refused, being full (worker type or instance caps); a warning is logged, at most once a minute. */
  dropped: number;
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
  const report: RecordHeartbeatsReport = { received: batch.messages.length, recorded: 0, invalid: 0, revived: [], redispatch: null, dropped: 0 };

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
  const { revived, dropped } = await deps.registry.record(beats, now);
  report.revived = revived;
  report.dropped = dropped.beats;
  if (dropped.beats > 0 && (deps.capWarnings ?? capWarnings).due(now)) {
    logger.warn('heartbeats dropped: the worker registry is full (maxWorkerTypes / maxWorkerInstancesPerType)', {
      dropped: dropped.beats,
      workerTypes: dropped.workerTypes.slice(0, 10),
      maxWorkerTypes: deps.settings.maxWorkerTypes,
      maxWorkerInstancesPerType: deps.settings.maxWorkerInstancesPerType,
    });
  }
  if (revived.length === 0) return report;

  deps.liveness.invalidate();
  logger.info('worker types came alive: re-dispatching their waiting requests', { revived });
  try {
    const { redispatch, complete } = await redispatchRevived(revived, deps);
    report.redispatch = redispatch;
    // Those held behind requests already waiting for a slot get their turn now if slots are free
    // (one counter read per revived limited type; nothing without limits).
    await fillFreeSlots(deps, { workerTypes: revived });
    if (!complete) {
      logger.info('more requests wait than one invocation re-dispatches; the sweeper takes the rest', { revived, examined: redispatch.examined });
    }
  } catch (error) {
    // Not rethrown: the registry reports a revival once, so a redelivered batch would not retry
    // this; the sweeper's safety net re-dispatches the waiting requests of every alive type.
    logger.error('re-dispatch after a revival failed; the sweeper will pick the requests up', { revived, error });
  }
  return report;
}

/**
 * The waiting requests of the revived types, tenant page after tenant page, within the revival's
 * query and item budgets: a revival costs the same however many tenants exist, and the sweeper's
 * safety net (which visits every alive type's waiting list in turn) takes what did not fit.
 */
async function redispatchRevived(revived: readonly string[], deps: RecordHeartbeatsDeps): Promise<{ redispatch: RedispatchReport; complete: boolean }> {
  const budget = new QueryBudget(deps.revivalQueryBudget ?? deps.settings.revivalQueryBudget);
  const limit = deps.revivalRedispatchLimit ?? DEFAULT_REVIVAL_REDISPATCH_LIMIT;
  const total: RedispatchReport = { examined: 0, ...emptyTally(), failedTenants: [] };
  let after: string | undefined;
  let alive: ReadonlyMap<string, unknown> | undefined;
  for (;;) {
    if (!budget.take(1)) return { redispatch: total, complete: false };
    const page = await deps.configStore.listTenantPage({ after, limit: TENANT_PAGE_SIZE });
    deps.tenants.noteListed(page.tenants);
    alive ??= await deps.liveness.aliveTypes();
    const one = await redispatchWaiting(
      { tenants: page.tenants, workerTypes: revived, includeUnrouted: false, limit: limit - total.examined, budget, alive },
      deps,
    );
    const { examined, failedTenants, continuation, ...tally } = one;
    total.examined += examined;
    addTally(total, tally);
    total.failedTenants.push(...failedTenants);
    if (continuation !== undefined) return { redispatch: { ...total, continuation }, complete: false };
    if (page.next === undefined) return { redispatch: total, complete: true };
    after = page.next;
  }
}

/** Says yes at most once per period: a flood of invented workers must not flood the logs too. */
export class WarningThrottle {
  private last = Number.NEGATIVE_INFINITY;

  public constructor(private readonly periodMs: number) {}

  public due(now: Date): boolean {
    if (now.getTime() - this.last < this.periodMs) return false;
    this.last = now.getTime();
    return true;
  }
}

/** Per warm process, like the caches. */
const capWarnings = new WarningThrottle(60_000);
