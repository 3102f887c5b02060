import { describe, expect, it } from 'vitest';
import type { WorkerRegistryOptions } from '../../../shared/adapters/dynamodb/worker-beats.js';
import type { Heartbeat, WorkerRegistry } from '../../../shared/ports/worker-registry.js';

export interface WorkerRegistryHarness {
  /** A registry object on the harness's backing store: two calls are two manager hosts. */
  create(options?: WorkerRegistryOptions): WorkerRegistry;
  /** Writes sent to the store by every registry of the harness. */
  writes(): { types: number; instances: number };
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR = 3_600_000;
/** Nothing dropped by the caps. */
const NONE = { beats: 0, workerTypes: [] };

/** `ms` after T0, on the manager's clock. */
const t = (ms: number) => new Date(T0 + ms);

function beat(workerType: string, instanceId: string, receivedMs: number, workerClockOffsetMs = 0): Heartbeat {
  return { workerType, instanceId, receivedAt: t(receivedMs), reportedAt: t(receivedMs + workerClockOffsetMs) };
}

/** The behaviour every WorkerRegistry must have. `createHarness` gives an empty backing store each time. */
export function describeWorkerRegistryContract(name: string, createHarness: () => Promise<WorkerRegistryHarness>): void {
  describe(`${name}: WorkerRegistry contract`, () => {
    it('reports a type revived on its first beat only, and lists it alive with its instances', async () => {
      const harness = await createHarness();
      const registry = harness.create();
      expect(await registry.record([beat('extract', 'i1', 0)], t(0))).toEqual({ revived: ['extract'], dropped: NONE });
      expect(await registry.record([beat('extract', 'i2', 1000)], t(1000))).toEqual({ revived: [], dropped: NONE });
      expect(await registry.record([beat('extract', 'i1', 20_000)], t(20_000))).toEqual({ revived: [], dropped: NONE });
      expect(await registry.aliveWorkerTypes(t(20_000))).toEqual([{ workerType: 'extract', instances: 2, lastBeatAt: t(20_000) }]);
    });

    it('reports every type of a batch once, however many of its instances beat', async () => {
      const harness = await createHarness();
      const registry = harness.create();
      const beats = ['a', 'b', 'c'].flatMap((type) => [beat(type, '1', 0), beat(type, '2', 10), beat(type, '1', 20)]);
      const { revived } = await registry.record(beats, t(20));
      expect([...revived].sort()).toEqual(['a', 'b', 'c']);
      expect((await registry.aliveWorkerTypes(t(20))).map((type) => [type.workerType, type.instances])).toEqual([
        ['a', 2],
        ['b', 2],
        ['c', 2],
      ]);
    });

    it('does not report a type another host already keeps alive', async () => {
      const harness = await createHarness();
      await harness.create().record([beat('extract', 'i1', 0)], t(0));
      expect(await harness.create().record([beat('extract', 'i2', 500)], t(500))).toEqual({ revived: [], dropped: NONE });
    });

    it('lets exactly one of two hosts racing on a revival report it', async () => {
      const harness = await createHarness();
      const hostA = harness.create();
      const hostB = harness.create();
      const types = ['t1', 't2', 't3', 't4', 't5'];
      const [a, b] = await Promise.all([
        hostA.record(
          types.map((type) => beat(type, 'from-a', 100)),
          t(100),
        ),
        hostB.record(
          types.map((type) => beat(type, 'from-b', 100)),
          t(100),
        ),
      ]);
      const reported = [...(a?.revived ?? []), ...(b?.revived ?? [])].sort();
      expect(reported).toEqual(types);
      expect((await hostA.aliveWorkerTypes(t(100))).map((type) => type.instances)).toEqual([2, 2, 2, 2, 2]);

      // Same race with the second host holding a later beat (its write then extends the type).
      const later = ['u1', 'u2', 'u3'];
      const [c, d] = await Promise.all([
        hostA.record(
          later.map((type) => beat(type, 'from-a', 200)),
          t(200),
        ),
        hostB.record(
          later.map((type) => beat(type, 'from-b', 201)),
          t(201),
        ),
      ]);
      expect([...(c?.revived ?? []), ...(d?.revived ?? [])].sort()).toEqual(later);
      expect((await hostB.aliveWorkerTypes(t(201))).filter((type) => later.includes(type.workerType)).map((type) => type.lastBeatAt)).toEqual(
        later.map(() => t(201)),
      );
    });

    it('coalesces a fleet beating every second into one write per instance per refresh period', async () => {
      const harness = await createHarness();
      const registry = harness.create({ expiryMs: 60_000, refreshMs: 15_000 });
      const instances = ['i1', 'i2', 'i3', 'i4', 'i5'];
      const revived: string[] = [];
      // 10 batches, 1 s apart, of 10 beats each (every instance twice): 100 beats within refreshMs.
      for (let batch = 0; batch < 10; batch++) {
        const now = batch * 1000;
        const beats = [...instances, ...instances].map((id, i) => beat('extract', id, now - 500 + i));
        revived.push(...(await registry.record(beats, t(now))).revived);
      }
      expect(revived).toEqual(['extract']);
      expect(harness.writes()).toEqual({ types: 1, instances: 5 });

      // Once refreshMs has passed since what was written, the next beats are written again.
      await registry.record(
        instances.map((id) => beat('extract', id, 15_000)),
        t(15_000),
      );
      expect(harness.writes()).toEqual({ types: 2, instances: 10 });
      expect(await registry.aliveWorkerTypes(t(15_000))).toEqual([{ workerType: 'extract', instances: 5, lastBeatAt: t(15_000) }]);

      // A host with a cold cache writes what it receives.
      await harness.create({ expiryMs: 60_000, refreshMs: 15_000 }).record([beat('extract', 'i1', 16_000)], t(16_000));
      expect(harness.writes().instances).toBe(11);
    });

    it('expires instances and types by the manager clock, and reports a dead type once', async () => {
      const harness = await createHarness();
      const registry = harness.create({ expiryMs: 60_000 });
      await registry.record([beat('extract', 'i1', 0)], t(0));
      expect(await registry.expire(t(59_999))).toEqual({ removedInstances: 0, deadTypes: [] });
      expect((await registry.aliveWorkerTypes(t(59_999))).map((type) => type.workerType)).toEqual(['extract']);
      expect(await registry.aliveWorkerTypes(t(60_000))).toEqual([]);
      expect(await registry.expire(t(60_000))).toEqual({ removedInstances: 1, deadTypes: ['extract'] });
      expect(await harness.create({ expiryMs: 60_000 }).expire(t(61_000))).toEqual({ removedInstances: 0, deadTypes: [] });
      // It comes back with its next beat.
      expect(await registry.record([beat('extract', 'i1', 62_000)], t(62_000))).toEqual({ revived: ['extract'], dropped: NONE });
    });

    it('reports a type revived when its beats resume after its expiry, even before any expire ran', async () => {
      const harness = await createHarness();
      const registry = harness.create({ expiryMs: 60_000 });
      await registry.record([beat('extract', 'i1', 0)], t(0));
      expect(await registry.record([beat('extract', 'i1', 70_000)], t(70_000))).toEqual({ revived: ['extract'], dropped: NONE });
    });

    for (const offset of [HOUR, -HOUR]) {
      it(`ignores the worker's clock (${offset > 0 ? '1 h ahead' : '1 h behind'})`, async () => {
        const harness = await createHarness();
        const registry = harness.create({ expiryMs: 60_000 });
        expect(await registry.record([beat('extract', 'i1', 0, offset)], t(0))).toEqual({ revived: ['extract'], dropped: NONE });
        expect(await registry.record([beat('extract', 'i2', 1000, offset)], t(1000))).toEqual({ revived: [], dropped: NONE });
        // The type's stored beat is the first one: the second came within refreshMs and was not written.
        expect(await registry.aliveWorkerTypes(t(59_999))).toEqual([{ workerType: 'extract', instances: 2, lastBeatAt: t(0) }]);
        expect(await registry.expire(t(60_000))).toEqual({ removedInstances: 1, deadTypes: [] });
        expect(await registry.expire(t(61_000))).toEqual({ removedInstances: 1, deadTypes: ['extract'] });
      });
    }

    it('removes only the instances that stopped beating', async () => {
      const harness = await createHarness();
      const registry = harness.create({ expiryMs: 60_000, refreshMs: 15_000 });
      await registry.record([beat('extract', 'quiet', 0), beat('extract', 'busy', 0)], t(0));
      await registry.record([beat('extract', 'busy', 30_000)], t(30_000));
      expect(await registry.expire(t(60_000))).toEqual({ removedInstances: 1, deadTypes: [] });
      expect(await registry.aliveWorkerTypes(t(60_000))).toEqual([{ workerType: 'extract', instances: 1, lastBeatAt: t(30_000) }]);
    });

    it('lets exactly one of two hosts expiring at once report the dead type', async () => {
      const harness = await createHarness();
      await harness.create().record([beat('a', '1', 0), beat('b', '1', 0), beat('b', '2', 0)], t(0));
      const [x, y] = await Promise.all([harness.create().expire(t(60_000)), harness.create().expire(t(60_000))]);
      expect([...(x?.deadTypes ?? []), ...(y?.deadTypes ?? [])].sort()).toEqual(['a', 'b']);
      expect((x?.removedInstances ?? 0) + (y?.removedInstances ?? 0)).toBe(3);
    });

    it('does not let an old, redelivered beat revive a type', async () => {
      const harness = await createHarness();
      const registry = harness.create({ expiryMs: 60_000 });
      expect(await registry.record([beat('extract', 'i1', 0)], t(60_000))).toEqual({ revived: [], dropped: NONE });
      expect(await registry.aliveWorkerTypes(t(60_000))).toEqual([]);
      expect(harness.writes()).toEqual({ types: 0, instances: 0 });
    });

    it("handles '#' and '%' in worker types and instance ids", async () => {
      const harness = await createHarness();
      const registry = harness.create();
      const { revived } = await registry.record([beat('a#b', 'i#1', 0), beat('a%23b', 'i%231', 0), beat('a#b', 'i%1', 0)], t(0));
      expect([...revived].sort()).toEqual(['a#b', 'a%23b']);
      expect((await registry.aliveWorkerTypes(t(0))).map((type) => [type.workerType, type.instances])).toEqual([
        ['a#b', 2],
        ['a%23b', 1],
      ]);
    });

    it('holds at most maxTypes worker types: a new type beyond is dropped, known ones keep beating', async () => {
      const harness = await createHarness();
      const registry = harness.create({ caps: { maxTypes: 2 } });
      await registry.record([beat('a', '1', 0)], t(0));
      await registry.record([beat('b', '1', 1000)], t(1000));
      expect(await registry.record([beat('c', '1', 2000), beat('c', '2', 2000)], t(2000))).toEqual({
        revived: [],
        dropped: { beats: 2, workerTypes: ['c'] },
      });
      // Another host (its own counts) refuses it too, and the known types still beat.
      const other = harness.create({ caps: { maxTypes: 2 } });
      expect((await other.record([beat('d', '1', 3000), beat('a', '2', 3000)], t(3000))).dropped).toEqual({ beats: 1, workerTypes: ['d'] });
      expect((await registry.aliveWorkerTypes(t(3000))).map((type) => [type.workerType, type.instances])).toEqual([
        ['a', 2],
        ['b', 1],
      ]);
      // Once a type expires, there is room again.
      await registry.expire(t(3000 + HOUR));
      expect((await registry.record([beat('c', '1', 2 * HOUR)], t(2 * HOUR))).revived).toEqual(['c']);
    });

    it('holds at most maxInstancesPerType instances of a type: a new instance beyond is dropped, known ones keep beating', async () => {
      const harness = await createHarness();
      const registry = harness.create({ caps: { maxInstancesPerType: 2 } });
      await registry.record([beat('a', '1', 0), beat('a', '2', 0)], t(0));
      const outcome = await registry.record([beat('a', '3', 30_000), beat('a', '1', 30_000), beat('b', '1', 30_000)], t(30_000));
      expect(outcome).toEqual({ revived: ['b'], dropped: { beats: 1, workerTypes: ['a'] } });
      expect((await registry.aliveWorkerTypes(t(30_000))).map((type) => [type.workerType, type.instances])).toEqual([
        ['a', 2],
        ['b', 1],
      ]);
    });

    it('refuses a refresh period that could let a beating instance expire', async () => {
      const harness = await createHarness();
      expect(() => harness.create({ expiryMs: 1000, refreshMs: 600 })).toThrow(RangeError);
      expect(() => harness.create({ expiryMs: 0 })).toThrow(RangeError);
      expect(harness.create({ expiryMs: 1000, refreshMs: 500 })).toBeDefined();
    });
  });
}
