import { beforeEach, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { MemoryJobLauncher } from '../../../shared/adapters/memory/memory-job-launcher.js';
import { MemoryJobStore } from '../../../shared/adapters/memory/memory-job-store.js';
import { MemoryRequestStore } from '../../../shared/adapters/memory/memory-request-store.js';
import { DEFAULT_MANAGER_SETTINGS } from '../../../shared/contract/manager-settings.js';
import type { Request } from '../../../shared/domain/request/request.js';
import type { DueHandler } from '../../../shared/application/use-cases/enforce-deadlines.js';
import { sweep, type SweepDeps, type SweepProgress } from '../../../shared/application/use-cases/sweep.js';
import { TenantConfigs } from '../../../shared/application/services/tenant-configs.js';
import type { BulkJob } from '../../../shared/ports/job-store.js';
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
  declare,
} from '../../support/use-case-fixtures.js';

const names = DEFAULT_MANAGER_SETTINGS.names;
const EXTRACT_QUEUE = 'regards.worker.extract-worker.request';
const RECHECK_MS = DEFAULT_MANAGER_SETTINGS.waitingRecheckSeconds * 1000;
const EXPIRY_MS = DEFAULT_MANAGER_SETTINGS.heartbeatExpirySeconds * 1000;

const workIds = (world: MemoryWorld, exchange = EXTRACT_QUEUE) => workItemIds(world, exchange);

const park = submitRequests;

const stored = storedRequest;

describe('sweep', () => {
  let world: MemoryWorld;
  let deps: SweepDeps;

  beforeEach(async () => {
    world = memoryWorld();
    deps = world;
    for (const tenant of ['tenant-a', 'tenant-b']) {
      await configure(world, tenant, { workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
    }
  });

  describe('(a) expiry', () => {
    it('removes instances past the expiry, and intake then sees the type dead', async () => {
      await bringAlive(world, 'extract-worker', 'i-1');
      world.clock.advance(EXPIRY_MS / 2);
      await bringAlive(world, 'extract-worker', 'i-2');
      world.clock.advance(EXPIRY_MS / 2);

      const partly = await sweep(deps);
      expect(partly.expired).toEqual({ removedInstances: 1, deadTypes: [] });
      world.clock.advance(EXPIRY_MS / 2);
      const dead = await sweep(deps);
      expect(dead.expired).toEqual({ removedInstances: 1, deadTypes: ['extract-worker'] });
      expect(world.logger.entries.some((entry) => entry.message.startsWith('worker types died'))).toBe(true);

      await park(world, 'tenant-a', ['late-1']);
      expect((await stored(world, 'tenant-a', 'late-1'))?.status).toBe('NO_WORKER_AVAILABLE');
    });

    it('goes on with the other steps when the registry fails', async () => {
      await park(world, 'tenant-a', ['a-1']);
      await bringAlive(world, 'extract-worker');
      const registry = world.registry;
      const report = await sweep({
        ...deps,
        registry: Object.assign(Object.create(registry) as typeof registry, { expire: () => Promise.reject(new StoreUnavailableError('registry down')) }),
      });
      expect(report.failures).toEqual([{ step: 'expire', message: 'registry down' }]);
      expect(report.waiting?.dispatched).toBe(1);
    });
  });

  describe('(b) safety net', () => {
    it('dispatches the waiting requests of every alive type in every tenant', async () => {
      await park(world, 'tenant-a', ['a-1']);
      await park(world, 'tenant-b', ['b-1']);
      world.bus.clear();
      // Alive without going through record-heartbeats: nobody re-dispatched on the revival.
      await bringAlive(world, 'extract-worker');
      const report = await sweep(deps);
      expect(report.waiting).toMatchObject({ dispatched: 2, failedTenants: [] });
      expect(workIds(world).sort()).toEqual(['tenant-a/a-1', 'tenant-b/b-1']);
    });

    it('routes unrouted requests once a configuration exists, and dispatches them', async () => {
      await park(world, 'tenant-a', ['u-1'], 'late-type');
      await configure(world, 'tenant-a', {
        workers: [
          { workerType: 'extract-worker', contentTypeInputs: ['to-extract'] },
          { workerType: 'late-worker', contentTypeInputs: ['late-type'] },
        ],
      });
      await bringAlive(world, 'late-worker');
      world.bus.clear();
      await sweep(deps);
      expect(workIds(world, 'regards.worker.late-worker.request')).toEqual(['tenant-a/u-1']);
      expect(await stored(world, 'tenant-a', 'u-1')).toMatchObject({ status: 'DISPATCHED', stepWorkerType: 'late-worker' });
    });

    it('resumes where the previous run stopped, through the progress it keeps', async () => {
      const ids = Array.from({ length: 7 }, (_, n) => `r-${n}`);
      await park(world, 'tenant-a', ids);
      await bringAlive(world, 'extract-worker');
      const progress: SweepProgress = {};
      const limits = { waiting: 3, pageSize: 2 };
      const first = await sweep({ ...deps, progress, limits });
      expect(first.waiting?.dispatched).toBe(3);
      expect(progress.waiting?.at).toMatchObject({ tenant: 'tenant-a', workerType: 'extract-worker' });
      await sweep({ ...deps, progress, limits });
      await sweep({ ...deps, progress, limits });
      expect(progress.waiting?.at).toBeUndefined();
      expect(new Set(workIds(world)).size).toBe(7);
      expect(workIds(world)).toHaveLength(7);
    });

    it('writes nothing when the broker refuses the work items, so the next sweep dispatches them', async () => {
      await park(world, 'tenant-a', ['b-1', 'b-2']);
      await bringAlive(world, 'extract-worker');
      world.bus.clear();
      world.bus.failing = true;
      const failed = await sweep(deps);
      expect(failed.failures.map((failure) => failure.step)).toContain('waiting');
      expect((await stored(world, 'tenant-a', 'b-1'))?.status).toBe('NO_WORKER_AVAILABLE');

      world.bus.failing = false;
      await sweep(deps);
      expect(await stored(world, 'tenant-a', 'b-1')).toMatchObject({ status: 'DISPATCHED', attempt: 1 });
      expect(workIds(world).sort()).toEqual(['tenant-a/b-1', 'tenant-a/b-2']);
    });

    it('lets two concurrent sweeps dispatch each request once (any extra work item is a copy of the same attempt)', async () => {
      const ids = Array.from({ length: 20 }, (_, n) => `r-${n}`);
      await park(world, 'tenant-a', ids);
      await bringAlive(world, 'extract-worker');
      world.bus.clear();
      const reports = await Promise.all([sweep({ ...deps, limits: { pageSize: 3 } }), sweep({ ...deps, limits: { pageSize: 3 } })]);
      expect(reports.reduce((sum, report) => sum + (report.waiting?.dispatched ?? 0), 0)).toBe(20);
      expect(new Set(workIds(world)).size).toBe(20);
      expect(new Set(world.bus.to(EXTRACT_QUEUE).map((message) => message.headers[Header.dispatchAttempt]))).toEqual(new Set([1]));
      // Each work item goes out after its GRANTED: as many GRANTED as work items, every request at least once.
      const granted = world.bus.to(names.responseExchange);
      expect(granted).toHaveLength(workIds(world).length);
      expect(new Set(granted.map((message) => message.headers[Header.requestId])).size).toBe(20);
    });
  });

  describe('(c) due requests', () => {
    it('pushes the recheck of a request that still has no worker, sends nothing', async () => {
      await park(world, 'tenant-a', ['a-1']);
      world.bus.clear();
      world.clock.advance(RECHECK_MS);
      const report = await sweep(deps);
      expect(report.due).toMatchObject({ examined: 1, handled: 1, dispatched: 0, stale: 0 });
      expect((await stored(world, 'tenant-a', 'a-1'))?.deadline).toBe(new Date(world.clock.now().getTime() + RECHECK_MS).toISOString());
      expect(world.bus.published).toEqual([]);
      // Not due any more: the next sweep does not touch it.
      expect((await sweep(deps)).due.examined).toBe(0);
    });

    it('rechecks the waiting requests of a tenant nobody configured', async () => {
      await declare(world, 'tenant-z');
      await park(world, 'tenant-z', ['z-1']);
      world.clock.advance(RECHECK_MS);
      const report = await sweep(deps);
      expect(report.due).toMatchObject({ examined: 1, handled: 1 });
      expect(report.waiting?.examined).toBe(0);
    });

    it('dispatches a due waiting request whose worker is alive when the safety net had no budget left', async () => {
      await park(world, 'tenant-a', ['a-1']);
      world.bus.clear();
      await bringAlive(world, 'extract-worker');
      world.clock.advance(RECHECK_MS);
      await bringAlive(world, 'extract-worker');
      const report = await sweep({ ...deps, limits: { waiting: 0 } });
      expect(report.due).toMatchObject({ handled: 1, dispatched: 1 });
      expect(workIds(world)).toEqual(['tenant-a/a-1']);
      expect((await stored(world, 'tenant-a', 'a-1'))?.history.at(-1)?.event).toBe('waiting-recheck');
      expect(world.bus.to(names.responseExchange).map((message) => (decodeJson(message.body) as Record<string, unknown>)['state'])).toEqual(['GRANTED']);
    });

    it('re-routes at its recheck a request parked for a type its content type is no longer mapped to', async () => {
      await park(world, 'tenant-a', ['a-1']);
      await configure(world, 'tenant-a', { workers: [{ workerType: 'other-worker', contentTypeInputs: ['to-extract'] }] });
      await bringAlive(world, 'other-worker');
      await bringAlive(world, 'extract-worker');
      world.bus.clear();
      expect((await sweep(deps)).due.examined).toBe(0);
      expect(world.bus.published).toEqual([]);
      world.clock.advance(RECHECK_MS);
      await bringAlive(world, 'other-worker');
      const report = await sweep(deps);
      expect(report.due).toMatchObject({ handled: 1, dispatched: 1 });
      expect(workIds(world, 'regards.worker.other-worker.request')).toEqual(['tenant-a/a-1']);
    });

    it('hands due requests of other statuses to the handlers given, and counts those nobody handles', async () => {
      await bringAlive(world, 'extract-worker');
      await park(world, 'tenant-a', ['d-1', 'd-2', 'r-1']);
      const running = await stored(world, 'tenant-a', 'r-1');
      if (running === undefined) throw new Error('not stored');
      await world.requests.updateAll([{ previous: running, next: { ...running, status: 'RUNNING', version: running.version + 1 } }]);
      world.clock.advance(3_600_000 + 1);
      const seen: Request[][] = [];
      const timeOut: DueHandler = async (requests, context) => {
        seen.push([...requests]);
        context.effects.respondAbout(requests[0] as Request, { state: 'ERROR', messages: ['timed out'] });
        return { handled: requests.length, dispatched: 0, conflicts: 0 };
      };
      world.bus.clear();
      // RUNNING is handled by default (time-out); taking its handler away shows the unhandled count.
      const report = await sweep({ ...deps, dueHandlers: { DISPATCHED: timeOut, RUNNING: undefined } });
      expect(seen.map((requests) => requests.map((request) => request.requestId).sort())).toEqual([['d-1', 'd-2']]);
      expect(report.due).toMatchObject({ examined: 3, handled: 2, unhandled: { RUNNING: 1 } });
      // The handler's effects were flushed with the page.
      expect(world.bus.to(names.responseExchange)).toHaveLength(1);
    });

    it('does not hand a listed request whose deadline, read again, is not due (index lag)', async () => {
      await bringAlive(world, 'extract-worker');
      await park(world, 'tenant-a', ['d-1']);
      const requests = world.requests;
      const lagging = Object.assign(Object.create(requests) as MemoryRequestStore, {
        listDue: async (tenant: string): Promise<Page<RequestKey>> => ({ items: tenant === 'tenant-a' ? [{ tenant, requestId: 'd-1' }] : [] }),
      });
      const refreshed: string[] = [];
      lagging.refreshDue = async (early) => {
        refreshed.push(...early.map((request) => request.requestId));
      };
      let called = 0;
      const report = await sweep({ ...deps, requests: lagging, dueHandlers: { DISPATCHED: async () => ({ handled: ++called, dispatched: 0, conflicts: 0 }) } });
      expect(called).toBe(0);
      expect(report.due).toMatchObject({ examined: 1, stale: 1, handled: 0 });
      // Listed before its deadline: its entry is moved to the deadline, so the next run does not list it again.
      expect(refreshed).toEqual(['d-1']);
    });

    it('is bounded per run and resumes with the continuation it keeps', async () => {
      await park(world, 'tenant-a', ['a-1', 'a-2', 'a-3']);
      await park(world, 'tenant-b', ['b-1', 'b-2']);
      world.clock.advance(RECHECK_MS);
      const progress: SweepProgress = {};
      const limits = { due: 2, pageSize: 2 };
      const handled: number[] = [];
      for (let run = 0; run < 3; run += 1) handled.push((await sweep({ ...deps, progress, limits })).due.handled);
      expect(handled).toEqual([2, 2, 1]);
      expect(progress.due?.at).toBeUndefined();
    });

    it('logs a failing tenant and goes on with the others', async () => {
      await park(world, 'tenant-a', ['a-1']);
      await park(world, 'tenant-b', ['b-1']);
      world.clock.advance(RECHECK_MS);
      const requests = world.requests;
      const failing = Object.assign(Object.create(requests) as MemoryRequestStore, {
        listDue: (tenant: string, now: Date, page: PageQuery): Promise<Page<RequestKey>> =>
          tenant === 'tenant-a' ? Promise.reject(new StoreUnavailableError('throttled')) : requests.listDue(tenant, now, page),
      });
      const report = await sweep({ ...deps, requests: failing });
      expect(report.failures).toEqual([{ step: 'due', tenant: 'tenant-a', message: 'throttled' }]);
      expect(report.due.handled).toBe(1);
      expect((await stored(world, 'tenant-b', 'b-1'))?.deadline).toBe(new Date(world.clock.now().getTime() + RECHECK_MS).toISOString());
    });
  });

  it('reports a tenant list it cannot read and stops there, without throwing', async () => {
    world.configStore.unavailable = true;
    const report = await sweep(deps);
    expect(report.failures).toEqual([{ step: 'tenants', message: expect.stringContaining('listTenantPage') }]);
    expect(report.waiting).toBeNull();
  });
});

describe('sweep: stalled bulk jobs', () => {
  it('starts again a job whose runner stopped updating it, and leaves moving and finished jobs alone', async () => {
    const world = memoryWorld();
    await configure(world, 'tenant-a', { workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
    const jobs = new MemoryJobStore();
    const launcher = new MemoryJobLauncher();
    const at = (ms: number) => new Date(world.clock.now().getTime() + ms).toISOString();
    const job = (id: string, status: BulkJob['status'], updatedAt: string): BulkJob => ({
      tenant: 'tenant-a',
      id,
      kind: 'retry',
      filter: {},
      createdBefore: at(0),
      status,
      createdAt: at(-3_600_000),
      updatedAt,
      processed: 0,
      succeeded: 0,
      skipped: 0,
      version: 1,
    });
    await jobs.create(job('stalled', 'RUNNING', at(-11 * 60_000)));
    await jobs.create(job('never-started', 'PENDING', at(-11 * 60_000)));
    await jobs.create(job('moving', 'RUNNING', at(-60_000)));
    await jobs.create(job('done', 'DONE', at(-11 * 60_000)));

    const report = await sweep({ ...world, bulkJobs: { jobs, launcher } });

    expect(report.resumedJobs).toBe(2);
    expect(launcher.launched.map((ref) => ref.jobId).sort()).toEqual(['never-started', 'stalled']);
  });

  it('reports a tenant whose jobs cannot be read, and goes on', async () => {
    const world = memoryWorld();
    await configure(world, 'tenant-a', { workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
    const launcher = new MemoryJobLauncher();
    launcher.failing = true;
    const jobs = new MemoryJobStore();
    await jobs.create({
      tenant: 'tenant-a',
      id: 'stalled',
      kind: 'delete',
      filter: {},
      createdBefore: '2026-01-01T00:00:00.000Z',
      status: 'RUNNING',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      processed: 0,
      succeeded: 0,
      skipped: 0,
      version: 1,
    });
    const report = await sweep({ ...world, bulkJobs: { jobs, launcher } });
    expect(report.failures).toEqual([expect.objectContaining({ step: 'jobs', tenant: 'tenant-a' })]);
  });
});

/** Counts the store reads a sweep makes, weighted as the DynamoDB adapters make them (a listing page reads every index shard). */
function countReads(world: MemoryWorld): { reads: () => number; deps: SweepDeps } {
  let reads = 0;
  const listing = world.requests.queriesPerListing;
  const counted = <T extends object>(target: T, weights: Record<string, number>): T =>
    new Proxy(target, {
      get(object, name, receiver) {
        const value: unknown = Reflect.get(object, name, receiver);
        const weight = typeof name === 'string' ? weights[name] : undefined;
        if (typeof value !== 'function' || weight === undefined) return value;
        return (...args: unknown[]) => {
          reads += weight;
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  const requests = counted(world.requests, { listWaiting: listing, listDue: listing, getAll: 1 });
  const configStore = counted(world.configStore, { get: 1, isDeclared: 1, listTenantPage: 1, listTenants: 1 });
  const tenants = new TenantConfigs(configStore, world.clock, 0);
  return { reads: () => reads, deps: { ...world, requests, configStore, tenants } };
}

describe('sweep: bounded work per run', () => {
  async function worldWith(count: number) {
    const world = memoryWorld();
    const names = Array.from({ length: count }, (_, n) => `tenant-${String(n).padStart(4, '0')}`);
    for (const tenant of names) {
      await configure(world, tenant, { workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
      await submitRequests(world, tenant, [`${tenant}-r`]);
    }
    // The worker type is alive (its waiting lists are read in every tenant), and every parked request is due for its recheck.
    world.clock.advance(RECHECK_MS);
    await bringAlive(world, 'other-worker');
    return { world, names };
  }

  it('reads at most its query budget in one run, with 30 tenants as with 300', async () => {
    for (const count of [30, 300]) {
      const { world } = await worldWith(count);
      const { reads, deps } = countReads(world);
      const report = await sweep({ ...deps, limits: { queries: 200 } });
      // The budget charges a listing page's getAll before knowing whether the page is empty: it never counts less than was read.
      expect(reads()).toBeLessThanOrEqual(report.queries.spent);
      expect(report.queries.spent).toBeLessThanOrEqual(200);
      expect(reads()).toBeGreaterThan(100);
    }
  });

  it('goes round every tenant in turn, resuming at the tenant where the previous run stopped', async () => {
    const { world, names } = await worldWith(120);
    const progress: SweepProgress = {};
    const rechecked = new Set<string>();
    let runs = 0;
    while (rechecked.size < names.length && runs < 100) {
      runs += 1;
      const report = await sweep({ ...world, progress, limits: { queries: 100 } });
      expect(report.queries.spent).toBeLessThanOrEqual(100);
      for (const tenant of names) {
        const request = await storedRequest(world, tenant, `${tenant}-r`);
        if (request?.deadline !== undefined && request.deadline !== null && Date.parse(request.deadline) > world.clock.now().getTime()) rechecked.add(tenant);
      }
    }
    // 120 tenants at ~7 reads each for the due step need several runs of 100, each taking the next tenants.
    expect(rechecked.size).toBe(names.length);
    expect(runs).toBeGreaterThan(5);
    expect(runs).toBeLessThan(40);
  });

  it('keeps a tenant it could not finish for the next run', async () => {
    const { world } = await worldWith(5);
    const progress: SweepProgress = {};
    // Enough for the registry page and one tenant's view, not for its listing.
    await sweep({ ...world, progress, limits: { queries: 20 } });
    expect(progress.due?.at?.tenant ?? progress.due?.after).toMatch(/^tenant-000\d$/);
    const next = progress.due;
    await sweep({ ...world, progress, limits: { queries: 20 } });
    expect(progress.due).not.toEqual(next);
  });
});
