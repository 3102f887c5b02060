import { drainUnlimited, fillFreeSlots, reconcileSlots, type FillReport, type ReconcileReport } from './fill-slots.js';
import * as z from 'zod';
import type { ConfigStore } from '../../ports/config-store.js';
import type { JobLauncher } from '../../ports/job-launcher.js';
import type { JobStore } from '../../ports/job-store.js';
import type { WorkerRegistry } from '../../ports/worker-registry.js';
import { QueryBudget, TENANT_PAGE_SIZE } from '../services/query-budget.js';
import { DueContinuationSchema, emptyDueReport, enforceDeadlines, StartChecks, type DueDeps, type DueHandlers, type DueReport } from './enforce-deadlines.js';
import {
  addTally,
  emptyTally,
  redispatchWaiting,
  RedispatchContinuationSchema,
  type RedispatchReport,
  type RedispatchWaitingDeps,
} from './redispatch-waiting.js';

// sweep handler (schedule) --> (use case) --> WorkerRegistry, redispatchWaiting, enforceDeadlines, JobLauncher

/**
 * Where one step's walk over the tenant registry stands: the tenant it left half done (`at`, with
 * the place inside it), else the last tenant it finished (`after`). The next run goes on from
 * there and wraps around at the end of the registry, so every tenant is visited in turn however
 * few fit in one run.
 */
function rotationSchema<C extends z.ZodType<{ tenant: string }>>(at: C) {
  return z.object({ after: z.string().min(1).optional(), at: at.optional() });
}

const JobsContinuationSchema = z.object({ tenant: z.string().min(1) });

/**
 * Where the previous run stopped, kept by the warm function between runs. Losing it (a cold
 * start) only means starting the lists over; nothing is skipped for good.
 */
export const SweepProgressSchema = z.object({
  waiting: rotationSchema(RedispatchContinuationSchema).optional(),
  due: rotationSchema(DueContinuationSchema).optional(),
  jobs: rotationSchema(JobsContinuationSchema).optional(),
  slots: rotationSchema(JobsContinuationSchema).optional(),
});
export type SweepProgress = z.infer<typeof SweepProgressSchema>;
type Rotation<C extends { tenant: string }> = { after?: string | undefined; at?: C | undefined };

export interface SweepLimits {
  /** Waiting requests listed per run by the safety-net re-dispatch. */
  waiting: number;
  /** Due requests listed per run. */
  due: number;
  /** Keys per listing page. */
  pageSize: number;
  /**
   * Store queries per run over all tenants (registry pages, tenant views, listing pages and the
   * reads of what they listed, bulk job lists); default: the `sweepQueryBudget` setting.
   */
  queries?: number;
}

export const DEFAULT_SWEEP_LIMITS: SweepLimits = { waiting: 1000, due: 1000, pageSize: 100 };

/**
 * How a run's query budget is shared: the due requests (deadlines, retries, rechecks) get what the
 * safety-net re-dispatch leaves, bulk jobs a reserved part.
 */
const WAITING_SHARE = 0.3;
/**
 * Fair dispatch's safety net (slot queues of registry tenants not noted waiting) gets a reserved
 * part while limits are set, each tenant counted at a listing per index shard.
 */
const SLOTS_SHARE = 0.2;
const SLOT_QUERIES_PER_TENANT = 4;
const JOBS_SHARE = 0.1;

export interface SweepDeps extends RedispatchWaitingDeps, Pick<DueDeps, 'queueDepths'> {
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
  step: 'expire' | 'tenants' | 'waiting' | 'due' | 'jobs' | 'slots';
  tenant?: string;
  message: string;
}

export interface SweepReport {
  expired: { removedInstances: number; deadTypes: string[] } | null;
  /** Null when the alive worker types could not be read. */
  waiting: RedispatchReport | null;
  due: DueReport;
  /** Bulk jobs found stalled and started again. */
  resumedJobs: number;
  /** Store queries this run spent on tenants, out of its budget. */
  queries: { spent: number; budget: number };
  /** Tenants each step visited (wholly or in part) in this run. */
  tenantsVisited: { waiting: number; due: number; jobs: number };
  failures: SweepFailure[];
  /** Fair dispatch: counters healed and waiting requests dispatched to free slots (absent without limits). */
  slots?: {
    reconciled?: ReconcileReport;
    filled?: FillReport;
    /** Requests of worker types whose limit was removed while they waited, dispatched without slots. */
    released?: FillReport;
  };
}

/**
 * One sweeper run, every step bounded and resumable:
 *  (a) expire worker instances past the heartbeat expiry;
 *  (b) safety net: re-dispatch the waiting requests of every alive worker type, and re-route the
 *      unrouted ones with the current configuration, tenant after tenant;
 *  (c) handle the requests whose deadline passed (see enforceDeadlines), tenant after tenant;
 *  (d) start again the bulk jobs whose runs all died.
 * Steps (b) to (d) share a budget of store queries and each walks the tenant registry from where
 * its previous run stopped: a run costs the same with 3,000 tenants as with 30; covering them all
 * takes more runs. A failing step or tenant is logged and reported; the others go on, and the
 * next run retries.
 */
export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const { logger } = deps;
  const limits = { ...DEFAULT_SWEEP_LIMITS, ...deps.limits };
  const now = deps.clock.now();
  const progress = deps.progress ?? {};
  const budget = new QueryBudget(limits.queries ?? deps.settings.sweepQueryBudget);
  const failures: SweepFailure[] = [];
  const fail = (step: SweepFailure['step'], error: unknown, tenant?: string) => {
    failures.push({ step, ...(tenant === undefined ? {} : { tenant }), message: error instanceof Error ? error.message : String(error) });
    logger.error(`sweep step ${step} failed`, { step, tenant, error });
  };
  const report: SweepReport = {
    expired: null,
    waiting: null,
    due: emptyDueReport(),
    resumedJobs: 0,
    queries: { spent: 0, budget: budget.limit },
    tenantsVisited: { waiting: 0, due: 0, jobs: 0 },
    failures,
  };
  // The registry is read once per step at most: unreadable, it is reported once and the run stops there.
  let registryDown = false;
  const walk = async <C extends { tenant: string }>(rotation: Rotation<C> | undefined, part: QueryBudget, visit: Visit<C>): Promise<Walked<C>> => {
    if (registryDown) return { rotation: rotation ?? {}, visited: 0, registryFailed: true };
    return walkTenants(deps, rotation, part, visit, (error) => {
      registryDown = true;
      fail('tenants', error);
    });
  };

  try {
    report.expired = await deps.registry.expire(now);
    if (report.expired.deadTypes.length > 0) logger.info('worker types died: no instance beat within the expiry', { deadTypes: report.expired.deadTypes });
  } catch (error) {
    fail('expire', error);
  }
  // Requests must see the types that just died as dead, and those revived since the last read as alive.
  deps.liveness.invalidate();

  // Read once per run: each tenant's visit would otherwise read the registry again.
  let alive: ReadonlyMap<string, unknown> | undefined;
  try {
    alive = await deps.liveness.aliveTypes();
    const workerTypes = [...alive.keys()];
    const waiting: RedispatchReport = { examined: 0, ...emptyTally(), failedTenants: [] };
    const part = budget.slice(Math.floor(budget.limit * WAITING_SHARE));
    const walked = await walk(progress.waiting, part, async (tenant, resume) => {
      const one = await redispatchWaiting(
        {
          tenants: [tenant],
          workerTypes,
          includeUnrouted: true,
          limit: limits.waiting - waiting.examined,
          pageSize: limits.pageSize,
          continuation: resume,
          budget: part,
          alive,
        },
        deps,
      );
      const { examined, failedTenants, continuation, ...tally } = one;
      waiting.examined += examined;
      addTally(waiting, tally);
      waiting.failedTenants.push(...failedTenants);
      return continuation;
    });
    progress.waiting = kept(walked.rotation);
    report.tenantsVisited.waiting = walked.visited;
    if (walked.rotation.at !== undefined) waiting.continuation = walked.rotation.at;
    if (!walked.registryFailed || walked.visited > 0) report.waiting = waiting;
    for (const tenant of waiting.failedTenants) failures.push({ step: 'waiting', tenant, message: 'see the error logged for this tenant' });
  } catch (error) {
    fail('waiting', error);
  }

  const jobsReserve = deps.bulkJobs === undefined ? 0 : Math.floor(budget.limit * JOBS_SHARE);
  const limited = Object.keys(deps.settings.fairDispatch.workerTypes).length > 0;
  const slotsReserve = deps.slots !== undefined && limited ? Math.floor(budget.limit * SLOTS_SHARE) : 0;
  const duePart = budget.slice(Math.max(0, budget.remaining - jobsReserve - slotsReserve));
  // One look at each worker queue per run, whichever tenants' requests fell due on it.
  const startChecks = new StartChecks(deps.queueDepths, deps.settings.names);
  const dueWalk = await walk(progress.due, duePart, async (tenant, resume) => {
    const one = await enforceDeadlines(
      [tenant],
      now,
      { due: limits.due - report.due.examined, pageSize: limits.pageSize, budget: duePart, alive, startChecks },
      resume,
      deps,
      fail,
    );
    mergeDue(report.due, one);
    return one.continuation;
  });
  progress.due = kept(dueWalk.rotation);
  report.tenantsVisited.due = dueWalk.visited;
  if (dueWalk.rotation.at !== undefined) report.due.continuation = dueWalk.rotation.at;

  // After the deadlines, whose time-outs free slots.
  if (deps.slots !== undefined) {
    try {
      const counted = limited || (await deps.slots.listWorkerTypes(1)).length > 0;
      // Beyond the tenants the counters name (noted waiting, holding slots), a slice of the
      // registry per run, in turn: the safety net for a lost note, bounded whatever the tenants.
      const tenants: string[] = [];
      if (counted) {
        const slotsPart = budget.slice(Math.min(budget.remaining, Math.max(slotsReserve, SLOT_QUERIES_PER_TENANT + 1)));
        const netWalk = await walk(progress.slots, slotsPart, async (tenant) => {
          if (!slotsPart.take(SLOT_QUERIES_PER_TENANT)) return { tenant };
          tenants.push(tenant);
          return undefined;
        });
        progress.slots = kept(netWalk.rotation);
      }
      if (limited) {
        const reconciled = await reconcileSlots(tenants, deps);
        report.slots = { reconciled, filled: await fillFreeSlots(deps, { tenants }) };
      }
      // A limit removed (or lowered to none) while requests waited: they go now, without slots.
      if (counted) {
        const released = await drainUnlimited(deps, { tenants });
        if (released.dispatched + released.stale + released.conflicts + released.failedWorkerTypes.length > 0) report.slots = { ...report.slots, released };
      }
    } catch (error) {
      fail('slots', error);
    }
  }

  if (deps.bulkJobs !== undefined) {
    const { jobs, launcher } = deps.bulkJobs;
    const jobsPart = budget.slice(budget.remaining);
    const stallMs = deps.settings.bulkJobStallSeconds * 1000;
    const jobsWalk = await walk(progress.jobs, jobsPart, async (tenant) => {
      if (!jobsPart.take(1)) return { tenant };
      report.resumedJobs += await resumeStalledJobs(tenant, now, { jobs, launcher }, stallMs, fail);
      return undefined;
    });
    progress.jobs = kept(jobsWalk.rotation);
    report.tenantsVisited.jobs = jobsWalk.visited;
  }
  report.queries.spent = budget.spent;

  const summary = {
    removedInstances: report.expired?.removedInstances,
    waitingDispatched: report.waiting?.dispatched,
    dueExamined: report.due.examined,
    dueHandled: report.due.handled,
    dueUnhandled: report.due.unhandled,
    resumedJobs: report.resumedJobs,
    queries: report.queries.spent,
    tenantsVisited: report.tenantsVisited,
    failures: failures.length,
  };
  // Locally the sweep runs every few seconds: quiet unless it did something.
  const acted = (report.expired?.removedInstances ?? 0) + (report.waiting?.dispatched ?? 0) + report.due.handled + report.resumedJobs + failures.length > 0;
  if (acted) logger.info('sweep done', summary);
  else logger.debug('sweep done, nothing to do', summary);
  return report;
}

/** A rotation back at the start of the registry is kept as nothing at all. */
function kept<C extends { tenant: string }>(rotation: Rotation<C>): Rotation<C> | undefined {
  return rotation.after === undefined && rotation.at === undefined ? undefined : rotation;
}

function mergeDue(into: DueReport, from: DueReport): void {
  into.examined += from.examined;
  into.handled += from.handled;
  into.dispatched += from.dispatched;
  into.conflicts += from.conflicts;
  into.stale += from.stale;
  for (const [status, count] of Object.entries(from.unhandled) as [keyof DueReport['unhandled'], number][]) {
    into.unhandled[status] = (into.unhandled[status] ?? 0) + count;
  }
}

/** Does a step's work in one tenant, from `resume` when given; returns where it stopped when it could not finish. */
type Visit<C extends { tenant: string }> = (tenant: string, resume: C | undefined) => Promise<C | undefined>;

interface Walked<C extends { tenant: string }> {
  rotation: Rotation<C>;
  visited: number;
  /** The registry could not be read: the rotation kept is where the walk stood (visits are idempotent). */
  registryFailed?: boolean;
}

/**
 * Walks the tenant registry a page at a time from where the rotation stands, visiting each tenant
 * at most once per run, until a visit stops (budget or item limit spent), the budget cannot pay
 * the next registry page, or every tenant was visited. Returns the rotation to keep.
 */
async function walkTenants<C extends { tenant: string }>(
  { configStore: store, tenants }: Pick<SweepDeps, 'configStore' | 'tenants'>,
  rotation: Rotation<C> | undefined,
  budget: QueryBudget,
  visit: Visit<C>,
  registryFailed: (error: unknown) => void,
): Promise<Walked<C>> {
  const seen = new Set<string>();
  let after = rotation?.after;
  const here = (): Rotation<C> => (after === undefined ? {} : { after });
  if (rotation?.at !== undefined) {
    const { tenant } = rotation.at;
    seen.add(tenant);
    const stopped = await visit(tenant, rotation.at);
    if (stopped !== undefined) return { rotation: { at: stopped }, visited: seen.size };
    after = tenant;
  }
  let wrapped = false;
  for (;;) {
    if (!budget.take(1)) return { rotation: here(), visited: seen.size };
    let page;
    try {
      page = await store.listTenantPage({ after, limit: TENANT_PAGE_SIZE });
      tenants.noteListed(page.tenants);
    } catch (error) {
      registryFailed(error);
      return { rotation: here(), visited: seen.size, registryFailed: true };
    }
    for (const tenant of page.tenants) {
      // Around the registry once: the next run starts at this tenant.
      if (seen.has(tenant)) return { rotation: here(), visited: seen.size };
      seen.add(tenant);
      const stopped = await visit(tenant, undefined);
      if (stopped !== undefined) return { rotation: { at: stopped }, visited: seen.size };
      after = tenant;
    }
    if (page.next === undefined) {
      // The end of the registry: wrap around, once per run (an empty registry ends here).
      if (wrapped || seen.size === 0) return { rotation: {}, visited: seen.size };
      wrapped = true;
      after = undefined;
    }
  }
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
  tenant: string,
  now: Date,
  bulkJobs: { jobs: JobStore; launcher: JobLauncher },
  stallMs: number,
  fail: (step: 'jobs', error: unknown, tenant: string) => void,
): Promise<number> {
  let resumed = 0;
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
  return resumed;
}
