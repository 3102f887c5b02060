import { afterAll, describe, expect, it } from 'vitest';
import { applyTopology, TopologyError, type TopologyWarning } from '../../../shared/amqp-kit/topology.js';
import { managerTopology, workerTopology, type Topology } from '../../../shared/contract/topology.js';
import { dedicatedDeadLetterQueue, workerRequestName } from '../../../shared/contract/wire-names.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { CapturingLogger } from '../../support/capturing-logger.js';

const rabbit = createRabbitFixture('apply-topology');
const provider = rabbit.provider();

afterAll(async () => {
  await rabbit.cleanup();
});

describe('applyTopology', () => {
  const names = rabbit.names;
  const topology = managerTopology(names, { deliveryLimit: 3 });

  it("declares a worker queue with exactly REGARDS' arguments: a REGARDS worker declaring it after us, or before us, gets no error", async () => {
    // As REGARDS' AMQP framework declares it: durable, priority 255, its dead-letter exchange and routing key.
    const regardsDeclare = (queue: string) =>
      rabbit.declareQueue(queue, {
        durable: true,
        maxPriority: 255,
        deadLetterExchange: names.deadLetterExchange,
        deadLetterRoutingKey: names.workerDeadLetter,
      });
    const warnings: TopologyWarning[] = [];
    await applyTopology(provider, workerTopology(names, 'RegardsAfter'), { onWarning: (w) => warnings.push(w) });
    await expect(regardsDeclare(workerRequestName(names, 'RegardsAfter'))).resolves.toBeUndefined();

    await regardsDeclare(workerRequestName(names, 'RegardsBefore'));
    await applyTopology(provider, workerTopology(names, 'RegardsBefore'), { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
  });

  it('declares every exchange, queue and binding of the manager topology', async () => {
    const warnings: TopologyWarning[] = [];
    const report = await applyTopology(provider, topology, { onWarning: (w) => warnings.push(w) });

    expect(report).toMatchObject({
      exchanges: topology.exchanges.length,
      queues: topology.queues.length,
      bindings: topology.bindings.length,
      warnings: [],
    });
    expect(warnings).toEqual([]);
    for (const exchange of topology.exchanges) expect(await rabbit.exchangeExists(exchange.name)).toBe(true);
    for (const queue of topology.queues) expect(await rabbit.queueExists(queue.name)).toBe(true);

    // Each binding routes: a message published through it lands in its queue.
    for (const [i, binding] of topology.bindings.entries()) {
      const routingKey = binding.routingKey === '#' ? `any.key.${i}` : binding.routingKey;
      await rabbit.publish(binding.exchange, routingKey, `via binding ${i}`);
      const [message] = await rabbit.collect(binding.queue, 1);
      expect(message?.content.toString()).toBe(`via binding ${i}`);
    }
  });

  it('declares input queues as quorum queues with their arguments (a classic redeclare is refused)', async () => {
    await applyTopology(provider, topology);

    await expect(rabbit.declareQueue(names.requestQueue, { durable: true, arguments: { 'x-queue-type': 'classic' } })).rejects.toMatchObject({ code: 406 });
    // Same type and arguments are accepted, so those are the ones on the broker.
    await rabbit.declareQueue(names.requestQueue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': 3,
        'x-dead-letter-exchange': names.deadLetterExchange,
        'x-dead-letter-routing-key': dedicatedDeadLetterQueue(names.requestQueue),
      },
    });
  });

  it('is idempotent: applying twice warns about nothing and keeps queued messages', async () => {
    await applyTopology(provider, topology);
    await rabbit.publish(names.requestExchange, '', 'kept');

    const report = await applyTopology(await provider.get(), topology);

    expect(report.warnings).toEqual([]);
    expect((await rabbit.queueState(names.requestQueue)).messageCount).toBe(1);
    expect(await rabbit.purgeQueue(names.requestQueue)).toBe(1);
  });

  it('keeps a queue and an exchange that already exist with other settings, warns, and declares the rest', async () => {
    const legacy = rabbit.wireNames('legacy');
    const legacyTopology = managerTopology(legacy);
    // As an older deployment might have them: a classic request queue, a direct request exchange.
    await rabbit.declareQueue(legacy.requestQueue, { durable: true });
    await rabbit.declareExchange(legacy.requestExchange, 'direct');
    const warnings: TopologyWarning[] = [];
    const logger = new CapturingLogger();

    const report = await applyTopology(provider, legacyTopology, {
      onWarning: (w) => warnings.push(w),
      logger,
    });

    expect(warnings.map((w) => [w.kind, w.name])).toEqual([
      ['exchange', legacy.requestExchange],
      ['queue', legacy.requestQueue],
    ]);
    expect(report.warnings).toEqual(warnings);
    expect(logger.warnings).toEqual(warnings.map((w) => w.message));
    expect(warnings[1]?.cause).toMatchObject({ code: 406 });
    for (const queue of legacyTopology.queues) expect(await rabbit.queueExists(queue.name)).toBe(true);
    // The binding onto the kept entities was made.
    await rabbit.publish(legacy.requestExchange, '', 'legacy request');
    const [message] = await rabbit.collect(legacy.requestQueue, 1);
    expect(message?.content.toString()).toBe('legacy request');
  });

  it('declares a worker topology: classic queue dead-lettered to the worker DLQ, bound with the worker routing key', async () => {
    await applyTopology(provider, topology);
    rabbit.trackWorkerType('Converter');
    const worker = workerTopology(names, 'Converter');
    const queue = workerRequestName(names, 'Converter');

    await applyTopology(provider, worker);

    await rabbit.publish(queue, 'whatever', 'work item');
    const [message] = await rabbit.collect(queue, 1);
    expect(message?.content.toString()).toBe('work item');
    await expect(rabbit.declareQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } })).rejects.toMatchObject({ code: 406 });
  });

  it('fails with TopologyError on anything else than a conflict, e.g. a binding to a missing exchange', async () => {
    const queue = rabbit.name('orphan');
    const broken: Topology = {
      exchanges: [],
      queues: [{ name: queue, type: 'classic', arguments: {} }],
      bindings: [{ exchange: rabbit.name('missing-exchange'), queue, routingKey: '#' }],
    };

    const error: unknown = await applyTopology(provider, broken).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TopologyError);
    expect((error as TopologyError).cause).toMatchObject({ code: 404 });
  });
});
