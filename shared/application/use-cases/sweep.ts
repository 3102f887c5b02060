import type { JobLauncher } from '../../ports/job-launcher.js';
import type { JobStore } from '../../ports/job-store.js';
import { DEADLINE_HANDLERS } from './enforce-deadlines.js';
import { z } from 'zod';
import type { ConfigStore } from '../../ports/config-store.js';
import type { WorkerRegistry } from '../../ports/worker-registry.js';
import type { Request } from '../../domain/request/request.js';
import type { RequestStatus } from '../../contract/status.js';
import { BatchEffects } from '../services/batch-effects.js';
import type { TenantView } from '../services/tenant-configs.js';
import {
  redispatchRequests,
  redispatchWaiting,
  RedispatchContinuationSchema,
  type RedispatchReport,
  type RedispatchWaitingDeps,
} from './redispatch-waiting.js';

// sweep handler (schedule) --> (use case) --> WorkerRegistry, redispatchWaiting, due handlers

/** Where the due listing of a previous run stopped. */
export const DueContinuationSchema = z.object({ tenant: z.string().min(1), cursor: z.string().min(1).optional() });
export type DueContinuation = z.infer<typeof DueContinuationSchema>;

/**
 * Where the previous run stopped, kept by the warm function between runs. Losing it (a cold
 * start) only means starting the lists over; nothing is skipped for good.
 */
export const SweepProgressSchema = z.object({
  waiting: RedispatchContinuationSchema.optional(),
  due: DueContinuationSchema.optional(),
});
export type SweepProgress = z.infer<typeof SweepProgressSchema>;

export interface SweepLimits {
  /** Waiting requests listed per run by the safety-net re-dispatch. */
  waiting: number;
  /** Due requests listed per run. */
  due: number;
  /** Keys per listing page. */
  pageSize: number;
}

export const DEFAULT_SWEEP_LIMITS: SweepLimits = { waiting: 1000, due: 1000, pageSize: 100 };

export interface DueContext {
  view: TenantView;
  isAlive: (workerType: string) => boolean;
  now: Date;
  /** Work items, responses and counters of the writes that won; flushed once per page after every handler ran. */
  effects: BatchEffects;
  deps: SweepDeps;
}

export interface DueOutcome {
  /** Requests written. */
  handled: number;
  /** Requests dispatched (work item sent). */
  dispatched: number;
  /** Lost version races: another writer moved the request first; nothing was sent for it. */
  conflicts: number;
}

/**
 * Handles the due requests of one status, one page of one tenant at a time. Every request passed
 * has that status and a deadline at or before `now` as read (consistently) from the store; the
 * handler writes conditionally on the version read and adds the effects of its winning writes.
 */
export type DueHandler = (requests: readonly Request[], context: DueContext) => Promise<DueOutcome>;
export type DueHandlers = Partial<Record<RequestStatus, DueHandler>>;

export interface SweepDeps extends RedispatchWaitingDeps {
  registry: WorkerRegistry;
  configStore: ConfigStore;
  /** Read at the start of a run and updated at its end. */
  progress?: SweepProgress;
  /**
   * Handlers of due requests by status, merged over DEFAULT_DUE_HANDLERS (which cover every status
   * that carries a deadline); a due request of a status with no handler is counted as unhandled.
   */
  dueHandlers?: DueHandlers;
  limits?: Partial<SweepLimits>;
  /** Bulk jobs and how to start them: when given, jobs that stopped moving are resumed. */
  bulkJobs?: { jobs: JobStore; launcher: JobLauncher };
}

export interface DueReport {
  examined: number;
  handled: number;
  dispatched: number;
  conflicts: number;
  /** Due requests of a status nobody handles yet, by status. */
  unhandled: Partial<Record<RequestStatus, number>>;
  /** Listed but, read again, not due any more (or gone): index lag or another writer. */
  stale: number;
  continuation?: DueContinuation;
}

export interface SweepFailure {
  step: 'expire' | 'tenants' | 'waiting' | 'due' | 'jobs';
  tenant?: string;
  message: string;
}

export interface SweepReport {
  expired: { removedInstances: number; deadTypes: string[] } | null;
  /** Null when the tenants could not be listed. */
  waiting: RedispatchReport | null;
  due: DueReport;
  /** Bulk jobs found stalled and started again. */
  resumedJobs: number;
  failures: SweepFailure[];
}

export const WAITING_RECHECK_EVENT = 'waiting-recheck';

/** A waiting request whose recheck is due: dispatched if its worker is alive now, else rechecked later. */
export const recheckWaiting: DueHandler = async (requests, context) => {
  const tally = await redispatchRequests(requests, {
    view: context.view,
    isAlive: context.isAlive,
    now: context.now,
    settings: context.deps.settings,
    requests: context.deps.requests,
    effects: context.effects,
    bus: context.deps.bus,
    historyEvent: WAITING_RECHECK_EVENT,
  });
  return { handled: tally.dispatched + tally.rerouted + tally.rescheduled, dispatched: tally.dispatched, conflicts: tally.conflicts };
};

export const DEFAULT_DUE_HANDLERS: DueHandlers = { ...DEADLINE_HANDLERS, NO_WORKER_AVAILABLE: recheckWaiting };

/**
 * One sweeper run, every step bounded and resumable:
 *  (a) expire worker instances past the heartbeat expiry;
 *  (b) safety net: re-dispatch the waiting requests of every alive worker type, and re-route the
 *      unrouted ones with the current configuration, in every tenant;
 *  (c) handle the requests whose deadline passed, by status (see DueHandlers).
 * A failing step or tenant is logged and reported; the others go on, and the next run retries.
 */
export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const { logger } = deps;
  const limits = { ...DEFAULT_SWEEP_LIMITS, ...deps.limits };
  const now = deps.clock.now();
  const progress = deps.progress ?? {};
  const failures: SweepFailure[] = [];
  const fail = (step: SweepFailure['step'], error: unknown, tenant?: string) => {
    failures.push({ step, ...(tenant === undefined ? {} : { tenant }), message: error instanceof Error ? error.message : String(error) });
    logger.error(`sweep step ${step} failed`, { step, tenant, error });
  };
  const report: SweepReport = { expired: null, waiting: null, due: emptyDueReport(), resumedJobs: 0, failures };

  try {
    report.expired = await deps.registry.expire(now);
    if (report.expired.deadTypes.length > 0) logger.info('worker types died: no instance beat within the expiry', { deadTypes: report.expired.deadTypes });
  } catch (error) {
    fail('expire', error);
  }
  // Requests must see the types that just died as dead, and those revived since the last read as alive.
  deps.liveness.invalidate();

  let tenants: string[];
  try {
    tenants = await deps.configStore.listTenants();
  } catch (error) {
    fail('tenants', error);
    return report;
  }

  try {
    const alive = await deps.liveness.aliveTypes();
    report.waiting = await redispatchWaiting(
      {
        tenants,
        workerTypes: [...alive.keys()],
        includeUnrouted: true,
        limit: limits.waiting,
        pageSize: limits.pageSize,
        continuation: progress.waiting,
      },
      deps,
    );
    for (const tenant of report.waiting.failedTenants) failures.push({ step: 'waiting', tenant, message: 'see the error logged for this tenant' });
    progress.waiting = report.waiting.continuation;
  } catch (error) {
    fail('waiting', error);
  }

  report.due = await sweepDue(tenants, now, limits, progress.due, deps, fail);
  progress.due = report.due.continuation;

  if (deps.bulkJobs !== undefined) report.resumedJobs = await resumeStalledJobs(tenants, now, deps.bulkJobs, deps.settings.bulkJobStallSeconds * 1000, fail);

  const summary = {
    removedInstances: report.expired?.removedInstances,
    waitingDispatched: report.waiting?.dispatched,
    dueExamined: report.due.examined,
    dueHandled: report.due.handled,
    dueUnhandled: report.due.unhandled,
    resumedJobs: report.resumedJobs,
    failures: failures.length,
  };
  // Locally the sweep runs every few seconds: quiet unless it did something.
  const acted = (report.expired?.removedInstances ?? 0) + (report.waiting?.dispatched ?? 0) + report.due.handled + report.resumedJobs + failures.length > 0;
  if (acted) logger.info('sweep done', summary);
  else logger.debug('sweep done, nothing to do', summary);
  return report;
}

/** The newest jobs of a tenant looked at per run: a stalled job is among the recent ones. */
const JOBS_PER_TENANT = 20;

/**
 * A bulk job is carried forward by its own runs (each hands over to the next); one whose runs all
 * died (Lambda's retries spent, the local host restarted) stops being updated. Nothing waits
 * forever: such a job is started again from its saved cursor. A runner that is in fact still
 * alive loses nothing to this: two runners on one job never change a request twice.
 */
async function resumeStalledJobs(
  tenants: readonly string[],
  now: Date,
  bulkJobs: { jobs: JobStore; launcher: JobLauncher },
  stallMs: number,
  fail: (step: 'jobs', error: unknown, tenant: string) => void,
): Promise<number> {
  let resumed = 0;
  for (const tenant of tenants) {
    try {
      const { items } = await bulkJobs.jobs.list(tenant, { limit: JOBS_PER_TENANT });
      for (const job of items) {
        const active = job.status === 'PENDING' || job.status === 'RUNNING';
        if (!active || now.getTime() - Date.parse(job.updatedAt) < stallMs) continue;
        await bulkJobs.launcher.launch({ tenant, jobId: job.id });
        resumed += 1;
      }
    } catch (error) {
      fail('jobs', error, tenant);
    }
  }
  return resumed;
}

function emptyDueReport(): DueReport {
  return { examined: 0, handled: 0, dispatched: 0, conflicts: 0, unhandled: {}, stale: 0 };
}

async function sweepDue(
  tenants: readonly string[],
  now: Date,
  limits: SweepLimits,
  continuation: DueContinuation | undefined,
  deps: SweepDeps,
  fail: (step: 'due', error: unknown, tenant: string) => void,
): Promise<DueReport> {
  const report = emptyDueReport();
  const handlers: DueHandlers = { ...DEFAULT_DUE_HANDLERS, ...deps.dueHandlers };
  const ordered = [...new Set(tenants)].sort();
  // Resume at the tenant that was being read, or at the first after it when it is gone.
  const startAt = continuation === undefined ? 0 : ordered.findIndex((tenant) => tenant >= continuation.tenant);
  if (startAt === -1) return report;
  let alive: ReadonlyMap<string, unknown> | undefined;

  for (let index = startAt; index < ordered.length; index += 1) {
    const tenant = ordered[index];
    if (tenant === undefined) continue;
    let cursor = continuation !== undefined && tenant === continuation.tenant ? continuation.cursor : undefined;
    try {
      const view = await deps.tenants.get(tenant);
      alive ??= await deps.liveness.aliveTypes();
      const known = alive;
      do {
        if (report.examined >= limits.due) {
          report.continuation = { tenant, ...(cursor === undefined ? {} : { cursor }) };
          return report;
        }
        const page = await deps.requests.listDue(tenant, now, { limit: Math.min(limits.pageSize, limits.due - report.examined), cursor });
        report.examined += page.items.length;
        if (page.items.length > 0) {
          const loaded = await deps.requests.getAll(tenant, page.items.map((key) => key.requestId));
          const byStatus = new Map<RequestStatus, Request[]>();
          for (const request of loaded.values()) {
            // The listing is an index that may lag; only what the consistent read says is due is handled.
            if (request.deadline === null || Date.parse(request.deadline) > now.getTime()) continue;
            byStatus.set(request.status, [...(byStatus.get(request.status) ?? []), request]);
          }
          report.stale += page.items.length - [...byStatus.values()].reduce((sum, list) => sum + list.length, 0);
          const effects = new BatchEffects(deps.settings.names, now);
          for (const [status, requests] of byStatus) {
            const handler = handlers[status];
            if (handler === undefined) {
              report.unhandled[status] = (report.unhandled[status] ?? 0) + requests.length;
              continue;
            }
            const outcome = await handler(requests, { view, isAlive: (type) => known.has(type), now, effects, deps });
            report.handled += outcome.handled;
            report.dispatched += outcome.dispatched;
            report.conflicts += outcome.conflicts;
          }
          await effects.flush(deps);
        }
        cursor = page.cursor;
      } while (cursor !== undefined);
    } catch (error) {
      fail('due', error, tenant);
    }
  }
  return report;
}
