import { beforeEach, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { DEFAULT_MANAGER_SETTINGS, ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { MemoryWorkerRegistry, MemoryWorkerState } from '../../../shared/adapters/memory/memory-worker-registry.js';
import { Liveness } from '../../../shared/application/services/liveness.js';
import { recordHeartbeats, WarningThrottle, type RecordHeartbeatsDeps } from '../../../shared/application/use-cases/record-heartbeats.js';
import { registerRequests } from '../../../shared/application/use-cases/register-requests.js';
import { StoreUnavailableError } from '../../../shared/ports/request-store.js';
import {
  beat,
  configure,
  decodeJson,
  heartbeatMessage,
  memoryWorld,
  requestMessage,
  submitRequests,
  type MemoryWorld,
} from '../../support/use-case-fixtures.js';

const names = DEFAULT_MANAGER_SETTINGS.names;
const EXTRACT_QUEUE = 'regards.worker.extract-worker.request';
const HOUR = 3_600_000;

function batch(...messages: ReturnType<typeof requestMessage>[]) {
  return { messages, unreadable: [] };
}

function workIds(world: MemoryWorld, exchange = EXTRACT_QUEUE): string[] {
  return world.bus.to(exchange).map((message) => `${String(message.headers[Header.tenant])}/${String(message.headers[Header.requestId])}`);
}

function states(world: MemoryWorld): unknown[] {
  return world.bus.to(names.responseExchange).map((message) => (decodeJson(message.body) as Record<string, unknown>)['state']);
}

describe('recordHeartbeats', () => {
  let world: MemoryWorld;
  let deps: RecordHeartbeatsDeps;

  beforeEach(async () => {
    world = memoryWorld();
    deps = world;
    for (const tenant of ['tenant-a', 'tenant-b']) {
      await configure(world, tenant, {
        workers: [
          { workerType: 'extract-worker', contentTypeInputs: ['to-extract'], contentTypeOutput: 'extracted' },
          { workerType: 'sip-worker', contentTypeInputs: ['extracted'] },
        ],
        workflows: [
          {
            workflowType: 'lta-request',
            steps: [
              { stepNumber: 10, workerType: 'extract-worker' },
              { stepNumber: 20, workerType: 'sip-worker' },
            ],
          },
        ],
      });
    }
  });

  /** Two tenants, two waiting requests each, all DELAYED at intake. */
  async function parkFour(): Promise<void> {
    await registerRequests(
      batch(
        requestMessage({ tenant: 'tenant-a', requestId: 'a-1' }),
        requestMessage({ tenant: 'tenant-a', requestId: 'a-2' }),
        requestMessage({ tenant: 'tenant-b', requestId: 'b-1' }),
        requestMessage({ tenant: 'tenant-b', requestId: 'b-2' }),
      ),
      world,
    );
    expect(states(world)).toEqual(['DELAYED', 'DELAYED', 'DELAYED', 'DELAYED']);
    world.bus.clear();
  }

  it('makes a worker type alive on its first beat and says it revived', async () => {
    const report = await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] }, deps);
    expect(report).toEqual({
      received: 1,
      recorded: 1,
      invalid: 0,
      revived: ['extract-worker'],
      redispatch: expect.objectContaining({ examined: 0 }),
      dropped: 0,
    });
    expect(await world.registry.aliveWorkerTypes(world.clock.now())).toEqual([{ workerType: 'extract-worker', instances: 1, lastBeatAt: world.clock.now() }]);
  });

  it('re-dispatches the waiting requests of a revived type in every tenant, exactly once, with GRANTED', async () => {
    await parkFour();
    const report = await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] }, deps);

    expect(report.revived).toEqual(['extract-worker']);
    expect(report.redispatch).toMatchObject({ examined: 4, dispatched: 4, conflicts: 0, failedTenants: [] });
    expect(report.redispatch?.continuation).toBeUndefined();
    expect(workIds(world).sort()).toEqual(['tenant-a/a-1', 'tenant-a/a-2', 'tenant-b/b-1', 'tenant-b/b-2']);
    expect(states(world)).toEqual(['GRANTED', 'GRANTED', 'GRANTED', 'GRANTED']);
    const stored = await world.requests.getAll('tenant-b', ['b-1']);
    expect(stored.get('b-1')).toMatchObject({ status: 'DISPATCHED', dispatchedWorkerType: 'extract-worker', attempt: 1, version: 2 });
    expect(stored.get('b-1')?.history.at(-1)).toMatchObject({ event: 'worker-alive', status: 'DISPATCHED', workerType: 'extract-worker' });
    expect((await world.counters.get('tenant-a', 'owner-1', 'session-1'))?.values).toEqual({
      'workers.requests': 2,
      'workers.no_worker_available': 0,
      'workers.extract-worker.dispatched': 2,
    });

    // Later beats keep the type alive; they revive nothing and dispatch nothing again.
    world.clock.advance(20_000);
    const again = await recordHeartbeats(
      { messages: [beat('extract-worker', 'i-1', world.clock.now()), beat('extract-worker', 'i-2', world.clock.now())], unreadable: [] },
      deps,
    );
    expect(again).toMatchObject({ revived: [], redispatch: null });
    expect(workIds(world)).toHaveLength(4);
  });

  it('dispatches a waiting workflow request to the worker of its waiting step', async () => {
    await registerRequests(batch(requestMessage({ requestId: 'wf-1', contentType: 'lta-request' })), world);
    await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] }, deps);
    expect((await world.requests.getAll('tenant-a', ['wf-1'])).get('wf-1')).toMatchObject({
      status: 'DISPATCHED',
      stepNumber: 10,
      dispatchedWorkerType: 'extract-worker',
    });
    expect(world.bus.to(EXTRACT_QUEUE)[0]?.headers[Header.contentType]).toBe('lta-request');
  });

  it('leaves the requests of other, still dead types waiting', async () => {
    await registerRequests(batch(requestMessage({ requestId: 'sip-1', contentType: 'extracted' })), world);
    world.bus.clear();
    await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] }, deps);
    expect((await world.requests.getAll('tenant-a', ['sip-1'])).get('sip-1')?.status).toBe('NO_WORKER_AVAILABLE');
    expect(world.bus.published).toEqual([]);
  });

  it('lets exactly one of two managers sharing the registry re-dispatch a revived type', async () => {
    await parkFour();
    const shared = new MemoryWorkerState();
    const managers = [0, 1].map((): RecordHeartbeatsDeps => {
      const registry = new MemoryWorkerRegistry({ expiryMs: 60_000 }, shared);
      return { ...world, registry, liveness: new Liveness(registry, world.clock, 2_000) };
    });
    const now = world.clock.now();
    const [first, second] = await Promise.all(
      managers.map((manager, n) => recordHeartbeats({ messages: [beat('extract-worker', `i-${n}`, now)], unreadable: [] }, manager)),
    );
    expect([first?.revived, second?.revived].filter((revived) => revived?.length === 1)).toHaveLength(1);
    expect(workIds(world).sort()).toEqual(['tenant-a/a-1', 'tenant-a/a-2', 'tenant-b/b-1', 'tenant-b/b-2']);
    // Both see the type alive with both instances, whichever recorded which beat.
    for (const manager of managers) expect((await manager.liveness.aliveTypes()).get('extract-worker')?.instances).toBe(2);
  });

  it('invalidates a cached "dead" liveness so the re-dispatch sees the revived type', async () => {
    await parkFour();
    const liveness = new Liveness(world.registry, world.clock, 60_000);
    expect((await liveness.aliveTypes()).size).toBe(0);
    const report = await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] }, { ...world, liveness });
    expect(report.redispatch?.dispatched).toBe(4);
  });

  it('bounds the re-dispatch of one invocation and leaves the rest to the sweeper', async () => {
    await parkFour();
    const report = await recordHeartbeats(
      { messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] },
      { ...world, revivalRedispatchLimit: 3 },
    );
    expect(report.redispatch).toMatchObject({ examined: 3, dispatched: 3 });
    expect(report.redispatch?.continuation).toEqual({ tenant: 'tenant-b', workerType: 'extract-worker', cursor: expect.any(String) });
    expect(workIds(world)).toHaveLength(3);
    expect(world.logger.entries.some((entry) => entry.message.includes('the sweeper takes the rest'))).toBe(true);
  });

  it('revives a type again after it died, and dispatches what arrived meanwhile', async () => {
    await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] }, deps);
    world.clock.advance(61_000);
    await registerRequests(batch(requestMessage({ requestId: 'late-1' })), world);
    expect(states(world)).toEqual(['DELAYED']);
    const report = await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] }, deps);
    expect(report.revived).toEqual(['extract-worker']);
    expect(workIds(world)).toEqual(['tenant-a/late-1']);
  });

  describe('skewed worker clocks', () => {
    it.each([
      ['1 h ahead', HOUR],
      ['1 h behind', -HOUR],
      ['a day behind', -24 * HOUR],
    ])('uses the receive time when the worker clock is %s', async (_label, skew) => {
      await parkFour();
      const now = world.clock.now();
      const report = await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', new Date(now.getTime() + skew))], unreadable: [] }, deps);
      expect(report).toMatchObject({ recorded: 1, invalid: 0, revived: ['extract-worker'] });
      expect(report.redispatch?.dispatched).toBe(4);
      expect((await world.registry.aliveWorkerTypes(now))[0]?.lastBeatAt).toEqual(now);
      // A clock ahead does not buy a longer life: silence past the expiry kills the type all the same.
      world.clock.advance(60_001);
      expect(await world.registry.aliveWorkerTypes(world.clock.now())).toEqual([]);
    });

    it('records the worker date for display only', async () => {
      const reported = new Date(world.clock.now().getTime() + HOUR);
      await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', reported)], unreadable: [] }, deps);
      expect(world.registry.state.instances.get('extract-worker')?.get('i-1')).toEqual({
        lastBeatAt: world.clock.now().getTime(),
        reportedAt: reported.getTime(),
      });
    });
  });

  describe('malformed heartbeats', () => {
    const date = '2026-03-01T10:00:00.000Z';
    const malformed: [string, Parameters<typeof heartbeatMessage>[0], RegExp][] = [
      ['a body that is not JSON', 'alive!', /^body is not JSON/],
      ['an empty body', '', /^body is not JSON/],
      ['a JSON array', '[1,2]', /^body: expected object, got array$/],
      ['a JSON null', 'null', /^body: expected object, got null$/],
      ['no id', { type: 'extract-worker', heartBeatDate: date }, /^id: is required$/],
      ['no type', { id: 'i-1', heartBeatDate: date }, /^type: is required$/],
      ['no date', { id: 'i-1', type: 'extract-worker' }, /^heartBeatDate: is required$/],
      ['a blank id', { id: '  ', type: 'extract-worker', heartBeatDate: date }, /^id: /],
      ['a numeric id', { id: 42, type: 'extract-worker', heartBeatDate: date }, /^id: expected string, got number$/],
      ['an object type', { id: 'i-1', type: { name: 'x' }, heartBeatDate: date }, /^type: expected string, got object$/],
      ['an epoch date', { id: 'i-1', type: 'extract-worker', heartBeatDate: 1772359200000 }, /^heartBeatDate: expected string, got number$/],
      [
        'a date that is not ISO-8601',
        { id: 'i-1', type: 'extract-worker', heartBeatDate: 'yesterday' },
        /^heartBeatDate: "yesterday" is not an ISO-8601 date-time$/,
      ],
      ['an impossible date', { id: 'i-1', type: 'extract-worker', heartBeatDate: '2026-02-30T10:00:00Z' }, /^heartBeatDate: /],
      ['an id over 255 characters', { id: 'i'.repeat(256), type: 'extract-worker', heartBeatDate: date }, /^id: /],
      ['a type over 128 characters', { id: 'i-1', type: 'w'.repeat(129), heartBeatDate: date }, /^type: /],
    ];

    it.each(malformed)('drops %s with its reason and records nothing', async (_label, body, reason) => {
      const report = await recordHeartbeats({ messages: [heartbeatMessage(body)], unreadable: [] }, deps);
      expect(report).toEqual({ received: 1, recorded: 0, invalid: 1, revived: [], redispatch: null, dropped: 0 });
      const [warning] = world.logger.entries.filter((entry) => entry.level === 'warn');
      expect(warning?.message).toBe('invalid heartbeat dropped');
      expect(String(warning?.fields['reason'])).toMatch(reason);
      expect(world.registry.state.writes).toEqual({ types: 0, instances: 0 });
    });

    it('keeps the valid heartbeats of a batch full of bad ones, and does not throw', async () => {
      await parkFour();
      const messages = [...malformed.map(([, body]) => heartbeatMessage(body)), beat('extract-worker', 'i-1', world.clock.now())];
      const report = await recordHeartbeats({ messages, unreadable: [] }, deps);
      expect(report).toMatchObject({ received: malformed.length + 1, recorded: 1, invalid: malformed.length, revived: ['extract-worker'] });
      expect(world.logger.entries.filter((entry) => entry.message === 'invalid heartbeat dropped')).toHaveLength(malformed.length);
      expect(workIds(world)).toHaveLength(4);
    });
  });

  describe('failures', () => {
    it('lets a registry outage through, so the batch is redelivered', async () => {
      world.registry.state.unavailable = true;
      await expect(recordHeartbeats({ messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] }, deps)).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    });

    it('keeps the recorded beats when the re-dispatch fails, and logs it for the sweeper to catch up', async () => {
      await parkFour();
      world.configStore.unavailable = true;
      const report = await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] }, deps);
      expect(report).toMatchObject({ recorded: 1, revived: ['extract-worker'], redispatch: null });
      expect(world.logger.entries.some((entry) => entry.level === 'error' && entry.message.startsWith('re-dispatch after a revival failed'))).toBe(true);
      expect(await world.registry.aliveWorkerTypes(world.clock.now())).toHaveLength(1);
      expect(world.bus.published).toEqual([]);
    });

    it('reports the tenants whose re-dispatch failed at publish and goes on with the others', async () => {
      await parkFour();
      world.bus.failing = true;
      const report = await recordHeartbeats({ messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] }, deps);
      expect(report.redispatch?.failedTenants).toEqual(['tenant-a', 'tenant-b']);
    });
  });

  it('costs a few registry writes for a fleet of 10 instances beating every 2 s over 60 s', async () => {
    const fleet = Array.from({ length: 10 }, (_, n) => `i-${n}`);
    const measure = async (hosts: number) => {
      const shared = new MemoryWorkerState();
      const managers = Array.from({ length: hosts }, (): RecordHeartbeatsDeps => {
        const registry = new MemoryWorkerRegistry({ expiryMs: 60_000 }, shared);
        return { ...world, registry, liveness: new Liveness(registry, world.clock, 2_000) };
      });
      let beats = 0;
      for (let tick = 0; tick < 30; tick += 1) {
        // Every tick's beats form one batch, handled by one of the hosts in turn.
        const messages = fleet.map((id) => beat('extract-worker', id, world.clock.now()));
        beats += messages.length;
        const manager = managers[tick % hosts];
        if (manager === undefined) throw new Error('no manager');
        await recordHeartbeats({ messages, unreadable: [] }, manager);
        world.clock.advance(2_000);
      }
      expect(await managers[0]?.registry.aliveWorkerTypes(world.clock.now())).toEqual([expect.objectContaining({ instances: 10 })]);
      return { beats, writes: shared.writes.types + shared.writes.instances, ...shared.writes };
    };
    const oneHost = await measure(1);
    const twoHosts = await measure(2);
    console.info(
      `heartbeat write coalescing, 10 instances every 2 s for 60 s: one host ${JSON.stringify(oneHost)}, two hosts alternating ${JSON.stringify(twoHosts)}`,
    );
    // One write per instance and per type every refresh period (expiry / 4 = 15 s): 4 each in 60 s.
    expect(oneHost).toEqual({ beats: 300, writes: 44, types: 4, instances: 40 });
    expect(twoHosts.writes).toBeLessThanOrEqual(2 * oneHost.writes);
  });
});

describe('recordHeartbeats: bounds', () => {
  it('bounds the re-dispatch after a revival by its query budget, however many tenants wait', async () => {
    const world = memoryWorld();
    const tenants = Array.from({ length: 300 }, (_, n) => `tenant-${String(n).padStart(3, '0')}`);
    for (const tenant of tenants) {
      await configure(world, tenant, { workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
      await submitRequests(world, tenant, [`${tenant}-r`]);
    }
    const registryReads = world.configStore.queries;
    const report = await recordHeartbeats(
      { messages: [beat('extract-worker', 'i-1', world.clock.now())], unreadable: [] },
      { ...world, revivalQueryBudget: 50 },
    );
    // Each tenant costs its view, then a listing page (4 shard queries) with its read: 6 of 50, after the registry page.
    expect(report.redispatch?.dispatched).toBe(8);
    expect(world.configStore.queries - registryReads).toBe(1);
    expect(world.logger.entries.some((entry) => entry.message.includes('the sweeper takes the rest'))).toBe(true);
  });

  it('drops the beats of worker types past the cap, with a warning at most once a minute', async () => {
    const world = memoryWorld(ManagerSettingsSchema.parse({ maxWorkerTypes: 3 }));
    const capWarnings = new WarningThrottle(60_000);
    const invented = (from: number) => Array.from({ length: 5 }, (_, n) => beat(`invented-${from + n}`, 'i-1', world.clock.now()));
    const first = await recordHeartbeats({ messages: invented(0), unreadable: [] }, { ...world, capWarnings });
    expect(first).toMatchObject({ received: 5, recorded: 5, dropped: 2, revived: ['invented-0', 'invented-1', 'invented-2'] });
    world.clock.advance(10_000);
    expect((await recordHeartbeats({ messages: invented(10), unreadable: [] }, { ...world, capWarnings })).dropped).toBe(5);
    const warnings = () => world.logger.entries.filter((entry) => entry.level === 'warn' && entry.message.startsWith('heartbeats dropped'));
    expect(warnings()).toHaveLength(1);
    world.clock.advance(60_000);
    await recordHeartbeats({ messages: invented(20), unreadable: [] }, { ...world, capWarnings });
    expect(warnings()).toHaveLength(2);
    expect(world.registry.state.types.size).toBe(3);
  });

  it('drops beats of instances past the per-type cap, and keeps the known instances beating', async () => {
    const world = memoryWorld(ManagerSettingsSchema.parse({ maxWorkerInstancesPerType: 2 }));
    const now = world.clock.now();
    const report = await recordHeartbeats({ messages: ['i-1', 'i-2', 'i-3', 'i-4'].map((id) => beat('extract-worker', id, now)), unreadable: [] }, world);
    expect(report).toMatchObject({ recorded: 4, dropped: 2 });
    expect(world.registry.state.instances.get('extract-worker')?.size).toBe(2);
  });

  it('never creates a tenant, whatever tenant header a heartbeat carries', async () => {
    const world = memoryWorld();
    const message = { ...beat('extract-worker', 'i-1', world.clock.now()), headers: { [Header.tenant]: 'invented-tenant' } };
    await recordHeartbeats({ messages: [message], unreadable: [] }, world);
    expect(await world.configStore.listTenants()).toEqual([]);
  });
});
