import * as z from 'zod';
import type { ManagerSettings } from '../../contract/manager-settings.js';
import type { Logger } from '../../kernel/logger.js';
import type { MessageBus } from '../../ports/message-bus.js';
import type { Metrics } from '../../ports/metrics.js';
import type { RequestStore } from '../../ports/request-store.js';
import { planDispatch } from '../../domain/request/dispatch.js';
import type { Request } from '../../domain/request/request.js';
import { BatchEffects, sendWorkItemsFirst } from '../services/batch-effects.js';
import { newDispatchToken } from '../services/dispatch-token.js';
import type { RequestFlowDeps } from '../services/request-events.js';
import type { TenantView } from '../services/tenant-configs.js';
import { QueryBudget } from '../services/query-budget.js';
import { SlotGate } from '../services/slot-gate.js';
import { holdForSlot } from '../../domain/request/slot-wait.js';
import type { SlotStore } from '../../ports/slot-store.js';

// record-heartbeats, sweep --> (use case) --> domain, RequestStore, MessageBus, CounterStore

export type RedispatchWaitingDeps = RequestFlowDeps;

/** Where a bounded call stopped: the waiting list (tenant, worker type or null for unrouted) and the cursor inside it. */
export const RedispatchContinuationSchema = z.object({
  tenant: z.string().min(1),
  workerType: z.string().min(1).nullable(),
  cursor: z.string().min(1).optional(),
});
export type RedispatchContinuation = z.infer<typeof RedispatchContinuationSchema>;

export interface RedispatchScope {
  tenants: readonly string[];
  /** The waiting lists of these worker types are visited in every tenant. */
  workerTypes: readonly string[];
  /**
   * Also visit each configured tenant's unrouted requests (stored before a configuration routed
   * their content type). REGARDS never re-dispatches those on its own; here they are re-routed
   * with the current configuration.
   */
  includeUnrouted: boolean;
  /** Most requests listed by this call; the continuation says where the next call resumes. */
  limit: number;
  continuation?: RedispatchContinuation | undefined;
  /** Keys per listing page (one getAll, one updateAll and one publish burst per page). */
  pageSize?: number;
  /**
   * Store queries this call may spend (a tenant's view, each listing page with its getAll); when
   * the next read does not fit, the call stops with a continuation, as at `limit`.
   */
  budget?: QueryBudget | undefined;
  /** The alive worker types as the caller read them (a sweep reads them once per run); read here when absent. */
  alive?: ReadonlyMap<string, unknown> | undefined;
}

/** What became of the requests looked at. */
export interface RedispatchTally {
  /** Written DISPATCHED; work item and GRANTED sent. */
  dispatched: number;
  /** Still waiting, but the current configuration routes them elsewhere (another worker type, or none): written. */
  rerouted: number;
  /** Still waiting and their recheck was due: only the deadline moved. */
  rescheduled: number;
  /** Still waiting, recheck not due yet: nothing written, nothing sent. */
  unchanged: number;
  /** Another writer changed the request between read and write: this call sent nothing for it. */
  conflicts: number;
  /** Listed (indexes lag) but no longer waiting, or gone, when loaded. */
  stale: number;
}

export interface RedispatchReport extends RedispatchTally {
  /** Keys listed. */
  examined: number;
  /** Tenants skipped after a failure (logged); the next call or sweep visits them again. */
  failedTenants: string[];
  /** Absent when every list in scope was read to its end. */
  continuation?: RedispatchContinuation;
}

export const DEFAULT_REDISPATCH_PAGE_SIZE = 100;
export const WORKER_ALIVE_EVENT = 'worker-alive';

export function emptyTally(): RedispatchTally {
  return { dispatched: 0, rerouted: 0, rescheduled: 0, unchanged: 0, conflicts: 0, stale: 0 };
}

export function addTally(into: RedispatchTally, from: RedispatchTally): void {
  for (const key of Object.keys(from) as (keyof RedispatchTally)[]) into[key] += from[key];
}

export interface RedispatchContext {
  view: TenantView;
  isAlive: (workerType: string) => boolean;
  now: Date;
  settings: ManagerSettings;
  requests: RequestStore;
  /** Responses and counters are added here; the caller flushes after the writes. */
  effects: BatchEffects;
  /** Work items go out before the writes (see sendWorkItemsFirst). */
  bus: MessageBus;
  /** The GRANTED answers and work items sent first are counted here. */
  metrics?: Metrics | undefined;
  historyEvent?: string;
  /** Source of dispatch tokens (default: 128 random bits); tests pin it. */
  newToken?: () => string;
  /** Fair dispatch's in-flight counters: a dispatch to a limited worker type takes a slot or waits for one. */
  slots?: SlotStore | undefined;
}

type Kind = 'dispatched' | 'rerouted' | 'rescheduled';

/**
 * Re-plans loaded requests of ONE tenant that are waiting (NO_WORKER_AVAILABLE) with the current
 * configuration and liveness, writes the changes conditionally on the versions read, and queues
 * the effects of the writes that won. A request written by another caller meanwhile is a conflict
 * and gets no effect here, so two concurrent runs never dispatch one request twice.
 */
export async function redispatchRequests(loaded: readonly Request[], ctx: RedispatchContext): Promise<RedispatchTally> {
  const tally = emptyTally();
  const env = {
    routing: ctx.view.routing,
    isAlive: ctx.isAlive,
    now: ctx.now,
    waitingRecheckMs: ctx.settings.waitingRecheckSeconds * 1000,
    newToken: ctx.newToken ?? newDispatchToken,
  };
  const updates: { previous: Request; next: Request; kind: Kind }[] = [];
  for (const request of loaded) {
    if (request.status !== 'NO_WORKER_AVAILABLE') {
      tally.stale += 1;
      continue;
    }
    const plan = planDispatch(request, 'NO_WORKER_AVAILABLE', env, ctx.historyEvent ?? WORKER_ALIVE_EVENT);
    if (plan.response === 'GRANTED') {
      updates.push({ previous: request, next: plan.request, kind: 'dispatched' });
    } else if (routeChanged(request, plan.request)) {
      updates.push({ previous: request, next: plan.request, kind: 'rerouted' });
    } else if (isDue(request, ctx.now)) {
      // Only the next recheck moves: a "still waiting" entry every few minutes would push the
      // request's real history out of its bounded list, and the client is not told DELAYED again.
      updates.push({ previous: request, next: { ...request, deadline: plan.request.deadline, version: plan.request.version }, kind: 'rescheduled' });
    } else {
      tally.unchanged += 1;
    }
  }
  if (updates.length === 0) return tally;
  const gate = new SlotGate(ctx.slots, ctx.settings.fairDispatch);
  const admitted = await gate.admit(updates);
  updates.forEach((update, index) => {
    if (admitted[index] === true) return;
    // Alive, but its type is at its limit: it moves from waiting for a worker to waiting for a slot.
    update.next = holdForSlot(update.previous, 'NO_WORKER_AVAILABLE', update.next, ctx.now, gate.why(update.next.dispatchedWorkerType ?? ''));
    update.kind = 'rerouted';
  });

  // The reference's re-dispatch answers GRANTED again (DispatchRequestJob with retry=true): it goes with the work item.
  await sendWorkItemsFirst(
    ctx.settings.names,
    ctx.bus,
    updates.filter((update) => update.kind === 'dispatched').map((update) => update.next),
    ctx.now,
    ctx.metrics,
  );
  const outcomes = await ctx.requests.updateAll(updates.map(({ previous, next }) => ({ previous, next })));
  await gate.unused(updates.filter((_, index) => outcomes[index]?.written !== true));
  await gate.noteHeld(updates.filter((update, index) => outcomes[index]?.written === true && update.next.waitingForSlot === true).map(({ next }) => next));
  updates.forEach(({ previous, next, kind }, index) => {
    const outcome = outcomes[index];
    if (outcome === undefined) throw new Error('the store returned fewer outcomes than updates');
    if (!outcome.written) {
      tally.conflicts += 1;
      return;
    }
    tally[kind] += 1;
    ctx.effects.count(next, { kind: 'changed', before: previous, after: next });
  });
  return tally;
}

function routeChanged(before: Request, after: Request): boolean {
  return before.stepWorkerType !== after.stepWorkerType || before.stepNumber !== after.stepNumber || before.error !== after.error;
}

function isDue(request: Request, now: Date): boolean {
  return request.deadline === null || Date.parse(request.deadline) <= now.getTime();
}

interface WaitingList {
  tenant: string;
  workerType: string | null;
}

/**
 * Re-dispatches the waiting requests of some worker types (and, if asked, the unrouted ones) in
 * some tenants, page by page, at most `limit` listed per call. Idempotent and resumable: a request
 * dispatched leaves its list, one still waiting stays behind the cursor. A failing tenant is
 * logged and skipped; the others go on.
 */
export async function redispatchWaiting(scope: RedispatchScope, deps: RedispatchWaitingDeps): Promise<RedispatchReport> {
  const { logger } = deps;
  const now = deps.clock.now();
  const pageSize = scope.pageSize ?? DEFAULT_REDISPATCH_PAGE_SIZE;
  const lists = waitingLists(scope);
  const start = resumeAt(lists, scope.continuation);
  const report: RedispatchReport = { examined: 0, ...emptyTally(), failedTenants: [] };
  const alive = scope.alive ?? (await deps.liveness.aliveTypes());
  const isAlive = (workerType: string) => alive.has(workerType);
  const budget = scope.budget ?? new QueryBudget(Number.MAX_SAFE_INTEGER);
  // A listing page and the getAll of what it listed (given back when the page is empty).
  const pageCost = deps.requests.queriesPerListing + 1;
  let loadedView: TenantView | undefined;

  for (let index = start.index; index < lists.length; index += 1) {
    const list = lists[index];
    if (list === undefined || report.failedTenants.includes(list.tenant)) continue;
    let cursor = index === start.index ? start.cursor : undefined;
    const stopHere = () => {
      report.continuation = { tenant: list.tenant, workerType: list.workerType, ...(cursor === undefined ? {} : { cursor }) };
      return finish(report, logger);
    };
    try {
      if (loadedView?.tenant !== list.tenant) {
        if (!budget.take(1)) return stopHere();
        loadedView = await deps.tenants.get(list.tenant);
      }
      const view = loadedView;
      // Only lists that can hold something to do are read (each read is a query per index shard):
      // nothing routes the unrouted requests of a tenant nobody configured, and a tenant whose
      // configuration does not use a type has nothing waiting for it, except requests parked
      // before a configuration change moved their content type; their due recheck re-routes them.
      if (list.workerType === null ? !view.configured : view.routing.workerConfig(list.workerType) === undefined) continue;
      do {
        if (report.examined >= scope.limit || !budget.take(pageCost)) return stopHere();
        const page = await deps.requests.listWaiting(list.tenant, list.workerType, { limit: Math.min(pageSize, scope.limit - report.examined), cursor });
        report.examined += page.items.length;
        if (page.items.length === 0) budget.refund(1);
        if (page.items.length > 0) {
          const loaded = await deps.requests.getAll(
            list.tenant,
            page.items.map((key) => key.requestId),
          );
          report.stale += page.items.length - loaded.size;
          const effects = new BatchEffects(deps.settings.names, now);
          const tally = await redispatchRequests([...loaded.values()], {
            view,
            isAlive,
            now,
            settings: deps.settings,
            requests: deps.requests,
            effects,
            bus: deps.bus,
            metrics: deps.metrics,
            slots: deps.slots,
            ...(deps.newToken === undefined ? {} : { newToken: deps.newToken }),
          });
          addTally(report, tally);
          await effects.flush(deps);
        }
        cursor = page.cursor;
      } while (cursor !== undefined);
    } catch (error) {
      // A request written DISPATCHED whose work item did not go out is caught by its time-to-start deadline.
      logger.error('re-dispatch of waiting requests failed for a tenant; it is skipped until the next run', {
        tenant: list.tenant,
        workerType: list.workerType,
        error,
      });
      report.failedTenants.push(list.tenant);
    }
  }
  return finish(report, logger);
}

function finish(report: RedispatchReport, logger: Logger): RedispatchReport {
  const acted = report.dispatched + report.rerouted + report.rescheduled + report.conflicts + report.failedTenants.length > 0;
  // The sweeper looks at the lists every few seconds locally: quiet unless something happened.
  if (acted) logger.info('waiting requests re-dispatched', { ...report });
  else if (report.examined > 0) logger.debug('waiting requests looked at, none could go', { ...report });
  return report;
}

/** Lists in a fixed order (tenant, then worker type, unrouted last), so a continuation has a place to resume. */
function waitingLists(scope: RedispatchScope): WaitingList[] {
  const tenants = [...new Set(scope.tenants)].sort();
  const types = [...new Set(scope.workerTypes)].sort();
  return tenants.flatMap((tenant): WaitingList[] => [
    ...types.map((workerType) => ({ tenant, workerType })),
    ...(scope.includeUnrouted ? [{ tenant, workerType: null }] : []),
  ]);
}

function compareLists(a: WaitingList, b: WaitingList): number {
  if (a.tenant !== b.tenant) return a.tenant < b.tenant ? -1 : 1;
  if (a.workerType === b.workerType) return 0;
  if (a.workerType === null) return 1;
  if (b.workerType === null) return -1;
  return a.workerType < b.workerType ? -1 : 1;
}

/** The list to resume at; when it left the scope (its type died, say), the first list after it. */
function resumeAt(lists: readonly WaitingList[], continuation: RedispatchContinuation | undefined): { index: number; cursor?: string | undefined } {
  if (continuation === undefined) return { index: 0 };
  const exact = lists.findIndex((list) => compareLists(list, continuation) === 0);
  if (exact !== -1) return { index: exact, cursor: continuation.cursor };
  const after = lists.findIndex((list) => compareLists(list, continuation) > 0);
  return { index: after === -1 ? lists.length : after };
}
