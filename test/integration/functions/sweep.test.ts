import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { declareWorkerQueues, eventually, json, publishRequest, startHarness, type HostHarness } from '../../support/host-harness.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

const EXPIRY_SECONDS = 2;
const TYPES = ['steady', 'late-worker', 'mortal'] as const;

describe('the sweeper on the local host, on RabbitMQ and dynalite', () => {
  let h: HostHarness;

  beforeAll(async () => {
    // No record-heartbeats: a type made alive here is never re-dispatched on its revival, only by the sweeper.
    h = await startHarness('sweeper', { only: ['register-requests'], sweeper: { intervalMs: 250 }, settings: { heartbeatExpirySeconds: EXPIRY_SECONDS } });
    for (const tenant of ['tenant-a', 'tenant-b']) {
      await configure(h.services, tenant, {
        workers: [
          { workerType: 'steady', contentTypeInputs: ['for-steady'] },
          { workerType: 'mortal', contentTypeInputs: ['for-mortal'] },
        ],
      });
    }
    await declareWorkerQueues(h, TYPES);
  });

  afterAll(async () => {
    await h?.close();
  });

  const states = async (count: number) => (await h.rabbit.collect(h.clientQueue, count)).map((message) => json(message)['state']);
  const ids = (messages: { properties: { headers?: Record<string, unknown> } }[]) =>
    messages.map((message) => `${String(message.properties.headers?.[Header.tenant])}/${String(message.properties.headers?.[Header.requestId])}`);

  it('dispatches the waiting requests of a type that came alive behind its back, in every tenant, once', async () => {
    await Promise.all(
      ['tenant-a', 'tenant-b'].map((tenant) => publishRequest(h, `steady-${tenant}`, { [Header.tenant]: tenant, [Header.contentType]: 'for-steady' })),
    );
    expect(await states(2)).toEqual(['DELAYED', 'DELAYED']);
    await bringAlive({ registry: h.services.registry, clock: h.services.clock }, 'steady');
    const work = await h.rabbit.collect(workerRequestName(h.settings.names, 'steady'), 2, { timeoutMs: 5_000 });
    expect(ids(work).sort()).toEqual(['tenant-a/steady-tenant-a', 'tenant-b/steady-tenant-b']);
    expect(await states(2)).toEqual(['GRANTED', 'GRANTED']);
    // Later runs find nothing waiting: no second work item.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await h.rabbit.queueState(workerRequestName(h.settings.names, 'steady'))).messageCount).toBe(0);
  });

  it('routes a request that arrived before its configuration once the configuration is imported', async () => {
    await publishRequest(h, 'early-1', { [Header.contentType]: 'late-type' });
    expect(await states(1)).toEqual(['DELAYED']);
    expect((await h.services.requests.getAll('tenant-a', ['early-1'])).get('early-1')?.stepWorkerType).toBeNull();
    await configure(h.services, 'tenant-a', {
      workers: [
        { workerType: 'steady', contentTypeInputs: ['for-steady'] },
        { workerType: 'mortal', contentTypeInputs: ['for-mortal'] },
        { workerType: 'late-worker', contentTypeInputs: ['late-type'] },
      ],
    });
    await bringAlive({ registry: h.services.registry, clock: h.services.clock }, 'late-worker');
    const [work] = await h.rabbit.collect(workerRequestName(h.settings.names, 'late-worker'), 1, { timeoutMs: 5_000 });
    expect(work?.properties.headers?.[Header.requestId]).toBe('early-1');
    // The sweeper sends a work item before it writes the dispatch, so the write may come a moment later.
    expect(await states(1)).toEqual(['GRANTED']);
    expect((await h.services.requests.getAll('tenant-a', ['early-1'])).get('early-1')).toMatchObject({ status: 'DISPATCHED', stepWorkerType: 'late-worker' });
  });

  it('expires the instances of a silent worker, so its requests wait again', async () => {
    await bringAlive({ registry: h.services.registry, clock: h.services.clock }, 'mortal', 'mortal-1');
    await eventually(
      () =>
        Promise.resolve(
          h.logger.entries.some((entry) => entry.message.startsWith('worker types died') && (entry.fields['deadTypes'] as string[]).includes('mortal')),
        ),
      { timeoutMs: EXPIRY_SECONDS * 1000 + 3_000, what: 'the sweeper reports mortal dead' },
    );
    // The sweeper already removed everything: nothing is left for another expirer.
    expect(await h.services.registry.expire(new Date())).toEqual({ removedInstances: 0, deadTypes: [] });
    await publishRequest(h, 'mortal-req', { [Header.contentType]: 'for-mortal' });
    expect(await states(1)).toEqual(['DELAYED']);
    expect(h.host.sweeper?.stats.runs).toBeGreaterThan(3);
    expect(h.host.sweeper?.stats.failures).toBe(0);
  });
});
