import * as z from 'zod';
import type { ConfigStore } from '../../ports/config-store.js';
import type { JobLauncher } from '../../ports/job-launcher.js';
import type { JobStore } from '../../ports/job-store.js';
import type { WorkerRegistry } from '../../ports/worker-registry.js';
import { DueContinuationSchema, emptyDueReport, enforceDeadlines, type DueHandlers, type DueReport } from './enforce-deadlines.js';
import { redispatchWaiting, RedispatchContinuationSchema, type RedispatchReport, type RedispatchWaitingDeps } from './redispatch-waiting.js';

// sweep handler (schedule) --> (use case) --> WorkerRegistry, redispatchWaiting, enforceDeadlines, JobLauncher

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

export interface SweepDeps extends RedispatchWaitingDeps {
  registry: WorkerRegistry;
  configStore: ConfigStore;
  /** Read at the start of a run and updated at its end. */
  progress?: SweepProgress;
  /**
   * Handlers that replace the built-in one of a status (see enforceDeadlines); a due request of a
   * status mapped to undefined is counted as unhandled.
   */
  dueHandlers?: DueHandlers;
  limits?: Partial<SweepLimits>;
  /** Bulk jobs and how to start them: when given, jobs that stopped moving are resumed. */
  bulkJobs?: { jobs: JobStore; launcher: JobLauncher };
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

/**
 * One sweeper run, every step bounded and resumable:
 *  (a) expire worker instances past the heartbeat expiry;
 *  (b) safety net: re-dispatch the waiting requests of every alive worker type, and re-route the
 *      unrouted ones with the current configuration, in every tenant;
 *  (c) handle the requests whose deadline passed (see enforceDeadlines);
 *  (d) start again the bulk jobs whose runs all died.
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

  report.due = await enforceDeadlines(tenants, now, limits, progress.due, deps, fail);
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
