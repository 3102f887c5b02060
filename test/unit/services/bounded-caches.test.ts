import { describe, expect, it } from 'vitest';
import { LruSet, TtlCache } from '../../../shared/application/services/ttl-cache.js';
import { QueryBudget } from '../../../shared/application/services/query-budget.js';
import { TenantConfigs } from '../../../shared/application/services/tenant-configs.js';
import { MemoryConfigStore } from '../../../shared/adapters/memory/memory-config-store.js';
import { resolveRegistryOptions, WrittenBeats } from '../../../shared/adapters/dynamodb/worker-beats.js';
import { ManualClock } from '../../support/manual-clock.js';

describe('TtlCache bound', () => {
  it('keeps at most maxEntries, evicting the oldest, and reloads an evicted key', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00.000Z');
    const loads: string[] = [];
    const cache = new TtlCache<string, string>(
      clock,
      60_000,
      async (key) => {
        loads.push(key);
        return key.toUpperCase();
      },
      3,
    );
    for (const key of ['a', 'b', 'c', 'd', 'e']) await cache.get(key);
    expect(cache.size).toBe(3);
    await cache.get('e');
    expect(loads).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await cache.get('a')).toBe('A');
    expect(loads.at(-1)).toBe('a');
    expect(cache.size).toBe(3);
  });

  it('drops expired entries as new ones come, so a burst of keys does not stay', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00.000Z');
    const cache = new TtlCache<number, number>(clock, 1000, async (key) => key, 10_000);
    for (let key = 0; key < 5000; key += 1) await cache.get(key);
    clock.advance(1001);
    await cache.get(-1);
    expect(cache.size).toBe(1);
  });

  it('refuses a bound below one', () => {
    expect(() => new TtlCache(new ManualClock('2026-01-01T00:00:00.000Z'), 1, async () => 1, 0)).toThrow(RangeError);
  });
});

describe('LruSet', () => {
  it('forgets the least recently used past its bound', () => {
    const set = new LruSet<string>(2);
    set.add('a');
    set.add('b');
    expect(set.has('a')).toBe(true); // a is now the most recent
    set.add('c');
    expect(set.size).toBe(2);
    expect(set.has('b')).toBe(false);
    expect(set.has('a')).toBe(true);
    expect(set.has('c')).toBe(true);
  });
});

describe('TenantConfigs bounds', () => {
  it('keeps at most maxEntries tenant views and registered tenants, whatever traffic names', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00.000Z');
    const store = new MemoryConfigStore();
    const tenants = new TenantConfigs(store, clock, 60_000, 50);
    const invented = Array.from({ length: 1000 }, (_, n) => `invented-${n}`);
    await tenants.getAll(invented);
    await tenants.register(invented);
    const memo = tenants as unknown as { cache: { size: number }; registered: { size: number } };
    expect(memo.cache.size).toBeLessThanOrEqual(50);
    expect(memo.registered.size).toBeLessThanOrEqual(50);
  });

  it('says whether a tenant is declared, configured or not', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00.000Z');
    const store = new MemoryConfigStore();
    await store.registerTenants(['declared']);
    const tenants = new TenantConfigs(store, clock, 0);
    expect(await tenants.get('declared')).toMatchObject({ declared: true, configured: false });
    expect(await tenants.get('unknown')).toMatchObject({ declared: false, configured: false });
  });
});

describe('WrittenBeats bound', () => {
  it('remembers at most the caps worth of instances and types, however many beat within the expiry', () => {
    const options = resolveRegistryOptions({ caps: { maxTypes: 5, maxInstancesPerType: 10 } });
    const written = new WrittenBeats(options);
    const now = new Date('2026-01-01T00:00:00.000Z');
    for (let n = 0; n < 500; n += 1) {
      written.markInstance({ workerType: `type-${n % 20}`, instanceId: `i-${n}`, receivedAt: now, reportedAt: now });
      written.markType(`type-${n}`, now);
    }
    expect(written.size).toEqual({ instances: 50, types: 5 });
  });
});

describe('QueryBudget', () => {
  it('takes only what fits, and a slice spends from its parent', () => {
    const run = new QueryBudget(10);
    const part = run.slice(4);
    expect(part.take(3)).toBe(true);
    expect(part.take(2)).toBe(false);
    expect(run.spent).toBe(3);
    expect(run.take(7)).toBe(true);
    expect(run.take(1)).toBe(false);
    expect(run.slice(5).remaining).toBe(0);
  });
});

describe('QueryBudget refunds', () => {
  it('gives back what a slice did not use, to the slice and its parent', () => {
    const run = new QueryBudget(10);
    const part = run.slice(5);
    part.take(5);
    part.refund(2);
    expect([part.spent, run.spent, run.remaining]).toEqual([3, 3, 7]);
  });
});
