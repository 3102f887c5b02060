import { afterAll, describe, expect, it } from 'vitest';
import { AmqpMessageBus } from '../../../shared/adapters/rabbitmq/amqp-message-bus.js';
import { AmqpConnectionProvider, BrokerUnreachableError } from '../../../shared/amqp-kit/connection.js';
import { workerTopology } from '../../../shared/contract/topology.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { type OutboundMessage } from '../../../shared/contract/outbound-message.js';
import { PublishError } from '../../../shared/ports/message-bus.js';
import { AMQP_URL, createRabbitFixture } from '../../support/rabbitmq.js';

const rabbit = createRabbitFixture('message-bus');
const provider = rabbit.provider();
const buses: AmqpMessageBus[] = [];

afterAll(async () => {
  for (const bus of buses) await bus.close();
  await rabbit.cleanup();
});

function newBus(options: ConstructorParameters<typeof AmqpMessageBus>[1] = {}): AmqpMessageBus {
  const bus = new AmqpMessageBus(provider, options);
  buses.push(bus);
  return bus;
}

/** A topic exchange bound with `#` to a queue of the same name. */
async function route(suffix: string): Promise<string> {
  const name = rabbit.name(suffix);
  await rabbit.declareExchange(name, 'topic');
  await rabbit.declareQueue(name);
  await rabbit.bindQueue(name, name, '#');
  return name;
}

function message(exchange: string, body: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return { exchange, routingKey: 'rk', headers: {}, body: Buffer.from(body), ...overrides };
}

describe('AmqpMessageBus', () => {
  it('publishes a burst of 1,000 messages and resolves once the broker confirmed all of them', async () => {
    const bus = newBus();
    const target = await route('burst');
    const burst = Array.from({ length: 1_000 }, (_, i) => message(target, `m${i}`));

    const started = performance.now();
    await bus.publish(burst);
    const elapsedMs = performance.now() - started;

    // Resolved means confirmed, so every message is already enqueued.
    expect((await rabbit.queueState(target)).messageCount).toBe(1_000);
    expect(bus.stats.confirmed).toBe(1_000);
    // One wait for the whole burst: about a hundred ms here; per-message waits would take seconds.
    expect(elapsedMs).toBeLessThan(10_000);
    const received = await rabbit.collect(target, 1_000);
    expect(received.map((m) => m.content.toString())).toEqual(burst.map((m) => Buffer.from(m.body).toString()));
  });

  it('waits for the write buffer to drain when a burst outruns the socket, and loses nothing', async () => {
    const bus = newBus();
    const target = await route('backpressure');
    // amqplib's channel buffer holds 1,024 frames: a larger burst must pause on 'drain'.
    const burst = Array.from({ length: 5_000 }, (_, i) => message(target, `b${i}`));

    await bus.publish(burst);

    expect(bus.stats.drainWaits).toBeGreaterThan(0);
    expect((await rabbit.queueState(target)).messageCount).toBe(5_000);
  });

  it('delivers headers and properties intact, persistent unless asked otherwise', async () => {
    const bus = newBus();
    const target = await route('properties');
    const timestamp = new Date('2026-03-04T05:06:07.890Z');

    await bus.publish([
      message(target, '{"hello":"world"}', {
        routingKey: 'tenant.a',
        headers: { 'regards.tenant': 'project-a', 'wm.dispatch.attempt': 2, 'regards.flag': true },
        properties: { contentType: 'application/json', priority: 3, appId: 'REGARDS', messageId: 'id-1', timestamp },
      }),
      message(target, 'transient', { properties: { persistent: false } }),
    ]);

    const [first, second] = await rabbit.collect(target, 2);
    expect(first?.content.toString()).toBe('{"hello":"world"}');
    expect(first?.fields.routingKey).toBe('tenant.a');
    expect(first?.properties).toMatchObject({
      headers: { 'regards.tenant': 'project-a', 'wm.dispatch.attempt': 2, 'regards.flag': true },
      contentType: 'application/json',
      priority: 3,
      appId: 'REGARDS',
      messageId: 'id-1',
      timestamp: Math.floor(timestamp.getTime() / 1000),
      deliveryMode: 2,
    });
    expect(second?.properties.deliveryMode).toBe(1);
  });

  it('rejects with PublishError carrying the broker reason when an exchange is missing, then recovers', async () => {
    const bus = newBus();
    const target = await route('recovery');
    const missing = rabbit.name('no-such-exchange');

    const error: unknown = await bus.publish([message(target, 'before'), message(missing, 'lost')]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    const publishError = error as PublishError;
    expect(publishError.cause).toMatchObject({ code: 404 });
    expect(publishError.message).toContain('NOT_FOUND');
    expect(bus.stats.failedBursts).toBe(1);

    // The broker closed the channel; the next call opens a new one.
    await bus.publish([message(target, 'after')]);
    // A failed burst may be partly enqueued ('before' went through): the caller's retry duplicates it.
    const bodies = (await rabbit.collect(target, 2)).map((m) => m.content.toString());
    expect(bodies).toEqual(['before', 'after']);
  });

  it('reconnects on the next publish after the connection was lost', async () => {
    const own = rabbit.provider({ connectionName: `${rabbit.prefix}:reconnect` });
    const bus = new AmqpMessageBus(own);
    buses.push(bus);
    const target = await route('reconnect');
    await bus.publish([message(target, 'one')]);
    const first = await own.get();

    await rabbit.dropConnection(first);
    await bus.publish([message(target, 'two')]);

    expect(await own.get()).not.toBe(first);
    const bodies = (await rabbit.collect(target, 2)).map((m) => m.content.toString());
    expect(bodies).toEqual(['one', 'two']);
  });

  it('rejects with PublishError caused by BrokerUnreachableError when the broker cannot be reached', async () => {
    const url = new URL(AMQP_URL);
    url.port = '1';
    const unreachable = new AmqpConnectionProvider({ url: url.toString(), connectTimeoutMs: 2_000 });
    const bus = new AmqpMessageBus(unreachable);

    const error: unknown = await bus.publish([message('any', 'x')]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).cause).toBeInstanceOf(BrokerUnreachableError);
    await unreachable.close();
  });

  it('fails a burst the broker does not confirm in time instead of waiting forever, and publishes again after', async () => {
    const target = await route('slow');
    const impatient = new AmqpMessageBus(provider, { confirmTimeoutMs: 1 });
    buses.push(impatient);
    const burst = Array.from({ length: 2000 }, (_, n) => message(target, `m${n}`));
    await expect(impatient.publish(burst)).rejects.toThrow(/did not take and confirm the burst within 1 ms/);
    await newBus().publish([message(target, 'after')]);
    // The timed-out burst may still have landed (at-least-once): the later message is there either way.
    const contents = (await rabbit.collect(target, (await rabbit.queueState(target)).messageCount)).map((m) => m.content.toString());
    expect(contents).toContain('after');
  });

  it('sends a burst again after a passing failure, so the caller never sees it', async () => {
    const target = await route('flaky');
    let failures = 1;
    // A connection that fails once, as a broker restart or a network blip would.
    const flaky = Object.assign(Object.create(provider) as AmqpConnectionProvider, {
      get: () => (failures-- > 0 ? Promise.reject(new BrokerUnreachableError('blip')) : provider.get()),
    });
    const bus = new AmqpMessageBus(flaky);
    buses.push(bus);
    await bus.publish([message(target, 'eventually')]);
    expect(bus.stats.failedBursts).toBe(0);
    expect((await rabbit.collect(target, 1)).map((m) => m.content.toString())).toEqual(['eventually']);
  });

  it('resolves at once for an empty burst', async () => {
    const bus = newBus();
    await expect(bus.publish([])).resolves.toBeUndefined();
    expect(bus.stats.confirmed).toBe(0);
  });

  it('ensureTopology declares once, then repeated calls cost no broker round trip', async () => {
    rabbit.trackWorkerType('Cached');
    rabbit.trackWorkerType('Other');
    const names = rabbit.names;
    const queue = workerRequestName(names, 'Cached');
    const bus = newBus();

    await Promise.all([bus.ensureTopology(workerTopology(names, 'Cached')), bus.ensureTopology(workerTopology(names, 'Cached'))]);
    expect(await rabbit.queueExists(queue)).toBe(true);

    // Behind the bus's back: if the second call reached the broker it would re-create the queue.
    await rabbit.deleteQueue(queue);
    await bus.ensureTopology(workerTopology(names, 'Cached'));
    expect(await rabbit.queueExists(queue)).toBe(false);

    // Only what is new is declared; another bus has its own cache and declares again.
    await bus.ensureTopology(workerTopology(names, 'Other'));
    expect(await rabbit.queueExists(workerRequestName(names, 'Other'))).toBe(true);
    await newBus().ensureTopology(workerTopology(names, 'Cached'));
    expect(await rabbit.queueExists(queue)).toBe(true);
  });

  it('remembers at most maxDeclared topology keys, and declares a forgotten one again', async () => {
    const types = ['Lru1', 'Lru2', 'Lru3'];
    for (const type of types) rabbit.trackWorkerType(type);
    const names = rabbit.names;
    // A worker type's topology is a handful of keys: room for about one type.
    const perType = workerTopology(names, 'Lru1');
    const keysPerType = perType.exchanges.length + perType.queues.length + perType.bindings.length;
    const bus = newBus({ maxDeclared: keysPerType });
    for (const type of types) await bus.ensureTopology(workerTopology(names, type));
    expect(bus.declaredCount).toBeLessThanOrEqual(keysPerType);
    // Lru1 was forgotten: declaring it again reaches the broker (and is idempotent there).
    const queue = workerRequestName(names, 'Lru1');
    await rabbit.deleteQueue(queue);
    await bus.ensureTopology(workerTopology(names, 'Lru1'));
    expect(await rabbit.queueExists(queue)).toBe(true);
  });
});
