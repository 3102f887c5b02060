import { beforeEach, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { DEFAULT_MANAGER_SETTINGS, ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { REJECTION_REASON_HEADER } from '../../../shared/application/services/batch-effects.js';
import { registerRequests, unknownTenantMessage, type RegisterRequestsDeps } from '../../../shared/application/use-cases/register-requests.js';
import { FINISHED_TRACE_SECONDS, StoreUnavailableError } from '../../../shared/ports/request-store.js';
import { bringAlive, configure, declare, decodeJson, memoryWorld, requestMessage, type MemoryWorld } from '../../support/use-case-fixtures.js';
import { workerResponseDriver } from '../../support/worker-response-driver.js';

const names = DEFAULT_MANAGER_SETTINGS.names;
const WORKER_EXCHANGE = 'regards.worker.extract-worker.request';

function batch(...messages: ReturnType<typeof requestMessage>[]) {
  return { messages, unreadable: [] };
}

function responses(world: MemoryWorld) {
  return world.bus.to(names.responseExchange).map((message) => ({ headers: message.headers, body: decodeJson(message.body) as Record<string, unknown> }));
}

describe('registerRequests', () => {
  let world: MemoryWorld;
  let deps: RegisterRequestsDeps;

  beforeEach(async () => {
    world = memoryWorld();
    deps = world;
    await configure(world, 'tenant-a', {
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
      skipContentTypes: ['ignored-type'],
    });
  });

  it('dispatches a request whose worker is alive and answers GRANTED', async () => {
    await bringAlive(world, 'extract-worker');
    const report = await registerRequests(batch(requestMessage({ body: '{"file":"a"}' })), deps);

    expect(report).toMatchObject({ received: 1, dispatched: 1, delayed: 0, skipped: 0 });
    const stored = (await world.requests.getAll('tenant-a', ['req-1'])).get('req-1');
    expect(stored).toMatchObject({ status: 'DISPATCHED', dispatchedWorkerType: 'extract-worker', attempt: 1, source: 'owner-1', version: 1 });
    expect(Buffer.from(stored?.content ?? []).toString()).toBe('{"file":"a"}');

    const [work] = world.bus.to(WORKER_EXCHANGE);
    expect(work?.routingKey).toBe('#');
    expect(work?.headers).toEqual({
      [Header.tenant]: 'tenant-a',
      [Header.requestId]: 'req-1',
      [Header.owner]: 'owner-1',
      [Header.session]: 'session-1',
      [Header.contentType]: 'to-extract',
      [Header.dispatchAttempt]: 1,
      [Header.dispatchToken]: stored?.dispatchToken,
    });
    expect(stored?.dispatchToken).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(work?.body ?? []).toString()).toBe('{"file":"a"}');
    expect(work?.properties).toMatchObject({ priority: 0, contentType: 'application/json' });

    expect(responses(world)).toEqual([
      {
        headers: expect.objectContaining({ [Header.workerId]: 'extract-worker', [Header.requestId]: 'req-1', [Header.converter]: 'GSON' }),
        body: {
          state: 'GRANTED',
          messages: ['Your request has been successfully registered.'],
          requestId: 'req-1',
          type: 'EXTRACTION',
          requestOwner: 'owner-1',
        },
      },
    ]);
    expect(world.bus.bursts).toBe(1);
    expect(world.bus.declaredExchanges.has(WORKER_EXCHANGE)).toBe(true);
    expect((await world.counters.get('tenant-a', 'owner-1', 'session-1'))?.values).toEqual({
      'workers.requests': 1,
      'workers.extract-worker.dispatched': 1,
    });
  });

  it('parks a request whose worker is configured but dead, and answers DELAYED', async () => {
    await registerRequests(batch(requestMessage()), deps);
    const stored = (await world.requests.getAll('tenant-a', ['req-1'])).get('req-1');
    expect(stored).toMatchObject({ status: 'NO_WORKER_AVAILABLE', stepWorkerType: 'extract-worker', dispatchedWorkerType: null, attempt: 0 });
    expect(world.bus.to(WORKER_EXCHANGE)).toEqual([]);
    const [response] = responses(world);
    expect(response?.body).toMatchObject({
      state: 'DELAYED',
      messages: ['Your request has been delayed as no worker is currently matching content type <to-extract>.'],
    });
    expect(response?.headers[Header.workerId]).toBeUndefined();
    expect((await world.requests.listWaiting('tenant-a', 'extract-worker', { limit: 10 })).items).toEqual([{ tenant: 'tenant-a', requestId: 'req-1' }]);
  });

  it('parks an unknown content type unrouted, so a later configuration can route it', async () => {
    await registerRequests(batch(requestMessage({ contentType: 'unknown' })), deps);
    const stored = (await world.requests.getAll('tenant-a', ['req-1'])).get('req-1');
    expect(stored).toMatchObject({ status: 'NO_WORKER_AVAILABLE', stepWorkerType: null });
    expect((await world.requests.listWaiting('tenant-a', null, { limit: 10 })).items).toHaveLength(1);
    expect(responses(world)[0]?.body.state).toBe('DELAYED');
  });

  it('answers SKIPPED a request of a tenant nobody declared, stores nothing, registers nothing, and logs it', async () => {
    const report = await registerRequests(batch(requestMessage({ tenant: 'new-tenant' }), requestMessage({ tenant: 'other-new', requestId: 'req-2' })), deps);
    expect(report).toMatchObject({ received: 2, skipped: 2, unknownTenant: 2, delayed: 0, dispatched: 0 });
    expect((await world.requests.getAll('new-tenant', ['req-1'])).size).toBe(0);
    expect(await world.configStore.listTenants()).toEqual(['tenant-a']);
    expect(responses(world).map(({ body }) => [body.state, body.messages])).toEqual([
      ['SKIPPED', [unknownTenantMessage('new-tenant')]],
      ['SKIPPED', [unknownTenantMessage('other-new')]],
    ]);
    // One warning for the batch, naming the tenants; no counter is written for a tenant that does not exist.
    const warnings = world.logger.entries.filter((entry) => entry.level === 'warn');
    expect(warnings).toEqual([expect.objectContaining({ fields: expect.objectContaining({ count: 2, tenants: ['new-tenant', 'other-new'] }) })]);
    expect(world.counters.writes).toBe(0);
  });

  it('keeps the requests of a declared tenant nobody configured yet, and says why in the log', async () => {
    await declare(world, 'new-tenant');
    await registerRequests(batch(requestMessage({ tenant: 'new-tenant' })), deps);
    expect((await world.requests.getAll('new-tenant', ['req-1'])).get('req-1')?.status).toBe('NO_WORKER_AVAILABLE');
    expect(world.logger.entries.some((entry) => entry.level === 'warn' && entry.fields['tenant'] === 'new-tenant')).toBe(true);
    expect(responses(world)[0]?.body.state).toBe('DELAYED');
  });

  it('in the open tenants mode, keeps the requests of a tenant nobody declared and registers the tenant', async () => {
    const open = { ...world, settings: ManagerSettingsSchema.parse({ tenants: 'open' }) };
    await registerRequests(batch(requestMessage({ tenant: 'new-tenant' })), open);
    expect((await world.requests.getAll('new-tenant', ['req-1'])).get('req-1')?.status).toBe('NO_WORKER_AVAILABLE');
    expect(await world.configStore.listTenants()).toContain('new-tenant');
    expect(responses(world)[0]?.body.state).toBe('DELAYED');
  });

  it('routes a workflow to the worker of its lowest step number', async () => {
    await bringAlive(world, 'extract-worker');
    await registerRequests(batch(requestMessage({ contentType: 'lta-request' })), deps);
    const stored = (await world.requests.getAll('tenant-a', ['req-1'])).get('req-1');
    expect(stored).toMatchObject({ status: 'DISPATCHED', stepNumber: 10, dispatchedWorkerType: 'extract-worker' });
    // Workers see the workflow type as the content type, at every step (reference 3.5).
    expect(world.bus.to(WORKER_EXCHANGE)[0]?.headers[Header.contentType]).toBe('lta-request');
  });

  it('answers one SKIPPED listing every missing header, and stores nothing', async () => {
    await registerRequests(batch(requestMessage({ owner: undefined, session: '  ' })), deps);
    expect((await world.requests.getAll('tenant-a', ['req-1'])).size).toBe(0);
    expect(responses(world)).toEqual([
      expect.objectContaining({
        body: expect.objectContaining({
          state: 'SKIPPED',
          messages: [
            '<regards.request.owner> property is missing from request message headers',
            '<regards.request.session> property is missing from request message headers',
          ],
        }),
      }),
    ]);
    expect(await world.counters.get('tenant-a', 'owner-1', 'session-1')).toBeUndefined();
  });

  it('skips a content type of skipContentTypes and a body over the size limit, with both reasons', async () => {
    const settings = ManagerSettingsSchema.parse({ maxRequestBytes: 10 });
    await registerRequests(batch(requestMessage({ contentType: 'ignored-type', body: 'x'.repeat(11) })), { ...deps, settings });
    expect(responses(world)[0]?.body.messages).toEqual([
      'Content type <ignored-type> is configured to be automatically skipped on tenant <tenant-a>',
      'Request body is 11 bytes, more than the 10 bytes allowed',
    ]);
    expect((await world.requests.getAll('tenant-a', ['req-1'])).size).toBe(0);
  });

  it('dead-letters a request without tenant or request id, with the reason, and answers nobody', async () => {
    const report = await registerRequests(batch(requestMessage({ tenant: undefined }), requestMessage({ requestId: undefined })), deps);
    expect(report.deadLettered).toBe(2);
    expect(responses(world)).toEqual([]);
    const dead = world.bus.to(names.deadLetterExchange);
    expect(dead.map((message) => message.routingKey)).toEqual([`${names.requestQueue}.DLQ`, `${names.requestQueue}.DLQ`]);
    expect(dead[0]?.headers[REJECTION_REASON_HEADER]).toContain('<regards.tenant> property is missing');
    expect(dead[1]?.headers[REJECTION_REASON_HEADER]).toContain('<regards.request.id> property is missing');
    expect(Buffer.from(dead[0]?.body ?? []).toString()).toBe('{"file":"a.dat"}');
  });

  it('dead-letters and skips a request the store refuses, and registers its neighbours', async () => {
    await bringAlive(world, 'extract-worker');
    world.requests.refuses = (request) => request.requestId === 'refused';
    const report = await registerRequests(
      batch(requestMessage({ requestId: 'before' }), requestMessage({ requestId: 'refused' }), requestMessage({ requestId: 'after' })),
      deps,
    );

    expect(report).toMatchObject({ received: 3, dispatched: 2, refused: 1 });
    const dead = world.bus.to(names.deadLetterExchange);
    expect(dead.map((message) => [message.headers[Header.requestId], message.routingKey])).toEqual([['refused', `${names.requestQueue}.DLQ`]]);
    expect(dead[0]?.headers[REJECTION_REASON_HEADER]).toMatch(/^the store refused to record this request: memory store PutItem refused request refused$/);
    const answers = responses(world).map(({ headers, body }) => [headers[Header.requestId], body['state']]);
    expect(answers).toEqual([
      ['before', 'GRANTED'],
      ['refused', 'SKIPPED'],
      ['after', 'GRANTED'],
    ]);
    expect(world.bus.to(WORKER_EXCHANGE)).toHaveLength(2);
  });

  it("carries the client's AMQP priority to the work item, and 0 when it gave none (as REGARDS)", async () => {
    await bringAlive(world, 'extract-worker');
    const urgent = requestMessage({ requestId: 'urgent' });
    urgent.properties.priority = 7;
    await registerRequests(batch(urgent, requestMessage({ requestId: 'plain' })), deps);
    const priorities = world.bus.to(WORKER_EXCHANGE).map((message) => [message.headers[Header.requestId], message.properties?.priority]);
    expect(priorities).toEqual([
      ['urgent', 7],
      ['plain', 0],
    ]);
    expect((await world.requests.getAll('tenant-a', ['urgent'])).get('urgent')?.priority).toBe(7);
  });

  it('stores the first of two messages with one id in a batch and skips the second', async () => {
    await bringAlive(world, 'extract-worker');
    const report = await registerRequests(batch(requestMessage({ body: 'first' }), requestMessage({ body: 'second' })), deps);
    expect(report).toMatchObject({ dispatched: 1, skipped: 1 });
    expect(Buffer.from((await world.requests.getAll('tenant-a', ['req-1'])).get('req-1')?.content ?? []).toString()).toBe('first');
    expect(responses(world).map((response) => response.body.state)).toEqual(['SKIPPED', 'GRANTED']);
    expect(responses(world)[0]?.body.messages).toEqual(['Request is denied cause the given requestId <req-1> already exists']);
  });

  it('skips a new message reusing a stored id, even with the same body', async () => {
    await bringAlive(world, 'extract-worker');
    await registerRequests(batch(requestMessage()), deps);
    world.bus.clear();
    const report = await registerRequests(batch(requestMessage()), deps);
    expect(report).toMatchObject({ skipped: 1, replayed: 0 });
    expect(world.bus.to(WORKER_EXCHANGE)).toEqual([]);
    expect(responses(world)[0]?.body.state).toBe('SKIPPED');
  });

  it('uses the same id in two tenants for two different requests', async () => {
    await configure(world, 'tenant-b', { workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
    await bringAlive(world, 'extract-worker');
    const report = await registerRequests(batch(requestMessage(), requestMessage({ tenant: 'tenant-b' })), deps);
    expect(report.dispatched).toBe(2);
  });

  it('replays a redelivered batch whose publish failed: nothing stored twice, work item sent, counters unchanged', async () => {
    await bringAlive(world, 'extract-worker');
    world.bus.failing = true;
    await expect(registerRequests(batch(requestMessage()), deps)).rejects.toThrow('broker marked unavailable');
    const counted = (await world.counters.get('tenant-a', 'owner-1', 'session-1'))?.values;

    world.bus.failing = false;
    const report = await registerRequests(batch(requestMessage({ redelivered: true })), deps);
    expect(report).toMatchObject({ replayed: 1, skipped: 0, dispatched: 0 });
    expect(world.bus.to(WORKER_EXCHANGE)).toHaveLength(1);
    expect(responses(world).map((response) => response.body.state)).toEqual(['GRANTED']);
    expect((await world.counters.get('tenant-a', 'owner-1', 'session-1'))?.values).toEqual(counted);
    expect((await world.requests.getAll('tenant-a', ['req-1'])).get('req-1')?.version).toBe(1);
  });

  it('does not re-send the work item of a redelivered request that has moved on', async () => {
    await bringAlive(world, 'extract-worker');
    await registerRequests(batch(requestMessage()), deps);
    const stored = (await world.requests.getAll('tenant-a', ['req-1'])).get('req-1');
    if (!stored) throw new Error('not stored');
    await world.requests.updateAll([{ previous: stored, next: { ...stored, status: 'RUNNING', version: 2 } }]);
    world.bus.clear();
    const report = await registerRequests(batch(requestMessage({ redelivered: true })), deps);
    expect(report.replayed).toBe(1);
    expect(world.bus.published).toEqual([]);
  });

  describe('a request that finished and whose row was removed (no retention)', () => {
    const { answer, respond } = workerResponseDriver(() => world, 'tenant-a');

    async function finished(): Promise<Record<string, number> | undefined> {
      await bringAlive(world, 'extract-worker');
      await registerRequests(batch(requestMessage()), deps);
      await respond(answer({ requestId: 'req-1', status: 'SUCCESS', content: Buffer.from('out'), dispatchAttempt: 1 }));
      expect((await world.requests.getAll('tenant-a', ['req-1'])).size).toBe(0);
      world.bus.clear();
      return (await world.counters.get('tenant-a', 'owner-1', 'session-1'))?.values;
    }

    it('is not run again by a late redelivery of its intake: nothing is stored, sent or counted', async () => {
      const counted = await finished();
      const report = await registerRequests(batch(requestMessage({ redelivered: true })), deps);
      expect(report).toMatchObject({ replayed: 1, dispatched: 0, delayed: 0, skipped: 0 });
      expect(world.bus.published).toEqual([]);
      expect(world.requests.size).toBe(0);
      expect((await world.counters.get('tenant-a', 'owner-1', 'session-1'))?.values).toEqual(counted);
      expect(world.logger.at('info').find((entry) => entry.message.startsWith('redelivered requests that already finished'))?.fields).toEqual({
        count: 1,
        requests: ['tenant-a/req-1'],
      });
    });

    it('runs again for a new message with its id: REGARDS lets a client reuse the id of a request that ended', async () => {
      const counted = await finished();
      const report = await registerRequests(batch(requestMessage()), deps);
      expect(report).toMatchObject({ dispatched: 1, replayed: 0, skipped: 0 });
      expect(responses(world).map((response) => response.body.state)).toEqual(['GRANTED']);
      expect(world.bus.to(WORKER_EXCHANGE)).toHaveLength(1);
      expect((await world.requests.getAll('tenant-a', ['req-1'])).get('req-1')).toMatchObject({ status: 'DISPATCHED', attempt: 1 });
      expect((await world.counters.get('tenant-a', 'owner-1', 'session-1'))?.values['workers.requests']).toBe((counted?.['workers.requests'] ?? 0) + 1);
    });

    it('registers a redelivered message of another content under its id: that message was never handled', async () => {
      await finished();
      const report = await registerRequests(batch(requestMessage({ redelivered: true, body: '{"file":"other"}' })), deps);
      expect(report).toMatchObject({ dispatched: 1, replayed: 0 });
      expect(world.bus.to(WORKER_EXCHANGE)).toHaveLength(1);
    });

    it('runs a redelivery again once the trace has expired', async () => {
      await finished();
      world.clock.advance((FINISHED_TRACE_SECONDS + 1) * 1000);
      await bringAlive(world, 'extract-worker');
      const report = await registerRequests(batch(requestMessage({ redelivered: true })), deps);
      expect(report).toMatchObject({ dispatched: 1, replayed: 0 });
    });
  });

  it('lets a store outage through, so the batch is redelivered', async () => {
    world.requests.unavailable = true;
    await expect(registerRequests(batch(requestMessage()), deps)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(world.bus.published).toEqual([]);
  });

  it('handles 1,000 messages of 3 tenants in one publish burst', async () => {
    for (const tenant of ['tenant-b', 'tenant-c']) {
      await configure(world, tenant, { workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
    }
    await bringAlive(world, 'extract-worker');
    const messages = Array.from({ length: 1000 }, (_, n) => requestMessage({ tenant: ['tenant-a', 'tenant-b', 'tenant-c'][n % 3], requestId: `r-${n}` }));
    const report = await registerRequests({ messages, unreadable: [] }, deps);
    expect(report.dispatched).toBe(1000);
    expect(world.bus.bursts).toBe(1);
    expect(world.bus.to(WORKER_EXCHANGE)).toHaveLength(1000);
    const perTenant = await Promise.all(['tenant-a', 'tenant-b', 'tenant-c'].map((tenant) => world.counters.get(tenant, 'owner-1', 'session-1')));
    expect(perTenant.map((counters) => counters?.values['workers.requests'])).toEqual([334, 333, 333]);
  });
});
