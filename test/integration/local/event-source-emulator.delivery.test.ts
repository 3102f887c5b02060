import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { applyTopology } from '../../../shared/amqp-kit/topology.js';
import { managerTopology } from '../../../shared/contract/topology.js';
import { dedicatedDeadLetterQueue } from '../../../shared/contract/wire-names.js';
import { EventSourceEmulator, EventSourceEmulatorError, type EventSourceEmulatorOptions } from '../../../infra/local/event-source-emulator.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { Gate, Recorder } from './recorder.js';

/* Settlement and lifecycle: when the emulated event source acks, requeues, stops and recovers. */

const rabbit = createRabbitFixture('esm-delivery');
const shared = rabbit.provider();
const emulators: EventSourceEmulator[] = [];
const gates: Gate[] = [];

afterEach(async () => {
  // A failed test must not leave a handler parked on its gate, or stop() would wait forever.
  for (const gate of gates.splice(0)) gate.open();
  for (const emulator of emulators.splice(0)) await emulator.stop();
});

afterAll(async () => {
  await rabbit.cleanup();
});

async function queueNamed(suffix: string): Promise<string> {
  const queue = rabbit.name(suffix);
  await rabbit.declareQueue(queue);
  return queue;
}

function emulator(options: Omit<EventSourceEmulatorOptions, 'connection'> & Partial<Pick<EventSourceEmulatorOptions, 'connection'>>) {
  const created = new EventSourceEmulator({ connection: shared, ...options });
  emulators.push(created);
  return created;
}

function gate(): Gate {
  const created = new Gate();
  gates.push(created);
  return created;
}

const numbered = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `m${from + i}`);

describe('EventSourceEmulator delivery', () => {
  it('gives up an invocation past the function time-out: the batch comes back redelivered and the source goes on', async () => {
    const queue = await queueNamed('time-out');
    const stuck = gate();
    const recorder = new Recorder(async (batch) => {
      // The first invocation hangs, as a handler stuck on a dead dependency would.
      if (batch.index === 0) await stuck.opened;
    });
    const source = emulator({ queue, batchSize: 10, maximumBatchingWindowMs: 0, invocationTimeoutMs: 300, handler: recorder.handler });
    await rabbit.sendToQueue(queue, numbered(3));
    await source.start();
    await recorder.until((r) => r.messageCount >= 6, 'the batch redelivered after the time-out', 10_000);
    // Requeued tag by tag, the messages may come back over more than one batch (no batching window here).
    const again = recorder.batches.slice(1);
    expect(again.flatMap((batch) => batch.redelivered)).toEqual([true, true, true]);
    expect(again.flatMap((batch) => batch.bodies)).toEqual(numbered(3));
    expect(source.stats.failures).toBe(1);
  });

  it('runs one invocation at a time while messages keep coming', async () => {
    const queue = await queueNamed('one-at-a-time');
    const recorder = new Recorder(async () => {
      // Uneven handler times, so overlapping invocations would show.
      await delay(5 + Math.floor(Math.random() * 20));
    });
    const source = emulator({ queue, batchSize: 5, maximumBatchingWindowMs: 0, handler: recorder.handler });
    await source.start();

    for (let i = 0; i < 60; i += 10) await rabbit.sendToQueue(queue, numbered(10, i));
    await recorder.until((r) => r.messageCount === 60, 'the 60 messages');

    expect(recorder.maxConcurrent).toBe(1);
    expect(recorder.batches.length).toBeGreaterThanOrEqual(12);
    expect(Math.max(...recorder.sizes)).toBeLessThanOrEqual(5);
    expect([...recorder.batches.flatMap((b) => b.bodies)].sort()).toEqual([...numbered(60)].sort());
  });

  it('acks only after the handler succeeded: a crash during the invocation leaves the batch in the queue', async () => {
    const queue = await queueNamed('crash');
    await rabbit.sendToQueue(queue, numbered(3));
    const own = rabbit.provider({ connectionName: `${rabbit.prefix}:crash` });
    const hold = gate();
    const recorder = new Recorder(async () => hold.opened);
    // A re-subscription far in the future: after the crash nothing consumes the queue again.
    const source = emulator({
      connection: own,
      queue,
      batchSize: 3,
      maximumBatchingWindowMs: 0,
      handler: recorder.handler,
      resubscribe: { initialDelayMs: 600_000 },
    });
    await source.start();
    await recorder.until((r) => r.batches.length === 1, 'the invocation');
    expect((await rabbit.queueState(queue)).messageCount).toBe(0);

    await rabbit.dropConnection(await own.get());
    // The broker requeues the unacked batch once it sees the socket close.
    await vi.waitFor(async () => expect((await rabbit.queueState(queue)).messageCount).toBe(3), { timeout: 10_000, interval: 50 });
    hold.open();
    await recorder.until((r) => r.completed === 1, 'the invocation to end');
    await source.stop();

    expect((await rabbit.queueState(queue)).messageCount).toBe(3);
    const back = await rabbit.collect(queue, 3);
    expect(back.map((m) => m.content.toString())).toEqual(numbered(3));
    expect(back.every((m) => m.fields.redelivered)).toBe(true);
  });

  it('requeues the whole batch when the handler throws: every message comes back redelivered', async () => {
    const queue = await queueNamed('throws');
    await rabbit.sendToQueue(queue, numbered(4));
    const logger = new CapturingLogger();
    const recorder = new Recorder((batch) => {
      if (batch.index === 0) throw new Error('store unreachable');
    });
    const source = emulator({
      queue,
      batchSize: 4,
      maximumBatchingWindowMs: 1_000,
      handler: recorder.handler,
      logger,
    });

    await source.start();
    await recorder.until((r) => r.completed === 2, 'the retried batch');
    await source.stop();

    expect(recorder.sizes).toEqual([4, 4]);
    expect(recorder.batches[0]?.redelivered).toEqual([false, false, false, false]);
    expect(recorder.batches[1]?.bodies).toEqual(numbered(4));
    expect(recorder.batches[1]?.redelivered).toEqual([true, true, true, true]);
    expect(source.stats).toMatchObject({ invocations: 2, failures: 1, requeued: 4 });
    expect(logger.warnings.some((w) => w.includes('handler failed'))).toBe(true);
    expect((await rabbit.queueState(queue)).messageCount).toBe(0);
  });

  it('stops a poison message: the quorum queue dead-letters it after its delivery limit', async () => {
    const deliveryLimit = 2;
    const names = rabbit.names;
    await applyTopology(shared, managerTopology(names, { deliveryLimit }));
    const recorder = new Recorder(() => {
      throw new Error('poison');
    });
    const source = emulator({ queue: names.requestQueue, batchSize: 10, maximumBatchingWindowMs: 0, handler: recorder.handler });
    await source.start();

    await rabbit.publish(names.requestExchange, '', 'poison body', { headers: { 'regards.tenant': 'project-a' } });
    const [dead] = await rabbit.collect(dedicatedDeadLetterQueue(names.requestQueue), 1, { timeoutMs: 20_000 });

    expect(dead?.content.toString()).toBe('poison body');
    expect(dead?.properties.headers?.['x-first-death-reason']).toBe('delivery_limit');
    expect(dead?.properties.headers?.['regards.tenant']).toBe('project-a');
    // RabbitMQ delivers it deliveryLimit + 1 times (3.x); a later version may stop one earlier.
    expect(recorder.batches.length).toBeGreaterThanOrEqual(deliveryLimit);
    expect(recorder.batches.length).toBeLessThanOrEqual(deliveryLimit + 1);
    expect(recorder.batches[0]?.redelivered).toEqual([false]);
    expect(recorder.batches.slice(1).every((b) => b.redelivered[0] === true)).toBe(true);
    expect((await rabbit.queueState(names.requestQueue)).messageCount).toBe(0);
  });

  it('stop() lets the running invocation finish and ack, requeues what was only buffered, and is idempotent', async () => {
    const queue = await queueNamed('stop');
    const hold = gate();
    const recorder = new Recorder(async (batch) => {
      if (batch.index === 0) await hold.opened;
    });
    const source = emulator({ queue, batchSize: 10, maximumBatchingWindowMs: 0, handler: recorder.handler });
    await source.start();
    await rabbit.sendToQueue(queue, ['in-flight']);
    await recorder.until((r) => r.batches.length === 1, 'the first invocation');
    await rabbit.sendToQueue(queue, numbered(5));
    await vi.waitFor(() => expect(source.stats.buffered).toBe(5), { timeout: 10_000, interval: 20 });

    const stopping = source.stop();
    expect(source.stop()).toBe(stopping);
    let stopped = false;
    void stopping.then(() => {
      stopped = true;
    });
    // stop() waits for the invocation; let the event loop turn to show it has not resolved.
    await delay(100);
    expect(stopped).toBe(false);
    hold.open();
    await stopping;

    expect(recorder.batches.length).toBe(1);
    expect(source.stats).toMatchObject({ invocations: 1, requeued: 5, buffered: 0, inFlight: 0 });
    expect(source.running).toBe(false);
    expect(await rabbit.queueState(queue)).toEqual({ messageCount: 5, consumerCount: 0 });
    const back = await rabbit.collect(queue, 5);
    expect(back.map((m) => m.content.toString())).toEqual(numbered(5));
    await expect(source.stop()).resolves.toBeUndefined();
  });

  it('re-subscribes after the connection drops, reports it, and goes on consuming', async () => {
    const queue = await queueNamed('resubscribe');
    const own = rabbit.provider({ connectionName: `${rabbit.prefix}:resubscribe` });
    const logger = new CapturingLogger();
    const recorder = new Recorder();
    const source = emulator({
      connection: own,
      queue,
      batchSize: 10,
      maximumBatchingWindowMs: 0,
      handler: recorder.handler,
      logger,
      resubscribe: { initialDelayMs: 50, maxDelayMs: 500 },
    });
    await source.start();
    await rabbit.sendToQueue(queue, ['before']);
    await recorder.until((r) => r.completed === 1, 'the first message');

    await rabbit.dropConnection(await own.get());
    await rabbit.sendToQueue(queue, ['after']);
    await recorder.until((r) => r.messageCount === 2, 'the message sent after the drop');

    expect(recorder.batches.flatMap((b) => b.bodies)).toEqual(['before', 'after']);
    expect(source.stats.resubscriptions).toBe(1);
    expect(logger.warnings.some((w) => w.includes('lost its subscription'))).toBe(true);
  });

  it('redelivers the batch that was in flight when the connection dropped, once re-subscribed', async () => {
    const queue = await queueNamed('inflight-drop');
    await rabbit.sendToQueue(queue, numbered(2));
    const own = rabbit.provider({ connectionName: `${rabbit.prefix}:inflight-drop` });
    const hold = gate();
    const recorder = new Recorder(async (batch) => {
      if (batch.index === 0) await hold.opened;
    });
    const source = emulator({
      connection: own,
      queue,
      batchSize: 2,
      maximumBatchingWindowMs: 0,
      handler: recorder.handler,
      resubscribe: { initialDelayMs: 50, maxDelayMs: 500 },
    });
    await source.start();
    await recorder.until((r) => r.batches.length === 1, 'the first invocation');

    await rabbit.dropConnection(await own.get());
    // Re-subscribed while the invocation still runs: the redelivered batch waits in the buffer.
    await vi.waitFor(() => expect(source.stats.buffered).toBe(2), { timeout: 10_000, interval: 20 });
    expect(recorder.batches.length).toBe(1);
    hold.open();
    await recorder.until((r) => r.completed === 2, 'the redelivered batch');

    expect(recorder.maxConcurrent).toBe(1);
    expect(recorder.batches[1]?.bodies).toEqual(numbered(2));
    expect(recorder.batches[1]?.redelivered).toEqual([true, true]);
  });

  it('start() rejects when the queue does not exist, and works once it does', async () => {
    const queue = rabbit.name('late-queue');
    const recorder = new Recorder();
    const source = emulator({ queue, batchSize: 1, maximumBatchingWindowMs: 0, handler: recorder.handler });

    const error: unknown = await source.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventSourceEmulatorError);
    expect((error as EventSourceEmulatorError).cause).toMatchObject({ code: 404 });
    expect(source.running).toBe(false);

    await rabbit.declareQueue(queue);
    await source.start();
    await rabbit.sendToQueue(queue, ['hello']);
    await recorder.until((r) => r.messageCount === 1, 'the message');
    expect(recorder.batches[0]?.bodies).toEqual(['hello']);
  });

  it('opens its own connection when given a URL, and releases the queue at stop', async () => {
    const queue = await queueNamed('own-url');
    const logger = new CapturingLogger();
    const recorder = new Recorder();
    const source = emulator({
      connection: rabbit.url,
      queue,
      batchSize: 1,
      maximumBatchingWindowMs: 0,
      handler: recorder.handler,
      logger,
    });
    await source.start();
    await rabbit.sendToQueue(queue, ['via url']);
    await recorder.until((r) => r.messageCount === 1, 'the message');

    await source.stop();

    const infos = logger
      .at('info')
      .filter((entry) => entry.message === 'connected to RabbitMQ')
      .map((entry) => entry.fields);
    expect(infos).toEqual([expect.objectContaining({ connection: `event-source:${queue}` })]);
    expect((await rabbit.queueState(queue)).consumerCount).toBe(0);
    expect(recorder.batches[0]?.event.rmqMessagesByQueue[`${queue}::/`]).toHaveLength(1);
  });
});
