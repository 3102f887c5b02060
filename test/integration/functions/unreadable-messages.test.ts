import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECTION_REASON_HEADER } from '../../../shared/application/services/batch-effects.js';
import { Header } from '../../../shared/contract/headers.js';
import { dedicatedDeadLetterQueue } from '../../../shared/contract/wire-names.js';
import { json, startHarness, type HostHarness } from '../../support/host-harness.js';
import { configure } from '../../support/use-case-fixtures.js';

/** The first second of year 10000: the event source mapping writes it with five digits, which no contract date reads. */
const YEAR_10000 = 253_402_300_800;

describe('unreadable messages on RabbitMQ, through the event-source emulator', () => {
  let h: HostHarness;

  beforeAll(async () => {
    h = await startHarness('unreadable', { only: ['register-requests'] });
    await configure(h.services, 'tenant-a', { workers: [{ workerType: 'extract', contentTypeInputs: ['to-extract'] }] });
  });

  afterAll(async () => {
    await h?.close();
  });

  const headersOf = (requestId: string) => ({
    [Header.tenant]: 'tenant-a',
    [Header.requestId]: requestId,
    [Header.owner]: 'owner',
    [Header.session]: 'session',
    [Header.contentType]: 'to-extract',
  });

  it('dead-letters each unreadable message alone with its reason, answers every valid neighbour once, and redelivers nothing', async () => {
    const exchange = h.settings.names.requestExchange;
    const publish = (requestId: string, options: { timestamp?: number; headers?: Record<string, unknown> } = {}) =>
      h.rabbit.publish(exchange, '', `{"id":"${requestId}"}`, {
        contentType: 'application/json',
        timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
        headers: { ...headersOf(requestId), ...options.headers },
      });
    await Promise.all([
      publish('ok-1'),
      publish('far-future', { timestamp: YEAR_10000 + 3600 }),
      publish('ok-2'),
      // A timestamp header no date can hold: it reaches the contract as NaN, which it refuses.
      publish('odd-header', { headers: { 'x-odd': { '!': 'timestamp', value: 9_000_000_000_000_000 } } }),
      publish('ok-3'),
    ]);

    const dead = await h.rabbit.collect(dedicatedDeadLetterQueue(h.settings.names.requestQueue), 2);
    const byId = new Map(dead.map((message) => [String(message.properties.headers?.[Header.requestId]), message]));
    const future = byId.get('far-future');
    expect(String(future?.properties.headers?.[REJECTION_REASON_HEADER])).toContain('is not a date');
    expect(future?.content.toString()).toBe('{"id":"far-future"}');
    const odd = byId.get('odd-header');
    expect(String(odd?.properties.headers?.[REJECTION_REASON_HEADER])).toContain('headers');
    expect(odd?.properties.headers).toMatchObject({ [Header.tenant]: 'tenant-a', [Header.owner]: 'owner' });
    expect(odd?.properties.headers).not.toHaveProperty('x-odd');

    const answers = (await h.rabbit.collect(h.clientQueue, 3)).map(json);
    expect(answers.map((answer) => answer['requestId']).sort()).toEqual(['ok-1', 'ok-2', 'ok-3']);
    const stats = h.host.emulators.get('register-requests')?.stats;
    expect(stats).toMatchObject({ failures: 0, requeued: 0, dropped: 0 });
    expect(stats?.messages).toBe(5);
    // Nothing more comes: no second answer, no second dead letter, nothing left in the input queue.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await h.rabbit.queueState(h.clientQueue)).messageCount).toBe(0);
    expect((await h.rabbit.queueState(dedicatedDeadLetterQueue(h.settings.names.requestQueue))).messageCount).toBe(0);
    expect((await h.rabbit.queueState(h.settings.names.requestQueue)).messageCount).toBe(0);
    expect(h.host.emulators.get('register-requests')?.stats.messages).toBe(5);
  });

  it('dead-letters a 10 MB request alone with the reason, its body and headers kept, and answers its neighbours', async () => {
    const exchange = h.settings.names.requestExchange;
    const tenMegabytes = Buffer.alloc(10 * 1024 * 1024, 'a');
    await Promise.all([
      h.rabbit.publish(exchange, '', '{"id":"small-1"}', { contentType: 'application/json', headers: headersOf('small-1') }),
      h.rabbit.publish(exchange, '', tenMegabytes, { contentType: 'application/json', headers: headersOf('huge') }),
      h.rabbit.publish(exchange, '', '{"id":"small-2"}', { contentType: 'application/json', headers: headersOf('small-2') }),
    ]);

    const [dead] = await h.rabbit.collect(dedicatedDeadLetterQueue(h.settings.names.requestQueue), 1);
    expect(dead?.content.length).toBe(tenMegabytes.length);
    expect(dead?.properties.headers).toMatchObject(headersOf('huge'));
    expect(String(dead?.properties.headers?.[REJECTION_REASON_HEADER])).toMatch(
      /^message of 10485760 bytes .* exceeds the 6291456-byte invocation payload limit$/,
    );
    const answers = (await h.rabbit.collect(h.clientQueue, 2)).map(json);
    expect(answers.map((answer) => answer['requestId']).sort()).toEqual(['small-1', 'small-2']);
    expect((await h.rabbit.queueState(h.settings.names.requestQueue)).messageCount).toBe(0);
  });
});
