import * as z from 'zod';
import type { RequestStatus } from '../../contract/status.js';
import { workerRequestName, type WireNames } from '../../contract/wire-names.js';
import { DEFAULT_DEADLINES } from '../../domain/config/tenant-config.js';
import { applyDeadline, type StartCheck } from '../../domain/request/deadline-outcomes.js';
import type { Logger } from '../../kernel/logger.js';
import type { QueueDepths } from '../../ports/queue-depths.js';
import type { Request } from '../../domain/request/request.js';
import { BatchEffects } from '../services/batch-effects.js';
import { applyEventsSendingWorkItemsFirst } from '../services/request-events.js';
import type { TenantView } from '../services/tenant-configs.js';
import { QueryBudget } from '../services/query-budget.js';
import { redispatchRequests, type RedispatchWaitingDeps } from './redispatch-waiting.js';

// sweep --> (use case) --> RequestStore.listDue, outcomes (timeouts, retries, purges), redispatchRequests

/** Where the due listing of a previous run stopped. */
export const DueContinuationSchema = z.object({ tenant: z.string().min(1), cursor: z.string().min(1).optional() });
export type DueContinuation = z.infer<typeof DueContinuationSchema>;

export type DueDeps = RedispatchWaitingDeps & {
  /** Where a due time-to-start asks whether its worker queue still holds messages; without it, time-to-start expires as it falls due. */
  queueDepths?: QueueDepths | undefined;
};

/** Distinct worker queues one sweep run looks at, at most: a run costs a bounded number of broker round trips. */
export const DEFAULT_QUEUE_CHECKS_PER_RUN = 50;

/**
 * What a sweep run learnt about worker types whose requests' time-to-start fell due: each queue
 * is checked once per run, the queues of a page in one call, at most `limit` queues a run. A
 * worker type past the limit, or whose check failed, is "unknown": its requests' time-to-start is
 * pushed, not expired (the broker's silence is no proof that the work item is gone).
 */
export class StartChecks {
  private readonly known = new Map<string, StartCheck>();
  private asked = 0;

  public constructor(
    private readonly depths: QueueDepths | undefined,
    private readonly names: WireNames,
    private readonly limit = DEFAULT_QUEUE_CHECKS_PER_RUN,
  ) {}

  /** Queues of the given worker types looked at on the broker (once each per run); undefined when no broker can be asked. */
  public async prepare(workerTypes: Iterable<string>, isAlive: (workerType: string) => boolean, logger: Logger): Promise<void> {
    if (this.depths === undefined) return;
    const toAsk: string[] = [];
    for (const workerType of new Set(workerTypes)) {
      if (this.known.has(workerType)) continue;
      if (!isAlive(workerType)) this.known.set(workerType, { kind: 'no-live-worker' });
      else if (this.asked + toAsk.length >= this.limit)
        this.known.set(workerType, { kind: 'unknown', reason: `more than ${this.limit} worker queues to check in one sweep run` });
      else toAsk.push(workerType);
    }
    if (toAsk.length === 0) return;
    this.asked += toAsk.length;
    const queueOf = (workerType: string) => workerRequestName(this.names, workerType);
    try {
      const counts = await this.depths.messageCounts(toAsk.map(queueOf));
      for (const workerType of toAsk) {
        const queue = queueOf(workerType);
        // A queue the broker does not know holds nothing: its request could not have started.
        const messages = counts.get(queue) ?? 0;
        this.known.set(workerType, messages > 0 ? { kind: 'queued', queue, messages } : { kind: 'queue-empty', queue });
      }
    } catch (error) {
      logger.warn('could not read worker queue depths: due time-to-starts are pushed, not expired', { queues: toAsk.map(queueOf), error });
      for (const workerType of toAsk) this.known.set(workerType, { kind: 'unknown', reason: error instanceof Error ? error.message : String(error) });
    }
  }

  public of(workerType: string | null): StartCheck | undefined {
    if (this.depths === undefined) return undefined;
    return workerType === null ? { kind: 'no-live-worker' } : this.known.get(workerType);
  }
}

export interface DueContext {
  view: TenantView;
  isAlive: (workerType: string) => boolean;
  now: Date;
  /** Work items, responses and counters of the writes that won; flushed once per page after every handler ran. */
  effects: BatchEffects;
  deps: DueDeps;
  /** What the run learnt about the worker types of the page's DISPATCHED requests. */
  startChecks: StartChecks;
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
/** Handlers that replace the built-in one of a status; a status mapped to undefined is left unhandled. */
export type DueHandlers = Partial<Record<RequestStatus, DueHandler>>;

export interface DueReport {
  examined: number;
  handled: number;
  dispatched: number;
  conflicts: number;
  /** Due requests of a status nobody handles, by status. */
  unhandled: Partial<Record<RequestStatus, number>>;
  /** Listed but, read again, not due any more (or gone): index lag or another writer. */
  stale: number;
  continuation?: DueContinuation;
}

export interface DueLimits {
  /** Due requests listed per run. */
  due: number;
  /** Keys per listing page. */
  pageSize: number;
  /** Store queries the call may spend (a tenant's view, each listing page with its getAll); unbounded when absent. */
  budget?: QueryBudget | undefined;
  /** The alive worker types as the caller read them; read here when absent. */
  alive?: ReadonlyMap<string, unknown> | undefined;
  /** Worker queue checks shared by every call of one sweep run; a call makes its own when absent. */
  startChecks?: StartChecks | undefined;
}

export const WAITING_RECHECK_EVENT = 'waiting-recheck';

/**
 * A DISPATCHED or RUNNING request that never got its answer times out (retried by its worker
 * type's retry policy, else ERROR with the client told), a scheduled retry is dispatched, a
 * finished request whose row is due to go is purged.
 */
export const enforceDeadline: DueHandler = async (requests, context) => {
  const report = await applyEventsSendingWorkItemsFirst(
    requests.map((request) => ({ tenant: request.tenant, requestId: request.requestId, event: 'due' as const })),
    (request, _due, ctx) => applyDeadline(request, ctx, request.status === 'DISPATCHED' ? context.startChecks.of(request.dispatchedWorkerType) : undefined),
    context.deps,
    context.effects,
    // A retry the sweeper dispatches has no message to replay it: its work item goes first.
    { preloaded: requests },
  );
  return { handled: report.written + report.removedAfterAnswer, dispatched: report.dispatched, conflicts: report.retriedConflicts };
};

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
    metrics: context.deps.metrics,
    slots: context.deps.slots,
    historyEvent: WAITING_RECHECK_EVENT,
  });
  return { handled: tally.dispatched + tally.rerouted + tally.rescheduled, dispatched: tally.dispatched, conflicts: tally.conflicts };
};

/** Every status has a deadline: a waiting request's is its recheck, every other one's is enforced. */
function handlerOf(status: RequestStatus, replaced: DueHandlers): DueHandler | undefined {
  if (Object.hasOwn(replaced, status)) return replaced[status];
  return status === 'NO_WORKER_AVAILABLE' ? recheckWaiting : enforceDeadline;
}

export function emptyDueReport(): DueReport {
  return { examined: 0, handled: 0, dispatched: 0, conflicts: 0, unhandled: {}, stale: 0 };
}

/**
 * Handles the requests whose deadline passed, tenant by tenant in name order, page by page, at
 * most `limits.due` per call; the continuation says where the next call resumes. A failing tenant
 * is reported through `fail` and the others go on. With this, nothing waits forever.
 */
export async function enforceDeadlines(
  tenants: readonly string[],
  now: Date,
  limits: DueLimits,
  continuation: DueContinuation | undefined,
  deps: DueDeps & { dueHandlers?: DueHandlers | undefined },
  fail: (step: 'due', error: unknown, tenant: string) => void,
): Promise<DueReport> {
  const report = emptyDueReport();
  const ordered = [...new Set(tenants)].sort();
  // Resume at the tenant that was being read, or at the first after it when it is gone.
  const startAt = continuation === undefined ? 0 : ordered.findIndex((tenant) => tenant >= continuation.tenant);
  if (startAt === -1) return report;
  let alive: ReadonlyMap<string, unknown> | undefined = limits.alive;
  const budget = limits.budget ?? new QueryBudget(Number.MAX_SAFE_INTEGER);
  const pageCost = deps.requests.queriesPerListing + 1;
  const startChecks = limits.startChecks ?? new StartChecks(deps.queueDepths, deps.settings.names);

  for (const tenant of ordered.slice(startAt)) {
    let cursor = continuation !== undefined && tenant === continuation.tenant ? continuation.cursor : undefined;
    const stopHere = () => {
      report.continuation = { tenant, ...(cursor === undefined ? {} : { cursor }) };
      return report;
    };
    try {
      if (!budget.take(1)) return stopHere();
      const view = await deps.tenants.get(tenant);
      alive ??= await deps.liveness.aliveTypes();
      const known = alive;
      const context = { view, isAlive: (type: string) => known.has(type), now, deps, startChecks };
      do {
        if (report.examined >= limits.due || !budget.take(pageCost)) return stopHere();
        const page = await deps.requests.listDue(tenant, now, { limit: Math.min(limits.pageSize, limits.due - report.examined), cursor });
        report.examined += page.items.length;
        if (page.items.length === 0) budget.refund(1);
        if (page.items.length > 0)
          await handleDuePage(
            tenant,
            page.items.map((item) => item.requestId),
            context,
            deps.dueHandlers ?? {},
            report,
          );
        cursor = page.cursor;
      } while (cursor !== undefined);
    } catch (error) {
      fail('due', error, tenant);
    }
  }
  return report;
}

/** Reads a listed page again, hands what is still due to its status's handler, and flushes their effects. */
async function handleDuePage(
  tenant: string,
  requestIds: readonly string[],
  context: Omit<DueContext, 'effects'>,
  replaced: DueHandlers,
  report: DueReport,
): Promise<void> {
  const { deps, now } = context;
  const loaded = await deps.requests.getAll(tenant, requestIds);
  const byStatus = new Map<RequestStatus, Request[]>();
  const early: Request[] = [];
  for (const request of loaded.values()) {
    // The listing is an index that may lag or list early; only what the consistent read says is due is handled.
    if (request.deadline !== null && Date.parse(request.deadline) > now.getTime()) early.push(request);
    if (request.deadline === null || Date.parse(request.deadline) > now.getTime()) continue;
    byStatus.set(request.status, [...(byStatus.get(request.status) ?? []), request]);
  }
  // Listed before its deadline (the store kept an earlier entry when the deadline moved later): moved, so it is not listed again until due.
  if (early.length > 0) await deps.requests.refreshDue(early);
  report.stale += requestIds.length - [...byStatus.values()].reduce((sum, list) => sum + list.length, 0);
  // Only the worker types whose time-to-start may be pushed are looked at on the broker.
  const dispatchedTypes = (byStatus.get('DISPATCHED') ?? []).flatMap((request) => {
    const workerType = request.dispatchedWorkerType;
    const pushable = workerType !== null && (context.view.routing.workerConfig(workerType)?.deadlines ?? DEFAULT_DEADLINES).extendWhileQueued;
    return pushable ? [workerType] : [];
  });
  if (dispatchedTypes.length > 0) await context.startChecks.prepare(dispatchedTypes, context.isAlive, deps.logger);
  const effects = new BatchEffects(deps.settings.names, now);
  for (const [status, requests] of byStatus) {
    const handler = handlerOf(status, replaced);
    if (handler === undefined) {
      report.unhandled[status] = (report.unhandled[status] ?? 0) + requests.length;
      continue;
    }
    const outcome = await handler(requests, { ...context, effects });
    report.handled += outcome.handled;
    report.dispatched += outcome.dispatched;
    report.conflicts += outcome.conflicts;
  }
  await effects.flush(deps);
}
