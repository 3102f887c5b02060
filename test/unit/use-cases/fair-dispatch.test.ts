import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FairDispatchSettingsSchema } from '../../../shared/contract/fair-dispatch-settings.js';
import { Header } from '../../../shared/contract/headers.js';
import { buildWorkerResponse } from '../../../shared/contract/worker-response.js';
import { handleWorkerDeadLetters } from '../../../shared/application/use-cases/handle-worker-dead-letters.js';
import { handleWorkerResponses } from '../../../shared/application/use-cases/handle-worker-responses.js';
import { registerRequests } from '../../../shared/application/use-cases/register-requests.js';
import { sweep } from '../../../shared/application/use-cases/sweep.js';
import { recordHeartbeats } from '../../../shared/application/use-cases/record-heartbeats.js';
import { cancelRequest } from '../../../shared/application/use-cases/cancel-request.js';
import { submitBulkJob } from '../../../shared/application/use-cases/bulk-jobs.js';
import { runBulkJob } from '../../../shared/application/use-cases/run-bulk-job.js';
import { MemoryJobLauncher } from '../../../shared/adapters/memory/memory-job-launcher.js';
import { MemoryJobStore } from '../../../shared/adapters/memory/memory-job-store.js';
import { SearchRequestParametersSchema } from '../../../shared/contract/search-request-parameters.js';
import { RequestNotCancellableError } from '../../../shared/application/use-cases/use-case-errors.js';
import {
  asInbound,
  beat,
  bringAlive,
  configure,
  decodeJson,
  memoryWorld,
  MEMORY_WORLD_SETTINGS,
  requestMessage,
  storedRequest,
  type MemoryWorld,
} from '../../support/use-case-fixtures.js';

const WORK = 'regards.worker.extract.request';

function worldWith(fairDispatch: unknown): MemoryWorld {
  return memoryWorld({ ...MEMORY_WORLD_SETTINGS, fairDispatch: FairDispatchSettingsSchema.parse(fairDispatch) });
}

async function setUp(world: MemoryWorld, ...tenants: string[]): Promise<void> {
  for (const tenant of tenants) await configure(world, tenant, { workers: [{ workerType: 'extract', contentTypeInputs: ['to-extract'] }] });
  await bringAlive(world, 'extract');
}

async function submit(world: MemoryWorld, tenant: string, ids: readonly string[], priority?: number): Promise<void> {
  const messages = ids.map((requestId) => {
    const message = requestMessage({ tenant, requestId });
    return priority === undefined ? message : { ...message, properties: { ...message.properties, priority } };
  });
  await registerRequests({ messages, unreadable: [] }, world);
}

/** `tenant/requestId` of the work items sent, in order. */
function dispatched(world: MemoryWorld): string[] {
  return world.bus.to(WORK).map((message) => `${String(message.headers[Header.tenant])}/${String(message.headers[Header.requestId])}`);
}

/** Answers the current dispatch of each request as its worker would. */
async function finish(world: MemoryWorld, status: 'SUCCESS' | 'ERROR', ...keys: string[]): Promise<void> {
  const names = world.settings.names;
  const messages = [];
  for (const key of keys) {
    const [tenant = '', requestId = ''] = key.split('/');
    const request = await storedRequest(world, tenant, requestId);
    if (request === undefined) throw new Error(`${key} is not stored`);
    const response = buildWorkerResponse(
      { exchange: names.workerResponse },
      { tenant, requestId, status, dispatchAttempt: request.attempt, ...(request.dispatchToken === undefined ? {} : { dispatchToken: request.dispatchToken }) },
    );
    messages.push(asInbound(response, names.workerResponse));
  }
  await handleWorkerResponses({ messages, unreadable: [] }, { ...world, random: () => 0.5 });
}

function answersOf(world: MemoryWorld, requestId: string): { state: unknown; messages: unknown }[] {
  return world.bus
    .to(world.settings.names.responseExchange)
    .filter((message) => message.headers[Header.requestId] === requestId)
    .map((message) => decodeJson(message.body) as { state: unknown; messages: unknown });
}

describe('fair dispatch', () => {
  describe('with a limit of 2 in flight for extract', () => {
    let world: MemoryWorld;
    beforeEach(async () => {
      world = worldWith({ workerTypes: { extract: { maxInFlight: 2 } } });
      await setUp(world, 'a', 'b');
    });

    it('dispatches up to the limit; the rest wait as TO_DISPATCH, answered DELAYED with why', async () => {
      await submit(world, 'a', ['a0', 'a1', 'a2', 'a3']);
      expect(dispatched(world)).toEqual(['a/a0', 'a/a1']);
      const waiting = await storedRequest(world, 'a', 'a2');
      expect(waiting).toMatchObject({
        status: 'TO_DISPATCH',
        waitingForSlot: true,
        stepWorkerType: 'extract',
        dispatchedWorkerType: null,
        attempt: 0,
        deadline: null,
      });
      expect(waiting?.history.at(-1)?.messages[0]).toMatch(/waiting for a slot: worker type extract is at its limit \(2 in flight\)/);
      expect(answersOf(world, 'a2')).toMatchObject([{ state: 'DELAYED', messages: [expect.stringMatching(/waiting for a slot/)] }]);
      expect((await world.slots.read('extract')).total).toBe(2);
    });

    it('frees a slot on a final answer and gives it to the next waiting request at once', async () => {
      await submit(world, 'a', ['a0', 'a1', 'a2']);
      await finish(world, 'SUCCESS', 'a/a0');
      expect(dispatched(world)).toEqual(['a/a0', 'a/a1', 'a/a2']);
      expect(await storedRequest(world, 'a', 'a2')).toMatchObject({ status: 'DISPATCHED', attempt: 1 });
      expect((await storedRequest(world, 'a', 'a2'))?.waitingForSlot).toBeUndefined();
      expect(answersOf(world, 'a2').map((answer) => answer.state)).toEqual(['DELAYED', 'GRANTED']);
      expect((await world.slots.read('extract')).total).toBe(2);
    });

    it('frees a slot on an ERROR answer, on a dead letter and on a deadline', async () => {
      await submit(world, 'a', ['a0', 'a1', 'a2', 'a3', 'a4']);
      await finish(world, 'ERROR', 'a/a0');
      expect(dispatched(world)).toContain('a/a2');

      const workItem = world.bus.to(WORK).find((message) => message.headers[Header.requestId] === 'a1');
      if (workItem === undefined) throw new Error('no work item for a1');
      await handleWorkerDeadLetters({ messages: [asInbound(workItem, world.settings.names.workerDeadLetter)], unreadable: [] }, world);
      expect(await storedRequest(world, 'a', 'a1')).toMatchObject({ status: 'ERROR' });
      expect(dispatched(world)).toContain('a/a3');

      // Time to start (1 h by default) passes for a2 and a3: both time out, and a4 takes a freed slot.
      world.clock.advance(3601 * 1000);
      await bringAlive(world, 'extract');
      await sweep({ ...world, registry: world.registry, configStore: world.configStore });
      expect(await storedRequest(world, 'a', 'a2')).toMatchObject({ status: 'ERROR' });
      expect(dispatched(world)).toContain('a/a4');
      expect((await world.slots.read('extract')).total).toBe(1);
    });

    it('shares the slots between tenants in turn however long one backlog is', async () => {
      await submit(world, 'a', ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
      await submit(world, 'b', ['b0', 'b1']);
      await finish(world, 'SUCCESS', 'a/a0');
      await finish(world, 'SUCCESS', 'a/a1');
      const next = dispatched(world).slice(2);
      expect(next).toHaveLength(2);
      expect(next.filter((key) => key.startsWith('b/'))).toHaveLength(1);
      await finish(world, 'SUCCESS', ...next);
      expect(
        dispatched(world)
          .slice(4)
          .filter((key) => key.startsWith('b/')),
      ).toHaveLength(1);
      // Both of b's are out while most of a's backlog still waits.
      expect(dispatched(world)).toEqual(expect.arrayContaining(['b/b0', 'b/b1']));
      expect(dispatched(world).filter((key) => key.startsWith('a/'))).toHaveLength(4);
    });

    it('sends a higher client priority first within its tenant', async () => {
      await submit(world, 'a', ['a0', 'a1', 'low1', 'low2']);
      await submit(world, 'a', ['urgent'], 9);
      await finish(world, 'SUCCESS', 'a/a0');
      expect(dispatched(world).at(-1)).toBe('a/urgent');
      await finish(world, 'SUCCESS', 'a/a1');
      expect(dispatched(world).at(-1)).toBe('a/low1');
    });

    it('queues a new request behind those already waiting: a freed slot goes to the oldest waiting', async () => {
      await submit(world, 'a', ['a0', 'a1', 'a2']);
      // Cancelling frees a0's slot and gives it to nobody yet (the next fill does).
      await cancelRequest('a', 'a0', world);
      expect((await world.slots.read('extract')).total).toBe(1);
      await submit(world, 'a', ['a3']);
      expect(dispatched(world)).toEqual(['a/a0', 'a/a1', 'a/a2']);
      expect(await storedRequest(world, 'a', 'a3')).toMatchObject({ status: 'TO_DISPATCH', waitingForSlot: true });
      expect(answersOf(world, 'a2').map((answer) => answer.state)).toEqual(['DELAYED', 'GRANTED']);
      expect(answersOf(world, 'a3').map((answer) => answer.state)).toEqual(['DELAYED']);
    });

    it('gives a worker type coming alive its free slots in turn, even behind a stale note', async () => {
      const dead = worldWith({ workerTypes: { extract: { maxInFlight: 2 } } });
      await configure(dead, 'a', { workers: [{ workerType: 'extract', contentTypeInputs: ['to-extract'] }] });
      await submit(dead, 'a', ['a0']);
      expect(await storedRequest(dead, 'a', 'a0')).toMatchObject({ status: 'NO_WORKER_AVAILABLE' });
      // A note left behind (its queue since emptied): the revival's re-dispatch queues behind it...
      await dead.slots.noteWaiting('extract', ['gone']);
      await recordHeartbeats({ messages: [beat('extract', 'extract-1', dead.clock.now())], unreadable: [] }, dead);
      // ...and the fill that follows finds that queue empty, forgets it, and dispatches a0.
      expect(dispatched(dead)).toEqual(['a/a0']);
      expect((await dead.slots.read('extract')).waitingTenants.has('gone')).toBe(false);
    });

    it('gives a new request a free slot at once when nobody waits', async () => {
      await submit(world, 'a', ['a0', 'a1']);
      await cancelRequest('a', 'a0', world);
      await submit(world, 'b', ['b0']);
      expect(dispatched(world)).toEqual(['a/a0', 'a/a1', 'b/b0']);
      expect(answersOf(world, 'b0').map((answer) => answer.state)).toEqual(['GRANTED']);
    });

    it('drops a tenant with nothing in flight from the counters at the sweep, so later runs do not count it', async () => {
      await submit(world, 'a', ['a0']);
      await submit(world, 'b', ['b0']);
      await finish(world, 'SUCCESS', 'a/a0');
      expect((await world.slots.read('extract')).byTenant.get('a')).toBe(0);
      await sweep(world);
      const counts = await world.slots.read('extract');
      expect(counts.byTenant.has('a')).toBe(false);
      expect(counts.byTenant.get('b')).toBe(1);
    });

    it('heals a leaked slot at the next sweep', async () => {
      await submit(world, 'a', ['a0', 'a1', 'a2']);
      // A crash between a take and the request's write leaves a slot counted that nobody holds.
      await world.slots.release('extract', 'a', 1);
      await world.slots.take('extract', 'ghost', 1, { maxInFlight: 3 });
      await finish(world, 'SUCCESS', 'a/a0');
      expect(await storedRequest(world, 'a', 'a2')).toMatchObject({ status: 'DISPATCHED' });
      await finish(world, 'SUCCESS', 'a/a1');
      await world.slots.take('extract', 'ghost', 1, { maxInFlight: 3 });
      // One request in flight (a2), two counted, neither for the right tenant.
      expect((await world.slots.read('extract')).total).toBe(2);
      const report = await sweep(world);
      expect(report.slots?.reconciled?.reset).toEqual(['extract']);
      const healed = await world.slots.read('extract');
      expect(healed.total).toBe(1);
      expect(healed.byTenant.get('ghost') ?? 0).toBe(0);
    });
  });

  it('gives a tenant as many slots per round as its weight', async () => {
    const world = worldWith({ workerTypes: { extract: { maxInFlight: 3 } }, tenantWeights: { b: 2 } });
    await setUp(world, 'a', 'b');
    await submit(world, 'a', ['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
    await submit(world, 'b', ['b0', 'b1', 'b2', 'b3']);
    await finish(world, 'SUCCESS', 'a/a0', 'a/a1', 'a/a2');
    const next = dispatched(world).slice(3);
    expect(next.filter((key) => key.startsWith('b/'))).toHaveLength(2);
    expect(next.filter((key) => key.startsWith('a/'))).toHaveLength(1);
  });

  it('holds a tenant to its own limit while another tenant still gets slots', async () => {
    const world = worldWith({ workerTypes: { extract: { maxInFlight: 4, maxInFlightPerTenant: 2 } } });
    await setUp(world, 'a', 'b');
    await submit(world, 'a', ['a0', 'a1', 'a2']);
    await submit(world, 'b', ['b0']);
    expect(dispatched(world)).toEqual(['a/a0', 'a/a1', 'b/b0']);
    expect(await storedRequest(world, 'a', 'a2')).toMatchObject({ status: 'TO_DISPATCH', waitingForSlot: true });
  });

  describe('limits changed on a running system', () => {
    let world: MemoryWorld;
    const withLimits = (fairDispatch: unknown): MemoryWorld => ({
      ...world,
      settings: { ...world.settings, fairDispatch: FairDispatchSettingsSchema.parse(fairDispatch) },
    });
    beforeEach(async () => {
      world = worldWith({ workerTypes: { extract: { maxInFlight: 2 } } });
      await setUp(world, 'a');
      await submit(world, 'a', ['a0', 'a1', 'a2', 'a3', 'a4']);
    });

    it('fills the capacity a raised limit adds at the next sweep, with nothing else happening', async () => {
      await sweep(withLimits({ workerTypes: { extract: { maxInFlight: 4 } } }));
      expect(dispatched(world)).toEqual(['a/a0', 'a/a1', 'a/a2', 'a/a3']);
      expect((await world.slots.read('extract')).total).toBe(4);
    });

    it('dispatches the requests waiting for a removed limit at the next sweep, then removes its counters', async () => {
      const unlimited = withLimits({});
      const report = await sweep(unlimited);
      expect(dispatched(world)).toEqual(['a/a0', 'a/a1', 'a/a2', 'a/a3', 'a/a4']);
      expect(report.slots?.released?.dispatched).toBe(3);
      expect(answersOf(world, 'a4').map((answer) => answer.state)).toEqual(['DELAYED', 'GRANTED']);
      // The run after finds every queue empty: the counters go, and later sweeps look no further.
      await sweep(unlimited);
      expect(await world.slots.listWorkerTypes(10)).toEqual([]);
      const writes = world.slots.writes;
      await submit(unlimited, 'a', ['a5']);
      await sweep(unlimited);
      expect(dispatched(world).at(-1)).toBe('a/a5');
      expect(world.slots.writes).toBe(writes);
    });
  });

  it("bounds the sweep's look at slot queues: the noted tenants, and a slice of the registry per run, in turn", async () => {
    // A slot free: every run's fill looks at the queues of the tenants it is given.
    const world = worldWith({ workerTypes: { extract: { maxInFlight: 2 } } });
    const tenants = Array.from({ length: 50 }, (_, n) => `t${String(n).padStart(2, '0')}`);
    await world.configStore.registerTenants(tenants);
    await setUp(world, 'a');
    await submit(world, 'a', ['a0']);
    const listed = vi.spyOn(world.requests, 'listSlotQueue');
    const progress = {};
    const looked = new Set<string>();
    let runs = 0;
    while (looked.size < 51 && runs < 10) {
      listed.mockClear();
      await sweep({ ...world, progress });
      runs += 1;
      const thisRun = new Set(listed.mock.calls.map(([tenant]) => tenant));
      // The query budget (200 by default) reserves 40 for this: a registry page and 9 tenants a run.
      expect(thisRun.size).toBeLessThanOrEqual(9);
      for (const tenant of thisRun) looked.add(tenant);
    }
    // Later runs went on from where the last one stopped, around the whole registry.
    expect(looked.size).toBe(51);
    expect(runs).toBeGreaterThan(5);
  });

  it('costs nothing more without a limit: no counter is read or written', async () => {
    const world = memoryWorld();
    await setUp(world, 'a');
    await submit(world, 'a', ['a0', 'a1', 'a2']);
    await finish(world, 'SUCCESS', 'a/a0');
    await sweep(world);
    expect(dispatched(world)).toHaveLength(3);
    expect(world.slots.writes).toBe(0);
  });

  describe('cancel', () => {
    let world: MemoryWorld;
    beforeEach(async () => {
      world = worldWith({ workerTypes: { extract: { maxInFlight: 1 } } });
      await setUp(world, 'a');
    });

    it('ends a waiting request at once, answered ERROR with the reason', async () => {
      await submit(world, 'a', ['a0', 'a1']);
      const cancelled = await cancelRequest('a', 'a1', world);
      expect(cancelled).toMatchObject({ status: 'ERROR', error: 'Cancelled by an operator' });
      expect(cancelled.waitingForSlot).toBeUndefined();
      expect(answersOf(world, 'a1').at(-1)).toMatchObject({ state: 'ERROR', messages: [expect.stringMatching(/Cancelled by an operator/)] });
      // It left the slot queue: the slot a0 frees goes to nobody.
      await finish(world, 'SUCCESS', 'a/a0');
      expect(dispatched(world)).toEqual(['a/a0']);
    });

    it('frees the slot of a dispatched request, and records its late answer without applying it', async () => {
      await submit(world, 'a', ['a0', 'a1']);
      const before = await storedRequest(world, 'a', 'a0');
      await cancelRequest('a', 'a0', world);
      expect((await world.slots.read('extract')).total).toBe(0);
      expect(dispatched(world)).toEqual(['a/a0']);
      // The next fill (here the sweep's; a worker answer's batch does the same) gives the slot away.
      await sweep(world);
      expect(dispatched(world)).toEqual(['a/a0', 'a/a1']);

      const names = world.settings.names;
      const late = buildWorkerResponse(
        { exchange: names.workerResponse },
        {
          tenant: 'a',
          requestId: 'a0',
          status: 'SUCCESS',
          dispatchAttempt: before?.attempt ?? 0,
          ...(before?.dispatchToken ? { dispatchToken: before.dispatchToken } : {}),
        },
      );
      await handleWorkerResponses({ messages: [asInbound(late, names.workerResponse)], unreadable: [] }, { ...world, random: () => 0.5 });
      const after = await storedRequest(world, 'a', 'a0');
      expect(after).toMatchObject({ status: 'ERROR', error: 'Cancelled by an operator' });
      expect(after?.history.at(-1)?.event).toMatch(/^ignored/);
      expect(answersOf(world, 'a0').map((answer) => answer.state)).not.toContain('SUCCESS');
    });

    it('cancels by filter through a bulk job: the waiting and in-flight requests, not the finished ones', async () => {
      await submit(world, 'a', ['a0', 'a1', 'a2', 'done']);
      await cancelRequest('a', 'done', world);
      const withJobs = { ...world, jobs: new MemoryJobStore(), launcher: new MemoryJobLauncher() };
      const job = await submitBulkJob({ tenant: 'a', kind: 'cancel', filter: SearchRequestParametersSchema.parse({}), requestedBy: 'ops' }, withJobs);
      const result = await runBulkJob({ tenant: 'a', jobId: job.id }, withJobs, { maxPages: 10 });
      expect(result.outcome).toBe('finished');
      expect(result.job).toMatchObject({ status: 'DONE', succeeded: 3 });
      for (const id of ['a0', 'a1', 'a2']) expect(await storedRequest(world, 'a', id)).toMatchObject({ status: 'ERROR', error: 'Cancelled by an operator' });
      expect((await world.slots.read('extract')).total).toBe(0);
    });

    it('refuses to cancel a finished request', async () => {
      await submit(world, 'a', ['a0']);
      await cancelRequest('a', 'a0', world);
      await expect(cancelRequest('a', 'a0', world)).rejects.toBeInstanceOf(RequestNotCancellableError);
    });
  });
});
