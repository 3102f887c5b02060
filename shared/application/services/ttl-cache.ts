import type { Clock } from '../../ports/clock.js';

/**
 * A per-process cache with a time-to-live, whose concurrent misses for one key share a single
 * load. Warm functions keep it between batches, which is what makes "config read once per tenant
 * per batch, cached for a few seconds" hold without any coordination.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: Promise<V>; expiresAt: number }>();

  public constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly load: (key: K) => Promise<V>,
  ) {}

  public get(key: K): Promise<V> {
    const now = this.clock.now().getTime();
    const cached = this.entries.get(key);
    if (cached !== undefined && cached.expiresAt > now) return cached.value;
    const value = this.load(key);
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
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
}
