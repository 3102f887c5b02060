import { afterAll, describe, expect, it } from 'vitest';
import { applyTopology, type TopologyWarning } from '../../../shared/amqp-kit/topology.js';
import { ManagerSettingsSchema, topologyOptions } from '../../../shared/contract/manager-settings.js';
import { managerTopology } from '../../../shared/contract/topology.js';
import { dedicatedDeadLetterQueue } from '../../../shared/contract/wire-names.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';

// Point 4 of issue 14: classic input queues, as the setting declares them, on a real broker.

const rabbit = createRabbitFixture('input-queue-type');
const provider = rabbit.provider();

afterAll(async () => {
  await rabbit.cleanup();
});

describe('inputQueueType: classic on RabbitMQ', () => {
  const names = rabbit.names;
  const settings = ManagerSettingsSchema.parse({ inputQueueType: 'classic', deliveryLimit: 3 });
  const topology = managerTopology(names, topologyOptions(settings));

  it('declares the input queues classic, with their dead-letter route and no delivery limit, without warnings', async () => {
    const warnings: TopologyWarning[] = [];
    await applyTopology(provider, topology, { onWarning: (warning) => warnings.push(warning) });
    expect(warnings).toEqual([]);
    // The broker accepts the same declaration as classic and refuses it as quorum: classic is what it holds.
    await rabbit.declareQueue(names.requestQueue, {
      durable: true,
      arguments: {
        'x-queue-type': 'classic',
        'x-dead-letter-exchange': names.deadLetterExchange,
        'x-dead-letter-routing-key': dedicatedDeadLetterQueue(names.requestQueue),
      },
    });
    await expect(rabbit.declareQueue(names.workerResponse, { durable: true, arguments: { 'x-queue-type': 'quorum' } })).rejects.toMatchObject({ code: 406 });
  });

  it('still dead-letters what a consumer rejects to <queue>.DLQ', async () => {
    await rabbit.sendToQueue(names.requestQueue, ['rejected']);
    const channel = await (await provider.get()).createChannel();
    try {
      const message = await channel.get(names.requestQueue, { noAck: false });
      expect(message).not.toBe(false);
      if (message !== false) channel.nack(message, false, false);
    } finally {
      await channel.close();
    }
    const [dead] = await rabbit.collect(dedicatedDeadLetterQueue(names.requestQueue), 1);
    expect(dead?.content.toString()).toBe('rejected');
  });
});
