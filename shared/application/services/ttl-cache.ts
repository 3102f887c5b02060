import type { Clock } from '../../ports/clock.js';

/** Entries an in-process cache keeps when its owner does not say: far above what a real installation names. */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;

/**
 * A per-process cache with a time-to-live, whose concurrent misses for one key share a single
 * load. Warm functions keep it between batches, which is what makes "config read once per tenant
 * per batch, cached for a few seconds" hold without any coordination.
 *
 * Bounded: the keys come from traffic (tenant names anyone can publish), so past `maxEntries` the
 * oldest entries go. Every entry lives equally long, so the oldest stored is also the first to
 * expire; evicting early only costs a reload.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: Promise<V>; expiresAt: number }>();

  public constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly load: (key: K) => Promise<V>,
    private readonly maxEntries: number = DEFAULT_CACHE_MAX_ENTRIES,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1, got ${maxEntries}`);
  }

  public get size(): number {
    return this.entries.size;
  }

  public get(key: K): Promise<V> {
    const now = this.clock.now().getTime();
    const cached = this.entries.get(key);
    if (cached !== undefined && cached.expiresAt > now) return cached.value;
    const value = this.load(key);
    // Deleted first so the key moves to the end: Map order is insertion order, hence age order.
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    this.evict(now);
    // A failed load must not be served from the cache until it expires.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  public invalidate(key?: K): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }

  /** Drops the expired entries at the old end, then the oldest ones while over the bound. */
  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}

/**
 * A set that remembers at most `maxEntries` values, forgetting the least recently added or
 * touched first. For "already done in this process" memos, where forgetting only costs doing an
 * idempotent thing again.
 */
export class LruSet<T> {
  private readonly values = new Set<T>();

  public constructor(private readonly maxEntries: number = DEFAULT_CACHE_MAX_ENTRIES) {
    if (!(maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1, got ${maxEntries}`);
  }

  public get size(): number {
    return this.values.size;
  }

  /** True when present; a hit counts as a use, so frequent values stay. */
  public has(value: T): boolean {
    if (!this.values.has(value)) return false;
    this.values.delete(value);
    this.values.add(value);
    return true;
  }

  public add(value: T): void {
    this.values.delete(value);
    this.values.add(value);
    for (const oldest of this.values) {
      if (this.values.size <= this.maxEntries) break;
      this.values.delete(oldest);
    }
  }

  public delete(value: T): void {
    this.values.delete(value);
  }

  public clear(): void {
    this.values.clear();
  }
}
