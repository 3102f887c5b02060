import { describe, expect, it } from 'vitest';
import type { CounterDelta, CounterStore } from '../../../shared/ports/counter-store.js';
import { uniqueTenant } from './requests.js';

export interface CounterStoreHarness {
  store: CounterStore;
  /** Session writes sent to the store since the harness was made. */
  writes(): number;
}

/** The behaviour every CounterStore must have. `createHarness` is called once per test. */
export function describeCounterStoreContract(name: string, createHarness: () => CounterStoreHarness): void {
  describe(`${name}: CounterStore contract`, () => {
    const delta = (tenant: string, session: string, property: string, value: number, source = 'owner'): CounterDelta => ({
      tenant,
      source,
      session,
      property,
      delta: value,
    });

    it('sums the deltas of a batch per session and writes each session once', async () => {
      const { store, writes } = createHarness();
      const tenant = uniqueTenant();
      await store.apply([
        delta(tenant, 's1', 'workers.requests', 1),
        delta(tenant, 's1', 'workers.extract.dispatched', 1),
        delta(tenant, 's1', 'workers.requests', 1),
        delta(tenant, 's2', 'workers.requests', 1),
        delta(tenant, 's1', 'workers.extract.dispatched', 2),
        delta(tenant, 's1', 'workers.requests', 1),
        delta(tenant, 's2', 'workers.extract.done', 5),
      ]);
      expect(writes()).toBe(2);
      expect(await store.get(tenant, 'owner', 's1')).toEqual({
        tenant,
        source: 'owner',
        session: 's1',
        values: { 'workers.requests': 3, 'workers.extract.dispatched': 3 },
      });
      expect(await store.get(tenant, 'owner', 's2')).toEqual({
        tenant,
        source: 'owner',
        session: 's2',
        values: { 'workers.requests': 1, 'workers.extract.done': 5 },
      });
    });

    it('adds to what is stored, negative deltas included', async () => {
      const { store } = createHarness();
      const tenant = uniqueTenant();
      await store.apply([delta(tenant, 's', 'workers.running', 4)]);
      await store.apply([delta(tenant, 's', 'workers.running', -3), delta(tenant, 's', 'workers.error', 1)]);
      expect((await store.get(tenant, 'owner', 's'))?.values).toEqual({ 'workers.running': 1, 'workers.error': 1 });
    });

    it('skips zero deltas, and sums that come to zero, without writing', async () => {
      const { store, writes } = createHarness();
      const tenant = uniqueTenant();
      await store.apply([delta(tenant, 's', 'workers.requests', 0)]);
      await store.apply([delta(tenant, 's', 'workers.requests', 2), delta(tenant, 's', 'workers.requests', -2)]);
      await store.apply([]);
      expect(writes()).toBe(0);
      expect(await store.get(tenant, 'owner', 's')).toBeUndefined();
      await store.apply([delta(tenant, 's', 'a', 1), delta(tenant, 's', 'b', 1), delta(tenant, 's', 'b', -1)]);
      expect(writes()).toBe(1);
      expect((await store.get(tenant, 'owner', 's'))?.values).toEqual({ a: 1 });
    });

    it('keeps property names verbatim: dots, #, %, colons, spaces, Object member names', async () => {
      const { store } = createHarness();
      const tenant = uniqueTenant();
      const properties = ['workers.my.type.v2.dispatched', 'workers.a#b.done', 'workers.100%.x', 'c:x', 'with space', 'constructor', '__proto__'];
      await store.apply(properties.map((property, i) => delta(tenant, 's', property, i + 1)));
      const values = (await store.get(tenant, 'owner', 's'))?.values ?? {};
      expect(Object.keys(values).sort()).toEqual([...properties].sort());
      properties.forEach((property, i) => expect(Object.getOwnPropertyDescriptor(values, property)?.value).toBe(i + 1));
    });

    it('keeps tenants, sources and sessions apart, even when they differ only by escaping', async () => {
      const { store, writes } = createHarness();
      const base = uniqueTenant();
      await store.apply([
        delta(`${base}#1`, 's#1', 'n', 1, 'o#1'),
        delta(`${base}%231`, 's#1', 'n', 2, 'o#1'),
        delta(`${base}#1`, 's%231', 'n', 3, 'o#1'),
        delta(`${base}#1`, 's#1', 'n', 4, 'o%231'),
      ]);
      expect(writes()).toBe(4);
      expect((await store.get(`${base}#1`, 'o#1', 's#1'))?.values).toEqual({ n: 1 });
      expect((await store.get(`${base}%231`, 'o#1', 's#1'))?.values).toEqual({ n: 2 });
      expect((await store.get(`${base}#1`, 'o#1', 's%231'))?.values).toEqual({ n: 3 });
      expect((await store.get(`${base}#1`, 'o%231', 's#1'))?.values).toEqual({ n: 4 });
      expect(await store.get(`${base}#1`, 'o', 's')).toBeUndefined();
    });

    it('refuses a delta that is not a finite number', async () => {
      const { store, writes } = createHarness();
      await expect(store.apply([delta(uniqueTenant(), 's', 'n', Number.NaN)])).rejects.toBeInstanceOf(RangeError);
      expect(writes()).toBe(0);
    });
  });
}
