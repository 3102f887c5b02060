import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { declareWorkerQueues, json, publishRequest, startHarness, type HostHarness } from '../../support/host-harness.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

const TENANTS = ['tenant-a', 'tenant-b', 'tenant-c'];

describe('register-requests on RabbitMQ and dynalite, through the event-source emulator', () => {
  let h: HostHarness;
  let workerQueue: string;

  beforeAll(async () => {
    h = await startHarness('intake', { only: ['register-requests'] });
    for (const tenant of TENANTS) {
      await configure(h.services, tenant, {
        workers: [
          { workerType: 'extract', contentTypeInputs: ['to-extract'] },
          { workerType: 'sleepy', contentTypeInputs: ['to-sleep'] },
        ],
      });
    }
    h.rabbit.trackWorkerType('sleepy');
    workerQueue = workerRequestName(h.settings.names, 'extract');
    await declareWorkerQueues(h, ['extract']);
    await bringAlive(h.services, 'extract');
  });

  afterAll(async () => {
    await h?.close();
  });

  const send = (requestId: string, overrides: Record<string, string | undefined> = {}, body?: string) => publishRequest(h, requestId, overrides, body);

  it('delivers a valid request to its worker queue with the contract headers, and answers GRANTED', async () => {
    await send('ok-1');
    const [work] = await h.rabbit.collect(workerQueue, 1);
    expect(work?.content.toString()).toBe('{"id":"ok-1"}');
    expect(work?.properties.headers).toMatchObject({
      [Header.tenant]: 'tenant-a',
      [Header.requestId]: 'ok-1',
      [Header.owner]: 'owner',
      [Header.session]: 'session',
      [Header.contentType]: 'to-extract',
      [Header.dispatchAttempt]: 1,
    });
    expect(work?.properties.priority).toBe(0);
    const [response] = await h.rabbit.collect(h.clientQueue, 1);
    expect(response && json(response)).toEqual({
      state: 'GRANTED',
      messages: ['Your request has been successfully registered.'],
      requestId: 'ok-1',
      type: 'EXTRACTION',
      requestOwner: 'owner',
    });
    expect(response?.properties.headers).toMatchObject({
      [Header.workerId]: 'extract',
      [Header.type]: 'fr.cnes.regards.modules.workermanager.amqp.events.out.ResponseEvent',
    });
    expect((await h.services.requests.getAll('tenant-a', ['ok-1'])).get('ok-1')?.status).toBe('DISPATCHED');
  });

  it("carries the client's AMQP priority to the work item", async () => {
    await h.rabbit.publish(h.settings.names.requestExchange, '', '{"id":"urgent-1"}', {
      priority: 9,
      headers: {
        [Header.tenant]: 'tenant-a',
        [Header.requestId]: 'urgent-1',
        [Header.owner]: 'owner',
        [Header.session]: 'session',
        [Header.contentType]: 'to-extract',
      },
    });
    const [work] = await h.rabbit.collect(workerQueue, 1);
    expect(work?.properties.headers?.[Header.requestId]).toBe('urgent-1');
    expect(work?.properties.priority).toBe(9);
    await h.rabbit.collect(h.clientQueue, 1);
  });

  it('answers SKIPPED for each invalid header class and stores none of them', async () => {
    await send('bad-owner', { [Header.owner]: undefined });
    await send('bad-session', { [Header.session]: '' });
    await send('bad-type', { [Header.contentType]: undefined });
    const skipped = (await h.rabbit.collect(h.clientQueue, 3)).map(json);
    expect(skipped.map((body) => [body['requestId'], body['state'], body['messages']])).toEqual(
      expect.arrayContaining([
        ['bad-owner', 'SKIPPED', ['<regards.request.owner> property is missing from request message headers']],
        ['bad-session', 'SKIPPED', ['<regards.request.session> property is missing from request message headers']],
        ['bad-type', 'SKIPPED', ['<regards.request.content_type> property is missing from request message headers']],
      ]),
    );
    expect((await h.services.requests.getAll('tenant-a', ['bad-owner', 'bad-session', 'bad-type'])).size).toBe(0);
  });

  it('dead-letters requests without tenant or request id to the request queue DLQ', async () => {
    await send('no-tenant', { [Header.tenant]: undefined });
    await send('ignored', { [Header.requestId]: undefined });
    const dead = await h.rabbit.collect(`${h.settings.names.requestQueue}.DLQ`, 2);
    expect(dead.map((message) => String(message.properties.headers?.['x-wm-rejection-reason']))).toEqual([
      expect.stringContaining('<regards.tenant> property is missing'),
      expect.stringContaining('<regards.request.id> property is missing'),
    ]);
  });

  it('skips a duplicate within a batch and across batches', async () => {
    // Published back to back, the two copies usually share a batch; either way the second is a duplicate.
    await send('dup-1');
    await send('dup-1');
    await h.rabbit.collect(workerQueue, 1);
    await send('dup-1');
    const states = (await h.rabbit.collect(h.clientQueue, 3)).map((message) => json(message)['state']);
    expect(states.sort()).toEqual(['GRANTED', 'SKIPPED', 'SKIPPED']);
    expect((await h.rabbit.queueState(workerQueue)).messageCount).toBe(0);
  });

  it('answers DELAYED and stores NO_WORKER_AVAILABLE for an unknown content type and for a dead worker', async () => {
    await send('unknown-1', { [Header.contentType]: 'unknown' });
    await send('sleepy-1', { [Header.contentType]: 'to-sleep' });
    const delayed = (await h.rabbit.collect(h.clientQueue, 2)).map(json);
    expect(delayed.map((body) => body['state'])).toEqual(['DELAYED', 'DELAYED']);
    const stored = await h.services.requests.getAll('tenant-a', ['unknown-1', 'sleepy-1']);
    expect(stored.get('unknown-1')).toMatchObject({ status: 'NO_WORKER_AVAILABLE', stepWorkerType: null });
    expect(stored.get('sleepy-1')).toMatchObject({ status: 'NO_WORKER_AVAILABLE', stepWorkerType: 'sleepy' });
  });

  it('registers one batch of 1,000 messages across 3 tenants, each exactly once', async () => {
    const emulator = h.host.emulators.get('register-requests');
    const before = emulator?.stats.invocations ?? 0;
    await Promise.all(Array.from({ length: 1000 }, (_, n) => send(`bulk-${n}`, { [Header.tenant]: TENANTS[n % 3] })));
    const work = await h.rabbit.collect(workerQueue, 1000, { timeoutMs: 30_000 });
    const ids = new Set(
      work.map((message) => `${String(message.properties.headers?.[Header.tenant])}/${String(message.properties.headers?.[Header.requestId])}`),
    );
    expect(ids.size).toBe(1000);
    const granted = await h.rabbit.collect(h.clientQueue, 1000, { timeoutMs: 30_000 });
    expect(granted.every((message) => json(message)['state'] === 'GRANTED')).toBe(true);
    // Batches of up to 100 (the configured batch size): a handful of invocations, not a thousand.
    expect((emulator?.stats.invocations ?? 0) - before).toBeLessThan(100);
    const counters = await h.services.counters.get('tenant-b', 'owner', 'session');
    expect(counters?.values['workers.requests']).toBe(333);
  }, 60_000);
});
