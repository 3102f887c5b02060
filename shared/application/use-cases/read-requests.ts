import type { CounterStore, SessionCounters } from '../../ports/counter-store.js';
import type { RequestStore } from '../../ports/request-store.js';
import type { Request } from '../../domain/request/request.js';
import type { SlotStore } from '../../ports/slot-store.js';
import { workerTypeLimit, type FairDispatchSettings } from '../../contract/fair-dispatch-settings.js';
import { slotWaitedFor } from '../../domain/request/slot-wait.js';
import { RequestNotFoundError } from './use-case-errors.js';

// admin-api GET /requests/{requestId}, GET /sessions/counters --> (use case) --> RequestStore, CounterStore

/** One request of the tenant, in full (history included). */
export async function getRequest(tenant: string, requestId: string, deps: { requests: RequestStore }): Promise<Request> {
  const request = (await deps.requests.getAll(tenant, [requestId])).get(requestId);
  if (request === undefined) throw new RequestNotFoundError(`no request ${requestId}`);
  return request;
}

/** Requests counted ahead of one in its slot queue at most: past it, the place shown is a lower bound. */
export const MAX_COUNTED_AHEAD = 1_000;

/** Why a request waits for a slot and where it stands (admin API's request detail). */
export interface SlotWait {
  reason: 'slot';
  workerType: string;
  /** The limits in force now; null when the worker type's limit was removed (the next sweep dispatches it). */
  maxInFlight: number | null;
  maxInFlightPerTenant: number | null;
  /** In flight now, as the counters hold them (they may be a sweep period off, see README "Drift"). */
  inFlight: number;
  inFlightOfTenant: number;
  /** 1 = the next of its tenant's requests to go; tenants take turns, so this counts its own tenant's queue only. */
  position: number;
  /** false when more than MAX_COUNTED_AHEAD wait ahead of it: position is then a lower bound. */
  positionExact: boolean;
  /** Tenants noted with requests waiting for this worker type (the round-robin's turns). */
  tenantsWaiting: number;
}

/**
 * Why a request waits for a slot and its place: one counter read and one bounded COUNT query per
 * index shard of its tenant's slot queue (never a scan). Undefined for a request not waiting for a slot.
 */
export async function describeSlotWait(
  request: Request,
  deps: { requests: RequestStore; slots?: SlotStore | undefined; settings: { fairDispatch: FairDispatchSettings } },
): Promise<SlotWait | undefined> {
  const workerType = slotWaitedFor(request);
  if (workerType === undefined) return undefined;
  const limit = workerTypeLimit(deps.settings.fairDispatch, workerType);
  const [counts, ahead] = await Promise.all([deps.slots?.read(workerType), deps.requests.countAheadInSlotQueue(request, MAX_COUNTED_AHEAD)]);
  return {
    reason: 'slot',
    workerType,
    maxInFlight: limit?.maxInFlight ?? null,
    maxInFlightPerTenant: limit?.maxInFlightPerTenant ?? null,
    inFlight: Math.max(0, counts?.total ?? 0),
    inFlightOfTenant: Math.max(0, counts?.byTenant.get(request.tenant) ?? 0),
    position: ahead.ahead + 1,
    positionExact: ahead.exact,
    tenantsWaiting: counts?.waitingTenants.size ?? 0,
  };
}

/** The session counters of one source and session; all zero (no property) for a session never seen. */
export async function getSessionCounters(tenant: string, source: string, session: string, deps: { counters: CounterStore }): Promise<SessionCounters> {
  return (await deps.counters.get(tenant, source, session)) ?? { tenant, source, session, values: {} };
}
