import type { WorkerTypeLimit } from '../contract/fair-dispatch-settings.js';

// use case --> (port) --> adapters/dynamodb | adapters/memory

/** A limited worker type's requests in flight (DISPATCHED or RUNNING), as its counter holds them. */
export interface SlotCounts {
  total: number;
  byTenant: ReadonlyMap<string, number>;
  /** The tenant that last took a slot: the next round-robin starts after it. */
  lastTenant?: string | undefined;
  /** Tenants noted as having requests waiting for a slot (noteWaiting), not yet found empty (forgetWaiting). */
  waitingTenants: ReadonlySet<string>;
}

/**
 * The in-flight counters of fair dispatch: one per limited worker type, with a count per tenant
 * inside it, so that a take checks both limits in ONE conditional write (no transaction needed).
 * Counters can drift (a crash between a take and the request's write, a lost release): the sweep
 * sets them from the requests themselves (reconcile).
 */
export abstract class SlotStore {
  /** Strongly consistent: a fill decides from it how many slots are free. */
  public abstract read(workerType: string): Promise<SlotCounts>;

  /**
   * Takes up to `want` slots for a tenant, never past the limits; returns how many it took (0 when
   * none was free). The tenant is remembered as the last to take. `behindWaiting`: none either
   * while requests wait for a slot ahead of these (see waitingAhead), in the same conditional write.
   */
  public abstract take(workerType: string, tenant: string, want: number, limit: WorkerTypeLimit, options?: TakeOptions): Promise<number>;

  /** Gives slots back (a request in flight finished, or a take was not used). */
  public abstract release(workerType: string, tenant: string, count: number): Promise<void>;

  /** Notes tenants whose requests now wait for a slot, so a fill knows where to look without listing every tenant. */
  public abstract noteWaiting(workerType: string, tenants: readonly string[]): Promise<void>;

  /** A fill found the tenant's slot queue empty. */
  public abstract forgetWaiting(workerType: string, tenant: string): Promise<void>;

  /** Sets the counters to what the requests in flight say (the sweep's reconciliation). */
  public abstract reset(workerType: string, byTenant: ReadonlyMap<string, number>): Promise<void>;

  /**
   * The worker types that have counters, at most `limit` of them in name order: those limited now
   * and those whose limit was removed from the settings while requests waited (the sweep drains
   * their slot queues, then removes their counters).
   */
  public abstract listWorkerTypes(limit: number): Promise<string[]>;

  /** Drops the counts of tenants still at 0 (a take since keeps its tenant), so reconciliation counts only tenants in flight. */
  public abstract dropIdle(workerType: string, tenants: readonly string[]): Promise<void>;

  /** Removes a worker type's counters, unless tenants are noted waiting; true when removed. */
  public abstract removeIfNoneWaiting(workerType: string): Promise<boolean>;
}

export interface TakeOptions {
  /**
   * A newcomer (a request not yet in the slot queue) queues behind the requests waiting: it takes
   * nothing while waitingAhead holds, so a freed slot goes to the fill's round-robin, not to it.
   */
  behindWaiting?: boolean;
}

/**
 * Whether requests of the slot queue come before a newcomer of `tenant`: with only a total limit,
 * any tenant noted waiting (they all wait for the same slots); with a per-tenant limit, its own
 * tenant noted waiting (another tenant's requests may wait for their own tenant's share).
 */
export function waitingAhead(waitingTenants: ReadonlySet<string>, tenant: string, limit: WorkerTypeLimit): boolean {
  return limit.maxInFlightPerTenant === undefined ? waitingTenants.size > 0 : waitingTenants.has(tenant);
}

/** How many of `want` fit under the limits, given the counts read. */
export function slotsThatFit(
  counts: Pick<SlotCounts, 'total' | 'byTenant' | 'waitingTenants'>,
  tenant: string,
  want: number,
  limit: WorkerTypeLimit,
  options: TakeOptions = {},
): number {
  if (options.behindWaiting === true && waitingAhead(counts.waitingTenants, tenant, limit)) return 0;
  const total = limit.maxInFlight - Math.max(0, counts.total);
  const ofTenant = (limit.maxInFlightPerTenant ?? Number.POSITIVE_INFINITY) - Math.max(0, counts.byTenant.get(tenant) ?? 0);
  return Math.max(0, Math.min(want, total, ofTenant));
}
