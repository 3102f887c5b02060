import { tenantWeight, workerTypeLimit, type WorkerTypeLimit } from '../../contract/fair-dispatch-settings.js';
import { planDispatch } from '../../domain/request/dispatch.js';
import { pickFairShare, type SlotCandidate } from '../../domain/request/fair-share.js';
import type { Request } from '../../domain/request/request.js';
import { leaveSlotQueue, SLOT_FREED_EVENT } from '../../domain/request/slot-wait.js';
import type { RequestUpdate } from '../../ports/request-store.js';
import type { SlotCounts, SlotStore } from '../../ports/slot-store.js';
import { BatchEffects, sendWorkItemsFirst } from '../services/batch-effects.js';
import { newDispatchToken } from '../services/dispatch-token.js';
import type { RequestFlowDeps } from '../services/request-events.js';

// handle-worker-responses, handle-worker-dead-letters, sweep --> (use case) --> SlotStore, RequestStore, MessageBus

/*
 * Fair dispatch (README, "Fair dispatch"): the free slots of each limited worker type go to the
 * requests waiting for them, tenants in turn by weight, higher priority first within a tenant.
 * The waiting requests are found by the slot queue index of the tenants noted waiting (no scan);
 * the sweep also names tenants, as the safety net for a note lost to a race.
 */

export interface FillScope {
  /** Tenants to look at besides those noted waiting (the sweep passes the registry's). */
  tenants?: readonly string[];
  /** Only these limited worker types (default: every one). */
  workerTypes?: readonly string[];
}

export interface FillReport {
  /** Written DISPATCHED, work item and GRANTED sent. */
  dispatched: number;
  /** Listed but no longer waiting when loaded, routed elsewhere, or their worker type died: their slot went back. */
  stale: number;
  /** Another writer changed the request first: its slot went back. */
  conflicts: number;
  failedWorkerTypes: string[];
}

/** Fills per worker type per call at most, each round at most a listing page per tenant. */
const MAX_ROUNDS = 4;
const MAX_PAGE = 100;

const NO_FILL: FillReport = { dispatched: 0, stale: 0, conflicts: 0, failedWorkerTypes: [] };

/** Dispatches waiting requests to the free slots of every limited worker type. A no-op without limits. */
export async function fillFreeSlots(deps: RequestFlowDeps, scope: FillScope = {}): Promise<FillReport> {
  const slots = deps.slots;
  const limited = Object.keys(deps.settings.fairDispatch.workerTypes).filter((type) => scope.workerTypes?.includes(type) ?? true);
  if (slots === undefined || limited.length === 0) return { ...NO_FILL, failedWorkerTypes: [] };
  const report: FillReport = { ...NO_FILL, failedWorkerTypes: [] };
  for (const workerType of limited.sort()) {
    const limit = workerTypeLimit(deps.settings.fairDispatch, workerType);
    if (limit === undefined) continue;
    try {
      for (let round = 0; round < MAX_ROUNDS; round += 1) {
        if (!(await fillRound(workerType, limit, slots, deps, scope, report))) break;
      }
    } catch (error) {
      // Slots taken and not used are healed by the sweep's reconciliation.
      deps.logger.error('dispatch to free slots failed for a worker type; the next fill retries', { workerType, error });
      report.failedWorkerTypes.push(workerType);
    }
  }
  if (report.dispatched + report.stale + report.conflicts > 0) deps.logger.info('waiting requests dispatched to free slots', { ...report });
  return report;
}

/** One round: read the counters, list the queues, pick, take, dispatch. True when another round may find more. */
async function fillRound(
  workerType: string,
  limit: WorkerTypeLimit,
  slots: SlotStore,
  deps: RequestFlowDeps,
  scope: FillScope,
  report: FillReport,
): Promise<boolean> {
  const counts = await slots.read(workerType);
  const free = limit.maxInFlight - Math.max(0, counts.total);
  if (free <= 0) return false;
  const tenantFree = (tenant: string) => (limit.maxInFlightPerTenant ?? Number.POSITIVE_INFINITY) - Math.max(0, counts.byTenant.get(tenant) ?? 0);
  const tenants = [...new Set([...counts.waitingTenants, ...(scope.tenants ?? [])])].filter((tenant) => tenantFree(tenant) > 0);
  if (tenants.length === 0) return false;

  const queues = new Map<string, SlotCandidate[]>();
  let full = false;
  await Promise.all(
    tenants.map(async (tenant) => {
      const limitOfPage = Math.min(free, tenantFree(tenant), MAX_PAGE);
      const page = await deps.requests.listSlotQueue(tenant, workerType, { limit: limitOfPage });
      if (page.items.length === 0 && counts.waitingTenants.has(tenant)) await slots.forgetWaiting(workerType, tenant);
      if (page.cursor !== undefined) full = true;
      queues.set(
        tenant,
        page.items.map(({ requestId }) => ({ tenant, requestId })),
      );
    }),
  );
  const picked = pickFairShare({ queues, free, weightOf: (tenant) => tenantWeight(deps.settings.fairDispatch, tenant), tenantFree, after: counts.lastTenant });
  if (picked.length === 0) return false;

  // One take per tenant, in the order the round-robin reached them, so the last to take is where the next pick starts.
  const byTenant = new Map<string, string[]>();
  for (const { tenant, requestId } of picked) byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), requestId]);
  const granted = new Map<string, string[]>();
  for (const [tenant, ids] of byTenant) {
    const taken = await slots.take(workerType, tenant, ids.length, limit);
    if (taken > 0) granted.set(tenant, ids.slice(0, taken));
  }
  if (granted.size === 0) return false;
  await dispatchGranted(workerType, granted, slots, deps, report);
  return full || picked.length === free;
}

/**
 * Loads the requests given a slot, dispatches those still waiting, and gives back the slots of the
 * others. `slots` undefined: the worker type has no limit any more, so no slot was taken.
 */
async function dispatchGranted(
  workerType: string,
  granted: ReadonlyMap<string, string[]>,
  slots: SlotStore | undefined,
  deps: RequestFlowDeps,
  report: FillReport,
): Promise<void> {
  const now = deps.clock.now();
  const views = await deps.tenants.getAll(granted.keys());
  const alive = await deps.liveness.aliveTypes();
  const updates: RequestUpdate[] = [];
  const unused = new Map<string, number>();
  const giveBack = (tenant: string) => unused.set(tenant, (unused.get(tenant) ?? 0) + 1);
  for (const [tenant, ids] of granted) {
    const view = views.get(tenant);
    const loaded = await deps.requests.getAll(tenant, ids);
    for (const requestId of ids) {
      const request = loaded.get(requestId);
      if (view === undefined || request === undefined || !waitingFor(request, workerType)) {
        report.stale += 1;
        giveBack(tenant);
        continue;
      }
      const plan = planDispatch(
        leaveSlotQueue(request),
        'TO_DISPATCH',
        {
          routing: view.routing,
          isAlive: (type) => alive.has(type),
          now,
          waitingRecheckMs: deps.settings.waitingRecheckSeconds * 1000,
          newToken: deps.newToken ?? newDispatchToken,
        },
        SLOT_FREED_EVENT,
      );
      // Its type died, or its tenant's configuration now routes it elsewhere: it goes on without this slot.
      if (plan.request.status !== 'DISPATCHED' || plan.request.dispatchedWorkerType !== workerType) {
        report.stale += 1;
        giveBack(tenant);
      }
      updates.push({ previous: request, next: plan.request });
    }
  }
  const dispatching = updates.filter(({ next }) => next.status === 'DISPATCHED' && next.dispatchedWorkerType === workerType).map(({ next }) => next);
  // No redelivery replays a fill: the work items go out before the writes (see sendWorkItemsFirst).
  await sendWorkItemsFirst(deps.settings.names, deps.bus, dispatching, now, deps.metrics);
  const outcomes = updates.length > 0 ? await deps.requests.updateAll(updates) : [];
  const effects = new BatchEffects(deps.settings.names, now);
  updates.forEach(({ previous, next }, index) => {
    const holdsSlot = next.status === 'DISPATCHED' && next.dispatchedWorkerType === workerType;
    if (outcomes[index]?.written !== true) {
      if (holdsSlot) {
        report.conflicts += 1;
        giveBack(previous.tenant);
      }
      return;
    }
    if (holdsSlot) report.dispatched += 1;
    effects.count(next, { kind: 'changed', before: previous, after: next });
  });
  if (slots !== undefined) await Promise.all([...unused].map(([tenant, count]) => slots.release(workerType, tenant, count)));
  await effects.flush(deps);
}

/** Counter items the sweep looks at per run at most (limited worker types are few). */
const MAX_COUNTED_TYPES = 100;

/**
 * The sweep's drain of worker types whose limit was removed from the settings while requests
 * waited for their slots: nothing else would ever dispatch those (no slot frees for a type without
 * a limit), so each run dispatches up to a page of each tenant's slot queue, without slots, and
 * once every queue is found empty removes the type's counters, which ends the drain. One query
 * lists the counters; without any, the drain costs nothing more.
 */
export async function drainUnlimited(deps: RequestFlowDeps, scope: FillScope = {}): Promise<FillReport> {
  const report: FillReport = { ...NO_FILL, failedWorkerTypes: [] };
  const slots = deps.slots;
  if (slots === undefined) return report;
  const unlimited = (await slots.listWorkerTypes(MAX_COUNTED_TYPES)).filter((type) => workerTypeLimit(deps.settings.fairDispatch, type) === undefined);
  for (const workerType of unlimited) {
    try {
      const counts = await slots.read(workerType);
      const granted = new Map<string, string[]>();
      for (const tenant of new Set([...counts.waitingTenants, ...(scope.tenants ?? [])])) {
        const page = await deps.requests.listSlotQueue(tenant, workerType, { limit: MAX_PAGE });
        if (page.items.length > 0)
          granted.set(
            tenant,
            page.items.map(({ requestId }) => requestId),
          );
        else if (counts.waitingTenants.has(tenant)) await slots.forgetWaiting(workerType, tenant);
      }
      if (granted.size > 0) await dispatchGranted(workerType, granted, undefined, deps, report);
      // Only a run that found every queue empty removes the counters; a note made since keeps them.
      else if (await slots.removeIfNoneWaiting(workerType))
        deps.logger.info('a worker type no longer limited: its slot queues are empty, its counters removed', { workerType });
    } catch (error) {
      deps.logger.error('dispatch of the slot queues of a worker type no longer limited failed; the next sweep retries', { workerType, error });
      report.failedWorkerTypes.push(workerType);
    }
  }
  if (report.dispatched + report.stale + report.conflicts > 0) deps.logger.info('requests that waited for a limit since removed dispatched', { ...report });
  return report;
}

function waitingFor(request: Request, workerType: string): boolean {
  return request.status === 'TO_DISPATCH' && request.waitingForSlot === true && request.stepWorkerType === workerType;
}

export interface ReconcileReport {
  /** Worker types whose counters were set to the requests in flight. */
  reset: string[];
  /** Worker types left as they were: their counters changed while they were counted, or there were too many to count in one run. */
  skipped: string[];
}

/** Index entries one reconciliation reads at most per worker type; past it the type waits for a quieter run. */
const MAX_RECONCILE_EXAMINED = 10_000;
/** Tenants one reconciliation counts at most per worker type (a query or more each). */
const MAX_RECONCILE_TENANTS = 200;
const RECONCILE_PAGE = 1_000;

/**
 * The sweep's healing of the in-flight counters: counts each limited worker type's requests in
 * flight (DISPATCHED or RUNNING) from the status index, bounded, and sets the counters to it when
 * they differ. A slot leaked by a crash between a take and its request's write, or released twice
 * by a redelivered batch, is corrected here. Skipped when the counters moved while they were being
 * counted (a dispatch or an answer raced the count): the next run looks again.
 */
export async function reconcileSlots(
  tenants: readonly string[],
  deps: Pick<RequestFlowDeps, 'slots' | 'settings' | 'requests' | 'logger'>,
): Promise<ReconcileReport> {
  const report: ReconcileReport = { reset: [], skipped: [] };
  const slots = deps.slots;
  if (slots === undefined) return report;
  for (const workerType of Object.keys(deps.settings.fairDispatch.workerTypes).sort()) {
    const before = await slots.read(workerType);
    // The tenants holding slots (a reset drops those at 0, so they stay few), and the run's slice of the registry.
    const counted = [...new Set([...before.byTenant.keys(), ...tenants])];
    if (counted.length > MAX_RECONCILE_TENANTS) {
      report.skipped.push(workerType);
      continue;
    }
    const actual = await countInFlight(workerType, counted, deps);
    const after = await slots.read(workerType);
    if (actual === undefined || !sameCounts(before, after)) {
      report.skipped.push(workerType);
      continue;
    }
    if (sameCounts(after, { total: [...actual.values()].reduce((sum, count) => sum + count, 0), byTenant: actual })) {
      // Tenants back at 0 are dropped (each on condition it is still 0), so the next run does not count them again.
      const idle = [...after.byTenant].filter(([, count]) => count === 0).map(([tenant]) => tenant);
      if (idle.length > 0) await slots.dropIdle(workerType, idle);
      continue;
    }
    deps.logger.warn('in-flight counters drifted from the requests in flight: set to the requests', {
      workerType,
      counted: after.total,
      inFlight: Object.fromEntries(actual),
    });
    await slots.reset(workerType, actual);
    report.reset.push(workerType);
  }
  return report;
}

async function countInFlight(
  workerType: string,
  tenants: readonly string[],
  deps: Pick<RequestFlowDeps, 'requests'>,
): Promise<Map<string, number> | undefined> {
  const counts = new Map<string, number>();
  let examined = 0;
  for (const tenant of tenants) {
    let cursor: string | undefined;
    do {
      if (examined >= MAX_RECONCILE_EXAMINED) return undefined;
      const page = await deps.requests.search(
        tenant,
        { statuses: ['DISPATCHED', 'RUNNING'], dispatchedWorkerType: workerType, order: 'asc' },
        { limit: RECONCILE_PAGE, cursor, maxExamined: RECONCILE_PAGE },
      );
      examined += RECONCILE_PAGE;
      if (page.items.length > 0) counts.set(tenant, (counts.get(tenant) ?? 0) + page.items.length);
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  return counts;
}

function sameCounts(a: Pick<SlotCounts, 'total' | 'byTenant'>, b: Pick<SlotCounts, 'total' | 'byTenant'>): boolean {
  if (a.total !== b.total) return false;
  const tenants = new Set([...a.byTenant.keys(), ...b.byTenant.keys()]);
  return [...tenants].every((tenant) => (a.byTenant.get(tenant) ?? 0) === (b.byTenant.get(tenant) ?? 0));
}
