import { describe, expect, it } from 'vitest';
import type { SlotStore } from '../../../shared/ports/slot-store.js';
import type { RequestStore } from '../../../shared/ports/request-store.js';
import { makeRequest, uniqueTenant } from './requests.js';

/** The behaviour every SlotStore must have. `createStore` is called once per test. */
export function describeSlotStoreContract(name: string, createStore: () => SlotStore): void {
  describe(`${name}: SlotStore contract`, () => {
    const workerType = () => uniqueTenant('type');

    it('takes slots up to the total limit, then none', async () => {
      const store = createStore();
      const type = workerType();
      expect(await store.take(type, 'a', 3, { maxInFlight: 5 })).toBe(3);
      expect(await store.take(type, 'b', 4, { maxInFlight: 5 })).toBe(2);
      expect(await store.take(type, 'b', 1, { maxInFlight: 5 })).toBe(0);
      const counts = await store.read(type);
      expect(counts.total).toBe(5);
      expect(Object.fromEntries(counts.byTenant)).toEqual({ a: 3, b: 2 });
      expect(counts.lastTenant).toBe('b');
    });

    it('holds a tenant to its own limit while others still take', async () => {
      const store = createStore();
      const type = workerType();
      const limit = { maxInFlight: 10, maxInFlightPerTenant: 2 };
      expect(await store.take(type, 'a', 5, limit)).toBe(2);
      expect(await store.take(type, 'a', 1, limit)).toBe(0);
      expect(await store.take(type, 'b', 1, limit)).toBe(1);
    });

    it('frees slots on release, for the same tenant', async () => {
      const store = createStore();
      const type = workerType();
      const limit = { maxInFlight: 2, maxInFlightPerTenant: 2 };
      expect(await store.take(type, 'a', 2, limit)).toBe(2);
      await store.release(type, 'a', 1);
      expect((await store.read(type)).total).toBe(1);
      expect(await store.take(type, 'a', 2, limit)).toBe(1);
    });

    it('is reset to the counts the requests say (reconciliation), forgetting tenants no longer in flight', async () => {
      const store = createStore();
      const type = workerType();
      await store.take(type, 'a', 4, { maxInFlight: 5 });
      await store.take(type, 'b', 1, { maxInFlight: 5 });
      await store.reset(type, new Map([['b', 2]]));
      const counts = await store.read(type);
      expect(counts.total).toBe(2);
      // A tenant with nothing in flight is dropped, so the next reconciliation does not count it again.
      expect(counts.byTenant.has('a')).toBe(false);
      expect(counts.byTenant.get('b')).toBe(2);
    });

    it('remembers the tenants noted waiting until each is forgotten', async () => {
      const store = createStore();
      const type = workerType();
      await store.noteWaiting(type, ['a', 'b']);
      await store.noteWaiting(type, ['b', 'c']);
      await store.forgetWaiting(type, 'b');
      expect([...(await store.read(type)).waitingTenants].sort()).toEqual(['a', 'c']);
      await store.forgetWaiting(type, 'a');
      await store.forgetWaiting(type, 'c');
      expect((await store.read(type)).waitingTenants.size).toBe(0);
    });

    it('takes nothing behind requests waiting: any tenant under a total limit, the same tenant under a per-tenant one', async () => {
      const store = createStore();
      const type = workerType();
      const total = { maxInFlight: 5 };
      const perTenant = { maxInFlight: 5, maxInFlightPerTenant: 3 };
      const behind = { behindWaiting: true };
      await store.noteWaiting(type, ['a']);
      expect(await store.take(type, 'b', 1, total, behind)).toBe(0);
      expect(await store.take(type, 'a', 1, perTenant, behind)).toBe(0);
      expect(await store.take(type, 'b', 1, perTenant, behind)).toBe(1);
      // The fill takes for the waiting requests themselves.
      expect(await store.take(type, 'a', 1, total)).toBe(1);
      await store.forgetWaiting(type, 'a');
      expect(await store.take(type, 'b', 2, total, behind)).toBe(2);
      expect((await store.read(type)).total).toBe(4);
    });

    it('drops the count of a tenant only while it is 0', async () => {
      const store = createStore();
      const type = workerType();
      await store.take(type, 'a', 1, { maxInFlight: 5 });
      await store.take(type, 'b', 1, { maxInFlight: 5 });
      await store.release(type, 'a', 1);
      await store.dropIdle(type, ['a', 'b']);
      const counts = await store.read(type);
      expect(counts.byTenant.has('a')).toBe(false);
      expect(counts.byTenant.get('b')).toBe(1);
      expect(counts.total).toBe(1);
    });

    it('lists the worker types with counters, and removes those nobody waits for', async () => {
      const store = createStore();
      const [waited, idle] = [workerType(), workerType()];
      await store.take(idle, 'a', 1, { maxInFlight: 2 });
      await store.noteWaiting(waited, ['a']);
      expect(await store.listWorkerTypes(100)).toEqual(expect.arrayContaining([waited, idle]));
      expect(await store.removeIfNoneWaiting(waited)).toBe(false);
      expect(await store.removeIfNoneWaiting(idle)).toBe(true);
      await store.forgetWaiting(waited, 'a');
      expect(await store.removeIfNoneWaiting(waited)).toBe(true);
      const left = await store.listWorkerTypes(100);
      expect(left).not.toContain(waited);
      expect(left).not.toContain(idle);
      expect((await store.read(idle)).total).toBe(0);
    });

    it('reads an untouched worker type as empty', async () => {
      const store = createStore();
      const counts = await store.read(workerType());
      expect(counts.total).toBe(0);
      expect(counts.byTenant.size).toBe(0);
    });
  });
}

/** The slot queue listing every RequestStore must give: highest priority first, then oldest; only requests waiting for a slot. */
export function describeSlotQueueContract(name: string, createStore: () => RequestStore): void {
  describe(`${name}: slot queue`, () => {
    const waitingIn = (tenant: string) => (requestId: string, seconds: number, priority?: number) =>
      makeRequest(tenant, requestId, {
        status: 'TO_DISPATCH',
        waitingForSlot: true,
        stepWorkerType: 'extract',
        creationDate: new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString(),
        deadline: null,
        ...(priority === undefined ? {} : { priority }),
      });

    it('lists the requests waiting for a slot of a type, highest priority first, then oldest, page by page', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const waiting = waitingIn(tenant);
      await store.insertAll([
        waiting('old', 1),
        waiting('young', 5),
        waiting('urgent', 9, 8),
        waiting('mid', 7, 3),
        makeRequest(tenant, 'retrying', { status: 'TO_DISPATCH', stepWorkerType: 'extract' }),
        makeRequest(tenant, 'other-type', { status: 'TO_DISPATCH', waitingForSlot: true, stepWorkerType: 'index', deadline: null }),
      ]);
      const first = await store.listSlotQueue(tenant, 'extract', { limit: 2 });
      expect(first.items.map((key) => key.requestId)).toEqual(['urgent', 'mid']);
      const second = await store.listSlotQueue(tenant, 'extract', { limit: 10, cursor: first.cursor });
      expect(second.items.map((key) => key.requestId)).toEqual(['old', 'young']);
      expect(second.cursor).toBeUndefined();
    });

    it('counts the requests ahead of one in its slot queue, in the listing order, up to a cap', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const waiting = waitingIn(tenant);
      const requests = [
        waiting('urgent', 50, 8),
        ...Array.from({ length: 12 }, (_, n) => waiting(`w${n}`, n)),
        makeRequest(tenant, 'other-type', { status: 'TO_DISPATCH', waitingForSlot: true, stepWorkerType: 'index', deadline: null }),
        makeRequest(uniqueTenant(), 'other-tenant', { status: 'TO_DISPATCH', waitingForSlot: true, stepWorkerType: 'extract', deadline: null }),
      ];
      await store.insertAll(requests);
      const ahead = (requestId: string, cap: number) => {
        const request = requests.find((one) => one.requestId === requestId);
        if (request === undefined) throw new Error(requestId);
        return store.countAheadInSlotQueue(request, cap);
      };
      expect(await ahead('urgent', 100)).toEqual({ ahead: 0, exact: true });
      expect(await ahead('w0', 100)).toEqual({ ahead: 1, exact: true });
      expect(await ahead('w11', 100)).toEqual({ ahead: 12, exact: true });
      expect(await ahead('w11', 12)).toEqual({ ahead: 12, exact: true });
      // Past the cap, the count stops there and says so.
      expect(await ahead('w11', 5)).toEqual({ ahead: 5, exact: false });
    });
  });
}
