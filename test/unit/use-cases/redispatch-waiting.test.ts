import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryRequestStore } from '../../../shared/adapters/memory/memory-request-store.js';
import { Header } from '../../../shared/contract/headers.js';
import { DEFAULT_MANAGER_SETTINGS } from '../../../shared/contract/manager-settings.js';
import { redispatchWaiting, type RedispatchScope } from '../../../shared/application/use-cases/redispatch-waiting.js';
import type { Page, PageQuery, RequestKey } from '../../../shared/ports/request-store.js';
import { StoreUnavailableError } from '../../../shared/ports/request-store.js';
import {
  bringAlive,
  configure,
  decodeJson,
  memoryWorld,
  storedRequest,
  submitRequests,
  workItemIds,
  type MemoryWorld,
} from '../../support/use-case-fixtures.js';

const names = DEFAULT_MANAGER_SETTINGS.names;
const EXTRACT_QUEUE = 'regards.worker.extract-worker.request';
const RECHECK_MS = DEFAULT_MANAGER_SETTINGS.waitingRecheckSeconds * 1000;

function responses(world: MemoryWorld): Record<string, unknown>[] {
  return world.bus.to(names.responseExchange).map((message) => decodeJson(message.body) as Record<string, unknown>);
}

const workIds = (world: MemoryWorld, exchange = EXTRACT_QUEUE) => workItemIds(world, exchange);

const park = submitRequests;

const stored = storedRequest;

describe('redispatchWaiting', () => {
  let world: MemoryWorld;
  const scope = (overrides: Partial<RedispatchScope> = {}): RedispatchScope => ({
    tenants: ['tenant-a', 'tenant-b'],
    workerTypes: ['extract-worker'],
    includeUnrouted: true,
    limit: 1000,
    ...overrides,
  });

  beforeEach(async () => {
    world = memoryWorld();
    for (const tenant of ['tenant-a', 'tenant-b']) {
      await configure(world, tenant, { workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
    }
  });

  it('dispatches the waiting requests of an alive type, answers GRANTED and moves the counters', async () => {
    await park(world, 'tenant-a', ['a-1']);
    await park(world, 'tenant-b', ['b-1']);
    world.bus.clear();
    await bringAlive(world, 'extract-worker');

    const report = await redispatchWaiting(scope(), world);
    expect(report).toEqual({ examined: 2, dispatched: 2, rerouted: 0, rescheduled: 0, unchanged: 0, conflicts: 0, stale: 0, failedTenants: [] });
    expect(workIds(world).sort()).toEqual(['tenant-a/a-1', 'tenant-b/b-1']);
    expect(world.bus.to(EXTRACT_QUEUE)[0]?.headers[Header.dispatchAttempt]).toBe(1);
    expect(responses(world).map((body) => body['state'])).toEqual(['GRANTED', 'GRANTED']);
    expect(world.bus.to(names.responseExchange)[0]?.headers[Header.workerId]).toBe('extract-worker');
    expect((await world.counters.get('tenant-b', 'owner-1', 'session-1'))?.values).toMatchObject({
      'workers.no_worker_available': 0,
      'workers.extract-worker.dispatched': 1,
    });
    expect((await world.requests.listWaiting('tenant-a', 'extract-worker', { limit: 10 })).items).toEqual([]);
  });

  it('is idempotent: a second run finds nothing to do and sends nothing', async () => {
    await park(world, 'tenant-a', ['a-1', 'a-2']);
    await bringAlive(world, 'extract-worker');
    await redispatchWaiting(scope(), world);
    world.bus.clear();
    const again = await redispatchWaiting(scope(), world);
    expect(again).toMatchObject({ examined: 0, dispatched: 0 });
    expect(world.bus.published).toEqual([]);
  });

  describe('unrouted requests (arrived before their configuration)', () => {
    beforeEach(async () => {
      await park(world, 'tenant-a', ['u-1', 'u-2'], 'new-type');
      expect((await stored(world, 'tenant-a', 'u-1'))?.stepWorkerType).toBeNull();
      world.bus.clear();
      await configure(world, 'tenant-a', {
        workers: [
          { workerType: 'extract-worker', contentTypeInputs: ['to-extract'] },
          { workerType: 'new-worker', contentTypeInputs: ['new-type'] },
        ],
      });
    });

    it('dispatches them with the configuration imported since, when their worker is alive', async () => {
      await bringAlive(world, 'new-worker');
      const report = await redispatchWaiting(scope({ workerTypes: [] }), world);
      expect(report).toMatchObject({ examined: 2, dispatched: 2 });
      expect(workIds(world, 'regards.worker.new-worker.request').sort()).toEqual(['tenant-a/u-1', 'tenant-a/u-2']);
      expect(await stored(world, 'tenant-a', 'u-1')).toMatchObject({ status: 'DISPATCHED', stepWorkerType: 'new-worker', dispatchedWorkerType: 'new-worker' });
    });

    it('re-routes them to their worker type list when it is not alive, without answering again', async () => {
      const report = await redispatchWaiting(scope({ workerTypes: [] }), world);
      expect(report).toMatchObject({ examined: 2, dispatched: 0, rerouted: 2 });
      expect(world.bus.published).toEqual([]);
      expect((await world.requests.listWaiting('tenant-a', null, { limit: 10 })).items).toEqual([]);
      expect((await world.requests.listWaiting('tenant-a', 'new-worker', { limit: 10 })).items.map((key) => key.requestId)).toEqual(['u-1', 'u-2']);
      const request = await stored(world, 'tenant-a', 'u-1');
      expect(request?.history.at(-1)).toMatchObject({
        status: 'NO_WORKER_AVAILABLE',
        workerType: 'new-worker',
        messages: ['no worker of type new-worker is alive'],
      });
      // The next visit finds them routed: nothing to write.
      expect(await redispatchWaiting(scope({ workerTypes: ['new-worker'] }), world)).toMatchObject({ examined: 2, unchanged: 2, rerouted: 0 });
    });

    it('leaves the unrouted list of an unconfigured tenant alone', async () => {
      await park(world, 'tenant-z', ['z-1'], 'anything');
      let listed = 0;
      const requests = world.requests;
      const counting = Object.assign(Object.create(requests) as MemoryRequestStore, {
        listWaiting: (tenant: string, workerType: string | null, page: PageQuery): Promise<Page<RequestKey>> => {
          if (tenant === 'tenant-z') listed += 1;
          return requests.listWaiting(tenant, workerType, page);
        },
      });
      const report = await redispatchWaiting(scope({ tenants: ['tenant-z'], workerTypes: [] }), { ...world, requests: counting });
      expect(report.examined).toBe(0);
      expect(listed).toBe(0);
    });
  });

  it('routes with the CURRENT configuration a request whose list it reads', async () => {
    // Waiting for a workflow step: the step's worker is the one the current configuration names.
    await configure(world, 'tenant-a', {
      workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }],
      workflows: [{ workflowType: 'wf', steps: [{ stepNumber: 5, workerType: 'extract-worker' }] }],
    });
    await park(world, 'tenant-a', ['wf-1'], 'wf');
    await bringAlive(world, 'extract-worker');
    world.bus.clear();
    expect((await redispatchWaiting(scope({ tenants: ['tenant-a'] }), world)).dispatched).toBe(1);
    expect(await stored(world, 'tenant-a', 'wf-1')).toMatchObject({ status: 'DISPATCHED', stepNumber: 5, dispatchedWorkerType: 'extract-worker' });
  });

  it("does not read the list of a type the tenant's configuration does not use (one query per shard saved)", async () => {
    await park(world, 'tenant-a', ['a-1']);
    await configure(world, 'tenant-a', { workers: [{ workerType: 'other-worker', contentTypeInputs: ['to-extract'] }] });
    await bringAlive(world, 'extract-worker');
    const listed: (string | null)[] = [];
    const requests = world.requests;
    const counting = Object.assign(Object.create(requests) as MemoryRequestStore, {
      listWaiting: (tenant: string, workerType: string | null, page: PageQuery): Promise<Page<RequestKey>> => {
        listed.push(workerType);
        return requests.listWaiting(tenant, workerType, page);
      },
    });
    const report = await redispatchWaiting(scope({ tenants: ['tenant-a'], workerTypes: ['extract-worker', 'other-worker'] }), { ...world, requests: counting });
    expect(listed).toEqual(['other-worker', null]);
    expect(report.examined).toBe(0);
  });

  describe('requests whose worker is still dead', () => {
    beforeEach(async () => {
      await park(world, 'tenant-a', ['a-1']);
      world.bus.clear();
    });

    it('writes nothing and answers nothing while their recheck is not due', async () => {
      const before = await stored(world, 'tenant-a', 'a-1');
      const report = await redispatchWaiting(scope(), world);
      expect(report).toMatchObject({ examined: 1, unchanged: 1, rescheduled: 0 });
      expect(await stored(world, 'tenant-a', 'a-1')).toEqual(before);
      expect(world.bus.published).toEqual([]);
    });

    it('only moves the deadline once the recheck is due: no DELAYED again, no history entry', async () => {
      const before = await stored(world, 'tenant-a', 'a-1');
      world.clock.advance(RECHECK_MS);
      const report = await redispatchWaiting(scope(), world);
      expect(report).toMatchObject({ examined: 1, rescheduled: 1 });
      const after = await stored(world, 'tenant-a', 'a-1');
      expect(after).toEqual({ ...before, deadline: new Date(world.clock.now().getTime() + RECHECK_MS).toISOString(), version: (before?.version ?? 0) + 1 });
      expect(world.bus.published).toEqual([]);
    });
  });

  it('lets two concurrent runs over one store dispatch each request once (a loser sends only a duplicate of the same attempt)', async () => {
    const ids = Array.from({ length: 30 }, (_, n) => `r-${n}`);
    await park(world, 'tenant-a', ids.slice(0, 15));
    await park(world, 'tenant-b', ids.slice(15));
    await bringAlive(world, 'extract-worker');
    world.bus.clear();

    const [first, second] = await Promise.all([redispatchWaiting(scope({ pageSize: 7 }), world), redispatchWaiting(scope({ pageSize: 7 }), world)]);
    expect((first?.dispatched ?? 0) + (second?.dispatched ?? 0)).toBe(30);
    // The race really happened: the loser's writes were refused, not just skipped.
    expect((first?.conflicts ?? 0) + (second?.conflicts ?? 0)).toBeGreaterThan(0);
    // Work items go out before the write, so the loser of a race sent a copy too: the same
    // request at the same attempt, whose second answer is a duplicate the state guard records.
    const sent = workIds(world);
    expect(new Set(sent).size).toBe(30);
    expect(new Set(world.bus.to(EXTRACT_QUEUE).map((message) => message.headers[Header.dispatchAttempt]))).toEqual(new Set([1]));
    // Each work item went out after its GRANTED, in one burst: a loser's GRANTED is a copy too,
    // so every request got GRANTED at least once and no client heard of a worker before it.
    const granted = responses(world);
    expect(granted).toHaveLength(sent.length);
    expect(new Set(granted.map((answer) => answer['requestId'])).size).toBe(30);
    expect(granted.every((answer) => answer['state'] === 'GRANTED')).toBe(true);
    const attempts = [...(await world.requests.getAll('tenant-a', ids.slice(0, 15))).values()].map((request) => request.attempt);
    expect(new Set(attempts)).toEqual(new Set([1]));
  });

  describe('bounded and resumable', () => {
    it('lists at most `limit` per call and resumes from the continuation, each request once', async () => {
      const ids = Array.from({ length: 12 }, (_, n) => `r-${String(n).padStart(2, '0')}`);
      await park(world, 'tenant-a', ids.slice(0, 7));
      await park(world, 'tenant-b', ids.slice(7));
      await bringAlive(world, 'extract-worker');
      world.bus.clear();

      const calls = [];
      let continuation = undefined as RedispatchScope['continuation'];
      do {
        const report = await redispatchWaiting(scope({ limit: 5, pageSize: 2, continuation }), world);
        expect(report.examined).toBeLessThanOrEqual(5);
        calls.push(report);
        continuation = report.continuation;
      } while (continuation !== undefined && calls.length < 10);
      expect(calls.map((report) => report.dispatched)).toEqual([5, 5, 2]);
      expect(calls[0]?.continuation).toEqual({ tenant: 'tenant-a', workerType: 'extract-worker', cursor: expect.any(String) });
      expect(new Set(workIds(world)).size).toBe(12);
      expect(workIds(world)).toHaveLength(12);
      // One publish burst per page (each GRANTED with its work item, before the writes), never one per request.
      expect(world.bus.bursts).toBe(7);
    });

    it('walks past requests that stay waiting instead of listing them again', async () => {
      const ids = Array.from({ length: 9 }, (_, n) => `r-${n}`);
      await park(world, 'tenant-a', ids);
      world.clock.advance(RECHECK_MS);
      const rescheduled: number[] = [];
      let continuation = undefined as RedispatchScope['continuation'];
      do {
        const report = await redispatchWaiting(scope({ tenants: ['tenant-a'], includeUnrouted: false, limit: 4, continuation }), world);
        rescheduled.push(report.rescheduled);
        continuation = report.continuation;
      } while (continuation !== undefined && rescheduled.length < 10);
      expect(rescheduled).toEqual([4, 4, 1]);
    });

    it('resumes at the next list when the one it stopped in left the scope', async () => {
      await park(world, 'tenant-b', ['b-1']);
      await bringAlive(world, 'extract-worker');
      const report = await redispatchWaiting(scope({ continuation: { tenant: 'tenant-a', workerType: 'dead-worker', cursor: 'stale' } }), world);
      expect(report.dispatched).toBe(1);
    });

    it('returns a continuation at once for a zero budget', async () => {
      const report = await redispatchWaiting(scope({ limit: 0 }), world);
      expect(report).toMatchObject({ examined: 0, continuation: { tenant: 'tenant-a', workerType: 'extract-worker' } });
    });
  });

  it('skips a failing tenant, logs why, and goes on with the others', async () => {
    await park(world, 'tenant-a', ['a-1']);
    await park(world, 'tenant-b', ['b-1']);
    await bringAlive(world, 'extract-worker');
    const requests = world.requests;
    const failing = Object.assign(Object.create(requests) as MemoryRequestStore, {
      listWaiting: (tenant: string, workerType: string | null, page: PageQuery): Promise<Page<RequestKey>> =>
        tenant === 'tenant-a' ? Promise.reject(new StoreUnavailableError('tenant-a partition throttled')) : requests.listWaiting(tenant, workerType, page),
    });
    const report = await redispatchWaiting(scope(), { ...world, requests: failing });
    expect(report).toMatchObject({ dispatched: 1, failedTenants: ['tenant-a'] });
    expect(workIds(world)).toEqual(['tenant-b/b-1']);
    expect(world.logger.entries.some((entry) => entry.level === 'error' && entry.fields['tenant'] === 'tenant-a')).toBe(true);
  });

  it('counts listed requests that are no longer waiting as stale and leaves them alone', async () => {
    await bringAlive(world, 'extract-worker');
    await park(world, 'tenant-a', ['a-1']);
    const dispatched = await stored(world, 'tenant-a', 'a-1');
    expect(dispatched?.status).toBe('DISPATCHED');
    world.bus.clear();
    // An index that lags still lists it.
    const requests = world.requests;
    const lagging = Object.assign(Object.create(requests) as MemoryRequestStore, {
      listWaiting: async (tenant: string): Promise<Page<RequestKey>> => ({
        items:
          tenant === 'tenant-a'
            ? [
                { tenant, requestId: 'a-1' },
                { tenant, requestId: 'gone' },
              ]
            : [],
      }),
    });
    const report = await redispatchWaiting(scope({ tenants: ['tenant-a'], includeUnrouted: false }), { ...world, requests: lagging });
    expect(report).toMatchObject({ examined: 2, stale: 2, dispatched: 0 });
    expect(world.bus.published).toEqual([]);
    expect(await stored(world, 'tenant-a', 'a-1')).toEqual(dispatched);
  });
});
