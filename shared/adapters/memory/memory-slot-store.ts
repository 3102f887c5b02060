import type { WorkerTypeLimit } from '../../contract/fair-dispatch-settings.js';
import { SlotStore, slotsThatFit, type SlotCounts, type TakeOptions } from '../../ports/slot-store.js';
import { throwIfUnavailable } from './faults.js';

interface Counter {
  total: number;
  byTenant: Map<string, number>;
  lastTenant?: string;
  waiting: Set<string>;
}

/** The slot counters in memory, with the DynamoDB store's rules (the take is all or nothing below the limits). */
export class MemorySlotStore extends SlotStore {
  public unavailable = false;
  /** Counter writes so far (takes, including refused ones, releases and resets): what DynamoDB would bill. */
  public writes = 0;
  private readonly counters = new Map<string, Counter>();

  public async read(workerType: string): Promise<SlotCounts> {
    throwIfUnavailable(this.unavailable, 'read');
    const counter = this.counters.get(workerType);
    return {
      total: counter?.total ?? 0,
      byTenant: new Map(counter?.byTenant ?? []),
      lastTenant: counter?.lastTenant,
      waitingTenants: new Set(counter?.waiting ?? []),
    };
  }

  public async take(workerType: string, tenant: string, want: number, limit: WorkerTypeLimit, options: TakeOptions = {}): Promise<number> {
    throwIfUnavailable(this.unavailable, 'take');
    const counter = this.counter(workerType);
    this.writes += 1;
    const taken = slotsThatFit({ ...counter, waitingTenants: counter.waiting }, tenant, want, limit, options);
    if (taken === 0) return 0;
    counter.total += taken;
    counter.byTenant.set(tenant, (counter.byTenant.get(tenant) ?? 0) + taken);
    counter.lastTenant = tenant;
    return taken;
  }

  public async release(workerType: string, tenant: string, count: number): Promise<void> {
    throwIfUnavailable(this.unavailable, 'release');
    const counter = this.counter(workerType);
    this.writes += 1;
    counter.total -= count;
    counter.byTenant.set(tenant, (counter.byTenant.get(tenant) ?? 0) - count);
  }

  public async noteWaiting(workerType: string, tenants: readonly string[]): Promise<void> {
    throwIfUnavailable(this.unavailable, 'noteWaiting');
    if (tenants.length === 0) return;
    this.writes += 1;
    for (const tenant of tenants) this.counter(workerType).waiting.add(tenant);
  }

  public async forgetWaiting(workerType: string, tenant: string): Promise<void> {
    throwIfUnavailable(this.unavailable, 'forgetWaiting');
    this.writes += 1;
    this.counter(workerType).waiting.delete(tenant);
  }

  public async reset(workerType: string, byTenant: ReadonlyMap<string, number>): Promise<void> {
    throwIfUnavailable(this.unavailable, 'reset');
    const counter = this.counter(workerType);
    this.writes += 1;
    counter.byTenant.clear();
    for (const [tenant, count] of byTenant) if (count !== 0) counter.byTenant.set(tenant, count);
    counter.total = [...byTenant.values()].reduce((sum, count) => sum + count, 0);
  }

  public async listWorkerTypes(limit: number): Promise<string[]> {
    throwIfUnavailable(this.unavailable, 'listWorkerTypes');
    return [...this.counters.keys()].sort().slice(0, limit);
  }

  public async dropIdle(workerType: string, tenants: readonly string[]): Promise<void> {
    throwIfUnavailable(this.unavailable, 'dropIdle');
    const counter = this.counter(workerType);
    for (const tenant of tenants) {
      this.writes += 1;
      if (counter.byTenant.get(tenant) === 0) counter.byTenant.delete(tenant);
    }
  }

  public async removeIfNoneWaiting(workerType: string): Promise<boolean> {
    throwIfUnavailable(this.unavailable, 'removeIfNoneWaiting');
    this.writes += 1;
    if ((this.counters.get(workerType)?.waiting.size ?? 0) > 0) return false;
    return this.counters.delete(workerType);
  }

  private counter(workerType: string): Counter {
    const existing = this.counters.get(workerType);
    if (existing !== undefined) return existing;
    const created: Counter = { total: 0, byTenant: new Map(), waiting: new Set() };
    this.counters.set(workerType, created);
    return created;
  }
}
