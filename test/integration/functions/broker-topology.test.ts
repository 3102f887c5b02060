import { afterAll, describe, expect, it } from 'vitest';
import { handleTopologyEvent, handler } from '../../../functions/broker-topology/handler.js';
import { localBrokerAccess } from '../rabbitmq/broker-access.js';
import { DEFAULT_MANAGER_SETTINGS, topologyOptions } from '../../../shared/contract/manager-settings.js';
import { managerTopology } from '../../../shared/contract/topology.js';
import { dedicatedDeadLetterQueue } from '../../../shared/contract/wire-names.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';

// The custom resource handler against the machine's RabbitMQ, on names prefixed for this file.

const rabbit = createRabbitFixture('broker-topology');
const names = rabbit.names;

/** The topology as the stack computes it, from settings that differ only by their delivery limit. */
const topologyWith = (deliveryLimit: number) => managerTopology(names, topologyOptions({ ...DEFAULT_MANAGER_SETTINGS, names, deliveryLimit }));

/** What the Lambda handler connects with, on the fixture's broker and its management API. */
const access = localBrokerAccess(rabbit);

const createEvent = (deliveryLimit: number) => ({
  RequestType: 'Create',
  ResourceProperties: {
    ServiceToken: 'arn:aws:lambda:eu-west-3:123456789012:function:provider',
    Topology: JSON.stringify(topologyWith(deliveryLimit)),
    BrokerId: 'b-local',
    VirtualHost: '/',
  },
});

describe('broker-topology custom resource on RabbitMQ', () => {
  afterAll(async () => {
    await rabbit.cleanup();
  });

  it('Create declares every exchange, queue and binding of the manager topology, through the Lambda entry point', async () => {
    // Prepare
    const saved = { AMQP_URL: process.env['AMQP_URL'], LOG_LEVEL: process.env['LOG_LEVEL'] };
    Object.assign(process.env, { AMQP_URL: rabbit.url, LOG_LEVEL: 'warn' });
    // Act
    let result: Awaited<ReturnType<typeof handler>>;
    try {
      result = await handler(createEvent(5));
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    // Assess
    const topology = topologyWith(5);
    expect(result).toEqual({
      PhysicalResourceId: 'broker-topology:b-local:/',
      Data: { Exchanges: topology.exchanges.length, Queues: topology.queues.length, Bindings: topology.bindings.length, Warnings: 0 },
    });
    for (const queue of topology.queues) expect(await rabbit.queueExists(queue.name), queue.name).toBe(true);
    for (const exchange of topology.exchanges) expect(await rabbit.exchangeExists(exchange.name), exchange.name).toBe(true);
  });

  it('routes a client request to the request queue and a dead letter to its dedicated DLQ', async () => {
    await rabbit.publish(names.requestExchange, '', 'a request');
    await rabbit.publish(names.deadLetterExchange, dedicatedDeadLetterQueue(names.requestQueue), 'a dead letter');
    const [request] = await rabbit.collect(names.requestQueue, 1);
    const [deadLetter] = await rabbit.collect(dedicatedDeadLetterQueue(names.requestQueue), 1);
    expect(request?.content.toString()).toBe('a request');
    expect(deadLetter?.content.toString()).toBe('a dead letter');
  });

  it('declares the input queues as quorum queues (a classic redeclaration is refused)', async () => {
    const refused = await rabbit.declareQueue(names.requestQueue, { durable: true, arguments: { 'x-queue-type': 'classic' } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 406 });
  });

  it('Update with another delivery limit keeps the existing queues and their messages, with no conflict: the limit is a policy', async () => {
    // Prepare
    await rabbit.sendToQueue(names.heartbeatQueue, ['kept']);
    const logger = new CapturingLogger();
    // Act
    const result = await handleTopologyEvent(
      { ...createEvent(9), RequestType: 'Update', PhysicalResourceId: 'broker-topology:b-local:/' },
      { logger, connect: access },
    );
    // Assess
    expect(result.Data?.Warnings).toBe(0);
    expect(logger.entries.filter((entry) => entry.level === 'warn')).toEqual([]);
    expect((await rabbit.queueState(names.heartbeatQueue)).messageCount).toBe(1);
  });

  it('Delete removes nothing: the queues and the messages they hold stay', async () => {
    // Act
    const result = await handleTopologyEvent(
      { RequestType: 'Delete', PhysicalResourceId: 'broker-topology:b-local:/' },
      { logger: new CapturingLogger(), connect: access },
    );
    // Assess
    expect(result).toEqual({ PhysicalResourceId: 'broker-topology:b-local:/' });
    for (const queue of topologyWith(5).queues) expect(await rabbit.queueExists(queue.name), queue.name).toBe(true);
    expect((await rabbit.queueState(names.heartbeatQueue)).messageCount).toBe(1);
  });
});
