import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import {
  declareWorkerQueues,
  eventually,
  json,
  publishHeartbeats,
  publishRequest,
  startHarness,
  type HeartbeatBody,
  type HostHarness,
} from '../../support/host-harness.js';
import { recordCommands } from '../../support/store-contract/recording-client.js';
import { configure } from '../../support/use-case-fixtures.js';

const TYPES = ['alpha', 'beta', 'gamma', 'ahead', 'behind', 'delta', 'fleet'] as const;
const HOUR = 3_600_000;
const EXPIRY_SECONDS = 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('record-heartbeats on RabbitMQ and dynalite, through the event-source emulator', () => {
  let h: HostHarness;
  const beaters: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    h = await startHarness('heartbeats', { only: ['register-requests', 'record-heartbeats'], settings: { heartbeatExpirySeconds: EXPIRY_SECONDS } });
    for (const tenant of ['tenant-a', 'tenant-b']) {
      await configure(h.services, tenant, { workers: TYPES.map((type) => ({ workerType: type, contentTypeInputs: [`for-${type}`] })) });
    }
    await declareWorkerQueues(h, TYPES);
  });

  afterAll(async () => {
    await Promise.all(beaters.splice(0).map((stop) => stop()));
    await h?.close();
  });

  /** A worker instance beating every `periodMs`, its clock off by `skewMs`. Returns its stop function. */
  function beater(type: string, instance: string, options: { periodMs?: number; skewMs?: number } = {}): () => Promise<void> {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        await publishHeartbeats(h, [{ id: instance, type, heartBeatDate: new Date(Date.now() + (options.skewMs ?? 0)).toISOString() }]);
        await sleep(options.periodMs ?? 300);
      }
    })();
    const stop = async () => {
      stopped = true;
      await loop;
    };
    beaters.push(stop);
    return stop;
  }

  const alive = async (type: string) => (await h.services.registry.aliveWorkerTypes(new Date())).find((entry) => entry.workerType === type);
  const queueOf = (type: string) => workerRequestName(h.settings.names, type);
  const responseStates = async (count: number) =>
    (await h.rabbit.collect(h.clientQueue, count)).map((message) => [json(message)['requestId'], json(message)['state']]);

  it('makes a worker type alive with a heartbeat: requests are then GRANTED and delivered', async () => {
    const stop = beater('alpha', 'alpha-1');
    const type = await eventually(() => alive('alpha'), { what: 'alpha alive' });
    expect(type.instances).toBe(1);
    await publishRequest(h, 'alpha-req', { [Header.contentType]: 'for-alpha' });
    const [work] = await h.rabbit.collect(queueOf('alpha'), 1);
    expect(work?.properties.headers?.[Header.requestId]).toBe('alpha-req');
    expect(await responseStates(1)).toEqual([['alpha-req', 'GRANTED']]);
    await stop();
  });

  it('declares a type dead after silence past the expiry: new requests are DELAYED', async () => {
    const stop = beater('beta', 'beta-1');
    await eventually(() => alive('beta'), { what: 'beta alive' });
    await stop();
    await eventually(async () => (await alive('beta')) === undefined, { timeoutMs: EXPIRY_SECONDS * 1000 + 3000, what: 'beta dead' });
    await publishRequest(h, 'beta-req', { [Header.contentType]: 'for-beta' });
    expect(await responseStates(1)).toEqual([['beta-req', 'DELAYED']]);
    expect((await h.services.requests.getAll('tenant-a', ['beta-req'])).get('beta-req')).toMatchObject({
      status: 'NO_WORKER_AVAILABLE',
      stepWorkerType: 'beta',
    });
  });

  it('dispatches the waiting requests of two tenants, each exactly once, as soon as a worker appears', async () => {
    const ids = Array.from({ length: 10 }, (_, n) => `gamma-${n}`);
    await Promise.all(ids.map((id, n) => publishRequest(h, id, { [Header.tenant]: n % 2 === 0 ? 'tenant-a' : 'tenant-b', [Header.contentType]: 'for-gamma' })));
    const delayed = await responseStates(10);
    expect(delayed.every(([, state]) => state === 'DELAYED')).toBe(true);

    const appeared = Date.now();
    // Three instances start at once: several batches may carry beats of the new type.
    const stops = ['gamma-1', 'gamma-2', 'gamma-3'].map((instance) => beater('gamma', instance, { periodMs: 200 }));
    const work = await h.rabbit.collect(queueOf('gamma'), 10);
    const latencyMs = Date.now() - appeared;
    const sent = work.map((message) => `${String(message.properties.headers?.[Header.tenant])}/${String(message.properties.headers?.[Header.requestId])}`);
    expect(new Set(sent).size).toBe(10);
    expect(sent.filter((id) => id.startsWith('tenant-b/'))).toHaveLength(5);
    const granted = await responseStates(10);
    expect(granted.map(([id]) => id).sort()).toEqual([...ids].sort());
    expect(granted.every(([, state]) => state === 'GRANTED')).toBe(true);
    console.info(`revival to last work item: ${latencyMs} ms`);
    // Event-driven: within a second on an idle machine; the bound leaves room for a loaded CI.
    expect(latencyMs).toBeLessThan(5_000);

    // No second dispatch comes later from another batch of beats.
    await sleep(1_000);
    expect((await h.rabbit.queueState(queueOf('gamma'))).messageCount).toBe(0);
    const stored = await h.services.requests.getAll(
      'tenant-b',
      ids.filter((_, n) => n % 2 === 1),
    );
    expect([...stored.values()].map((request) => [request.status, request.attempt])).toEqual(Array.from({ length: 5 }, () => ['DISPATCHED', 1]));
    await Promise.all(stops.map((stop) => stop()));
  });

  it.each([
    ['1 h ahead', 'ahead', HOUR],
    ['1 h behind', 'behind', -HOUR],
  ])('changes nothing when the worker clock is %s', async (_label, type, skewMs) => {
    const stop = beater(type, `${type}-1`, { skewMs });
    const seen = await eventually(() => alive(type), { what: `${type} alive` });
    // Liveness runs on the manager's receive time, not on the worker's date.
    expect(Math.abs(seen.lastBeatAt.getTime() - Date.now())).toBeLessThan(5_000);
    await publishRequest(h, `${type}-req-1`, { [Header.contentType]: `for-${type}` });
    expect(await responseStates(1)).toEqual([[`${type}-req-1`, 'GRANTED']]);
    await h.rabbit.collect(queueOf(type), 1);
    // And silence kills it on time, whatever date its beats carried.
    await stop();
    await eventually(async () => (await alive(type)) === undefined, { timeoutMs: EXPIRY_SECONDS * 1000 + 3000, what: `${type} dead` });
    await publishRequest(h, `${type}-req-2`, { [Header.contentType]: `for-${type}` });
    expect(await responseStates(1)).toEqual([[`${type}-req-2`, 'DELAYED']]);
  });

  it('drops malformed heartbeats without failing the batch, and records the valid ones beside them', async () => {
    const emulator = h.host.emulators.get('record-heartbeats');
    const failuresBefore = emulator?.stats.failures ?? 0;
    const warningsBefore = h.logger.entries.filter((entry) => entry.message === 'invalid heartbeat dropped').length;
    const date = new Date().toISOString();
    const malformed: HeartbeatBody[] = [
      'not json at all',
      '[]',
      { type: 'delta', heartBeatDate: date },
      { id: 'delta-x', heartBeatDate: date },
      { id: 'delta-x', type: 'delta', heartBeatDate: 'Aug 2, 2024, 9:45:10 AM' },
      { id: 'delta-x', type: 'delta', heartBeatDate: 1_722_591_910_662 },
      { id: 'delta-x', type: 'd'.repeat(129), heartBeatDate: date },
      { id: ['delta-x'], type: 'delta', heartBeatDate: date },
    ];
    // One burst into the queue, so the valid beat shares a batch with the bad ones.
    await publishHeartbeats(h, [...malformed, { id: 'delta-1', type: 'delta', heartBeatDate: date }], 'queue');
    await eventually(() => alive('delta'), { what: 'delta alive' });
    await eventually(
      async () => h.logger.entries.filter((entry) => entry.message === 'invalid heartbeat dropped').length - warningsBefore === malformed.length,
      { what: 'every malformed heartbeat logged' },
    );
    expect(emulator?.stats.failures).toBe(failuresBefore);
    // Nothing was dead-lettered: heartbeats have no dead-letter queue at all.
    expect(await h.rabbit.queueExists(`${h.settings.names.heartbeatQueue}.DLQ`)).toBe(false);
    expect((await h.rabbit.queueState(h.settings.names.heartbeatQueue)).messageCount).toBe(0);
    expect((await alive('delta'))?.instances).toBe(1);
  });

  it('coalesces the registry writes of a fleet beating far more often than the refresh period', async () => {
    // The production figure scaled down 30 times: expiry 60 s -> 2 s (refresh 15 s -> 0.5 s),
    // a beat every 2 s -> 67 ms, 60 s -> 2 s. Ten instances, one burst per beat period.
    const recorder = recordCommands(h.dynamo.client);
    const fleet = Array.from({ length: 10 }, (_, n) => `fleet-${n}`);
    let beats = 0;
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      const date = new Date().toISOString();
      await publishHeartbeats(
        h,
        fleet.map((id) => ({ id, type: 'fleet', heartBeatDate: date })),
        'queue',
      );
      beats += fleet.length;
      await sleep(67);
    }
    await eventually(async () => (await h.rabbit.queueState(h.settings.names.heartbeatQueue)).messageCount === 0, { what: 'heartbeat queue drained' });
    await sleep(300);
    const writes = recorder.commands().filter((command) => ['PutCommand', 'UpdateCommand'].includes(command.constructor.name)).length;
    recorder.reset();
    console.info(`heartbeat write coalescing on dynalite: ${beats} beats -> ${writes} registry writes`);
    expect((await alive('fleet'))?.instances).toBe(10);
    expect(beats).toBeGreaterThan(100);
    // One write per instance and one per type every refresh period (0.5 s) over ~2 s, plus the first.
    expect(writes).toBeLessThanOrEqual(6 * 11);
    expect(writes).toBeLessThan(beats / 2);
  });
});
