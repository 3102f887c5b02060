import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { AmazonMqEventSchema, AmazonMqMessageSchema, normalizeAmazonMqEvent, parseJavaMediumDate } from '../../../shared/contract/amazon-mq-event.js';
import { EventSourceEmulator, type EventSourceEmulatorOptions } from '../../../infra/local/event-source-emulator.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { REJECTION_REASON_HEADER } from '../../../shared/application/services/batch-effects.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { Gate, Recorder } from './recorder.js';

/* Batching: how the emulated event source cuts the queue into invocations. */

// No real delivery is known to break the encoding, so one header makes it throw.
vi.mock('../../../shared/contract/amazon-mq-event.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../shared/contract/amazon-mq-event.js')>();
  return {
    ...original,
    encodeHeaders: (headers: Record<string, unknown>) => {
      if ('x-unencodable' in headers) throw new Error('cannot encode this one');
      return original.encodeHeaders(headers);
    },
  };
});

const rabbit = createRabbitFixture('esm-batching');
const provider = rabbit.provider();
const emulators: EventSourceEmulator[] = [];

afterEach(async () => {
  for (const emulator of emulators.splice(0)) await emulator.stop();
});

afterAll(async () => {
  await rabbit.cleanup();
});

async function queueNamed(suffix: string, args?: Record<string, unknown>): Promise<string> {
  const queue = rabbit.name(suffix);
  await rabbit.declareQueue(queue, { durable: true, ...(args ? { arguments: args } : {}) });
  return queue;
}

function emulator(options: Omit<EventSourceEmulatorOptions, 'connection'>): EventSourceEmulator {
  const created = new EventSourceEmulator({ connection: provider, ...options });
  emulators.push(created);
  return created;
}

const numbered = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `m${from + i}`);

describe('EventSourceEmulator batching', () => {
  it('honours the batch size: 25 messages with batchSize 10 make batches of 10, 10 and 5, in order', async () => {
    const queue = await queueNamed('batch-size');
    await rabbit.sendToQueue(queue, numbered(25));
    const recorder = new Recorder();
    const source = emulator({ queue, batchSize: 10, maximumBatchingWindowMs: 1_000, handler: recorder.handler });

    await source.start();
    await recorder.until((r) => r.completed === 3, '3 batches');

    expect(recorder.sizes).toEqual([10, 10, 5]);
    expect(recorder.batches.flatMap((b) => b.bodies)).toEqual(numbered(25));
    expect(source.stats).toMatchObject({ invocations: 3, messages: 25, failures: 0 });
  });

  it('gathers messages that arrive within the window into one batch', async () => {
    const queue = await queueNamed('window-gathers');
    const recorder = new Recorder();
    const source = emulator({ queue, batchSize: 100, maximumBatchingWindowMs: 2_000, handler: recorder.handler });
    await source.start();

    const firstSent = performance.now();
    for (const body of numbered(5)) {
      await rabbit.sendToQueue(queue, [body]);
      // Spread the messages over ~0.5 s, well inside the 2 s window.
      await delay(100);
    }
    await recorder.until((r) => r.messageCount === 5, 'the 5 messages');

    expect(recorder.sizes).toEqual([5]);
    expect(recorder.batches[0]?.bodies).toEqual(numbered(5));
    // The batch waited for the window to close after the first message.
    expect(recorder.batches[0]!.startedAt - firstSent).toBeGreaterThanOrEqual(1_900);
  });

  it('hands a lone message over after about the window, not before and not much later', async () => {
    const queue = await queueNamed('window-lone');
    const recorder = new Recorder();
    const source = emulator({ queue, batchSize: 10, maximumBatchingWindowMs: 400, handler: recorder.handler });
    await source.start();

    const sent = performance.now();
    await rabbit.sendToQueue(queue, ['alone']);
    await recorder.until((r) => r.messageCount === 1, 'the lone message');
    const waitedMs = recorder.batches[0]!.startedAt - sent;

    expect(recorder.sizes).toEqual([1]);
    expect(waitedMs).toBeGreaterThanOrEqual(350);
    expect(waitedMs).toBeLessThan(400 + 2_000);
  });

  it('with a window of 0, hands a message over at once', async () => {
    const queue = await queueNamed('window-zero');
    const recorder = new Recorder();
    const source = emulator({ queue, batchSize: 10, maximumBatchingWindowMs: 0, handler: recorder.handler });
    await source.start();

    const sent = performance.now();
    await rabbit.sendToQueue(queue, ['now']);
    await recorder.until((r) => r.messageCount === 1, 'the message');

    // No window to wait for: a broker round trip, far below the 500 ms default window.
    expect(recorder.batches[0]!.startedAt - sent).toBeLessThan(400);
  });

  it('with a window of 0, what buffered during an invocation forms the next batch as a whole', async () => {
    const queue = await queueNamed('window-zero-burst');
    const gate = new Gate();
    const recorder = new Recorder(async (batch) => {
      if (batch.index === 0) await gate.opened;
    });
    const source = emulator({ queue, batchSize: 100, maximumBatchingWindowMs: 0, handler: recorder.handler });
    await source.start();
    await rabbit.sendToQueue(queue, ['first']);
    await recorder.until((r) => r.batches.length === 1, 'the first invocation');

    await rabbit.sendToQueue(queue, numbered(20));
    await vi.waitFor(() => expect(source.stats.buffered).toBe(20), { timeout: 10_000, interval: 20 });
    gate.open();
    await recorder.until((r) => r.completed === 2, 'the second invocation');

    expect(recorder.sizes).toEqual([1, 20]);
    expect(recorder.batches[1]?.bodies).toEqual(numbered(20));
  });

  it('cuts a batch before its event would exceed the payload limit', async () => {
    const queue = await queueNamed('payload-cap');
    const maxPayloadBytes = 10_000;
    // ~4.4 KB of JSON per record (3,000 bytes become 4,000 base64 characters): two fit, three do not.
    const bodies = Array.from({ length: 7 }, (_, i) => `${i}`.padEnd(3_000, 'x'));
    await rabbit.sendToQueue(queue, bodies);
    const recorder = new Recorder();
    const source = emulator({ queue, batchSize: 100, maximumBatchingWindowMs: 300, maxPayloadBytes, handler: recorder.handler });

    await source.start();
    await recorder.until((r) => r.messageCount === 7, 'the 7 messages');

    expect(recorder.sizes).toEqual([2, 2, 2, 1]);
    for (const batch of recorder.batches) {
      expect(Buffer.byteLength(JSON.stringify(batch.event))).toBeLessThanOrEqual(maxPayloadBytes);
    }
    expect(recorder.batches.flatMap((b) => b.bodies)).toEqual(bodies);
  });

  it('rejects a message that alone exceeds the payload limit, so its dead-letter route keeps it', async () => {
    const deadLetters = await queueNamed('too-big-dlq');
    const queue = await queueNamed('too-big', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetters });
    await rabbit.sendToQueue(queue, ['small-before', 'y'.repeat(20_000), 'small-after']);
    const logger = new CapturingLogger();
    const recorder = new Recorder();
    const source = emulator({
      queue,
      batchSize: 10,
      maximumBatchingWindowMs: 200,
      maxPayloadBytes: 10_000,
      handler: recorder.handler,
      logger,
    });

    await source.start();
    const [dead] = await rabbit.collect(deadLetters, 1);
    await recorder.until((r) => r.messageCount === 2, 'the two small messages');

    expect(dead?.content.length).toBe(20_000);
    expect(recorder.batches.flatMap((b) => b.bodies)).toEqual(['small-before', 'small-after']);
    expect(source.stats.dropped).toBe(1);
    expect(logger.warnings.some((w) => w.includes('payload limit'))).toBe(true);
  });

  it('rejects a delivery it cannot encode alone, so its dead-letter route keeps it, and delivers its neighbours once', async () => {
    const deadLetters = rabbit.name('unencodable-dlq');
    await rabbit.declareQueue(deadLetters, { durable: true });
    const queue = rabbit.name('unencodable');
    await rabbit.declareQueue(queue, { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetters } });
    await rabbit.sendToQueue(queue, ['before']);
    await rabbit.sendToQueue(queue, ['poison'], { headers: { 'x-unencodable': 1 } });
    await rabbit.sendToQueue(queue, ['after']);
    const logger = new CapturingLogger();
    const recorder = new Recorder();
    const source = emulator({ queue, batchSize: 10, maximumBatchingWindowMs: 300, handler: recorder.handler, logger });

    await source.start();
    const [dead] = await rabbit.collect(deadLetters, 1);
    await recorder.until((r) => r.messageCount === 2, 'the two neighbours');

    expect(dead?.content.toString()).toBe('poison');
    expect(recorder.batches.flatMap((b) => b.bodies)).toEqual(['before', 'after']);
    expect(recorder.batches.flatMap((b) => b.redelivered)).toEqual([false, false]);
    expect(source.stats).toMatchObject({ dropped: 1, resubscriptions: 0, failures: 0, requeued: 0 });
    expect(logger.entries.some((entry) => entry.message.includes('dead-lettered alone'))).toBe(true);
    // Without a dead-letter route to copy it to, the broker dead-letters it: no reason header.
    expect(dead?.properties.headers?.[REJECTION_REASON_HEADER]).toBeUndefined();
  });

  it('copies a delivery it cannot hand over to its dead-letter route with the reason, its properties kept, and acks it once confirmed', async () => {
    const deadLetters = await queueNamed('reasoned-dlq');
    const queue = await queueNamed('reasoned');
    await rabbit.sendToQueue(queue, ['before']);
    await rabbit.sendToQueue(queue, ['z'.repeat(20_000)], {
      headers: { 'regards.tenant': 'big' },
      messageId: 'big-1',
      contentType: 'application/json',
      priority: 3,
    });
    await rabbit.sendToQueue(queue, ['poison'], { headers: { 'x-unencodable': 1 }, messageId: 'poison-1' });
    await rabbit.sendToQueue(queue, ['after']);
    const recorder = new Recorder();
    const source = emulator({
      queue,
      batchSize: 10,
      maximumBatchingWindowMs: 200,
      maxPayloadBytes: 10_000,
      handler: recorder.handler,
      deadLetterTo: { exchange: '', routingKey: deadLetters },
    });

    await source.start();
    const dead = await rabbit.collect(deadLetters, 2);
    await recorder.until((r) => r.messageCount === 2, 'the two neighbours');

    const [big, poison] = [dead.find((m) => m.properties.messageId === 'big-1'), dead.find((m) => m.properties.messageId === 'poison-1')];
    expect(big?.content.length).toBe(20_000);
    expect(big?.properties).toMatchObject({ contentType: 'application/json', priority: 3 });
    expect(big?.properties.headers?.['regards.tenant']).toBe('big');
    expect(String(big?.properties.headers?.[REJECTION_REASON_HEADER])).toMatch(
      /^message of 20000 bytes \(\d+ bytes as an event record\) exceeds the 10000-byte invocation payload limit$/,
    );
    expect(String(poison?.properties.headers?.[REJECTION_REASON_HEADER])).toBe('unreadable message: Error: cannot encode this one');
    expect(recorder.batches.flatMap((b) => b.bodies)).toEqual(['before', 'after']);
    expect(source.stats).toMatchObject({ dropped: 2, resubscriptions: 0, failures: 0, requeued: 0 });
    await source.stop();
    // Both originals were acknowledged: nothing is left in the queue to come back.
    expect((await rabbit.queueState(queue)).messageCount).toBe(0);
  });

  it('builds the exact Amazon MQ event, which normalizeAmazonMqEvent turns back into the original message', async () => {
    const queue = await queueNamed('event-shape');
    const body = JSON.stringify({ hello: 'wörld', n: 1 });
    const timestamp = new Date('2026-01-02T15:04:05Z');
    const headers = { 'regards.tenant': 'project-a', 'regards.request.id': 'r-1', 'wm.dispatch.attempt': 3, 'a.flag': true };
    await rabbit.sendToQueue(queue, [body], {
      headers,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      correlationId: 'corr-1',
      replyTo: 'reply-queue',
      messageId: 'msg-1',
      timestamp: Math.floor(timestamp.getTime() / 1000),
      type: 'RequestEvent',
      appId: 'REGARDS',
      priority: 4,
    });
    const recorder = new Recorder();
    const source = emulator({
      queue,
      batchSize: 1,
      maximumBatchingWindowMs: 0,
      eventSourceArn: 'arn:aws:mq:eu-west-3:123456789012:broker:test:b-1',
      handler: recorder.handler,
    });

    await source.start();
    await recorder.until((r) => r.messageCount === 1, 'the message');
    const event = recorder.batches[0]!.event;

    expect(AmazonMqEventSchema.parse(event)).toBeTruthy();
    expect(event.eventSource).toBe('aws:rmq');
    expect(event.eventSourceArn).toBe('arn:aws:mq:eu-west-3:123456789012:broker:test:b-1');
    expect(Object.keys(event.rmqMessagesByQueue)).toEqual([`${queue}::/`]);
    const record = event.rmqMessagesByQueue[`${queue}::/`]?.[0];
    expect(AmazonMqMessageSchema.parse(record)).toBeTruthy();
    expect(record?.redelivered).toBe(false);
    expect(Buffer.from(record?.data ?? '', 'base64').toString('utf8')).toBe(body);
    expect(record?.basicProperties).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 4,
      correlationId: 'corr-1',
      replyTo: 'reply-queue',
      messageId: 'msg-1',
      timestamp: 'Jan 2, 2026, 3:04:05 PM',
      type: 'RequestEvent',
      appId: 'REGARDS',
      userId: null,
      expiration: null,
      bodySize: Buffer.byteLength(body),
      headers: {
        'regards.tenant': { bytes: [...Buffer.from('project-a')] },
        'regards.request.id': { bytes: [...Buffer.from('r-1')] },
        'wm.dispatch.attempt': 3,
        'a.flag': true,
      },
    });
    expect(parseJavaMediumDate(record?.basicProperties.timestamp ?? '')).toEqual(timestamp);

    const { messages, unreadable } = normalizeAmazonMqEvent(JSON.parse(JSON.stringify(event)));
    expect(unreadable).toEqual([]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ queue, vhost: '/', headers, redelivered: false });
    expect(messages[0]?.body.toString('utf8')).toBe(body);
    expect(messages[0]?.properties).toMatchObject({ contentType: 'application/json', messageId: 'msg-1', appId: 'REGARDS', timestamp });
  });
});
