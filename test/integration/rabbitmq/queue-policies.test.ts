import type { Channel } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { handleTopologyEvent } from '../../../functions/broker-topology/handler.js';
import { apiPath, availableQueuePolicies, ManagementClient, managementAccessOf, queuePolicies, queuePolicyName } from '../../../shared/amqp-kit/management.js';
import { applyTopology, type TopologyWarning } from '../../../shared/amqp-kit/topology.js';
import { DEFAULT_MANAGER_SETTINGS, topologyOptions } from '../../../shared/contract/manager-settings.js';
import { managerTopology, workerTopology, WORKER_QUEUE_MAX_PRIORITY } from '../../../shared/contract/topology.js';
import { dedicatedDeadLetterQueue, workerRequestName } from '../../../shared/contract/wire-names.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { localBrokerAccess } from './broker-access.js';

// Issue 14 point 3: what may change is a policy, what may not is refused loudly at deploy; and
// issue 15 point 1: every queue a REGARDS client or worker declares too accepts their declaration.

const rabbit = createRabbitFixture('queue-policies');
const management = new ManagementClient(managementAccessOf(rabbit.url));
const policies = queuePolicies(management, '/');
const access = localBrokerAccess(rabbit);

afterAll(async () => {
  await rabbit.cleanup();
});

const topologyOf = (names: typeof rabbit.names, deliveryLimit: number, heartbeatExpirySeconds = 60) =>
  managerTopology(names, topologyOptions({ ...DEFAULT_MANAGER_SETTINGS, names, deliveryLimit, heartbeatExpirySeconds }));

const event = (names: typeof rabbit.names, deliveryLimit: number) => ({
  RequestType: 'Create',
  ResourceProperties: { Topology: JSON.stringify(topologyOf(names, deliveryLimit)), BrokerId: 'b-local', VirtualHost: '/' },
});

/** The settings RabbitMQ applies to a queue now, as its management API reports them. */
async function effective(queue: string): Promise<{ policy: unknown; definition: Record<string, unknown>; arguments: Record<string, unknown> }> {
  const info = (await management.get(apiPath('queues', '/', queue))) as {
    policy?: unknown;
    effective_policy_definition?: Record<string, unknown>;
    arguments?: Record<string, unknown>;
  };
  return { policy: info.policy, definition: info.effective_policy_definition ?? {}, arguments: info.arguments ?? {} };
}

/** The management API refreshes queue details every few seconds (its statistics interval): wait for what we expect. */
async function settled(queue: string, ready: (state: Awaited<ReturnType<typeof effective>>) => boolean): Promise<Awaited<ReturnType<typeof effective>>> {
  let state = await effective(queue);
  for (let attempt = 0; attempt < 60 && !ready(state); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    state = await effective(queue);
  }
  return state;
}

async function withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
  const channel = await (await rabbit.provider().get()).createChannel();
  channel.on('error', () => undefined);
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Takes one message and gives it back (requeue), as a failing batch does. */
async function returnOnce(queue: string): Promise<void> {
  await withChannel(async (channel) => {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const message = await channel.get(queue, { noAck: false });
      if (message !== false) {
        channel.nack(message, false, true);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no message in ${queue}`);
  });
}

describe('queue settings as policies', () => {
  const names = rabbit.names;

  it('declares the input queues with only their type as argument, the rest in a policy of their own', async () => {
    await handleTopologyEvent(event(names, 5), { logger: new CapturingLogger(), connect: access });
    const requests = await settled(names.requestQueue, (state) => state.policy !== undefined);
    expect(requests.arguments).toEqual({ 'x-queue-type': 'quorum' });
    expect(requests.policy).toBe(queuePolicyName(names.requestQueue));
    expect(requests.definition).toEqual({
      'delivery-limit': 5,
      'dead-letter-exchange': names.deadLetterExchange,
      'dead-letter-routing-key': dedicatedDeadLetterQueue(names.requestQueue),
    });
    expect((await settled(names.heartbeatQueue, (state) => state.policy !== undefined)).definition).toEqual({ 'delivery-limit': 5, 'message-ttl': 60_000 });
  });

  it('a changed delivery limit and TTL apply to the existing queues, and the broker acts on the new limit', async () => {
    // Prepare: a message already waiting in the request queue
    await rabbit.sendToQueue(names.requestQueue, ['waiting']);
    // Act: the same deploy with delivery limit 1 and heartbeats expiring after 30 s
    const result = await handleTopologyEvent(
      { ...event(names, 1), ResourceProperties: { ...event(names, 1).ResourceProperties, Topology: JSON.stringify(topologyOf(names, 1, 30)) } },
      { logger: new CapturingLogger(), connect: access },
    );
    // Assess: no conflict, the new values are in force...
    expect(result.Data?.Warnings).toBe(0);
    expect((await settled(names.requestQueue, (state) => state.definition['delivery-limit'] === 1)).definition['delivery-limit']).toBe(1);
    expect((await settled(names.heartbeatQueue, (state) => state.definition['message-ttl'] === 30_000)).definition['message-ttl']).toBe(30_000);
    // ...and enforced: delivered twice (limit 1 allows one redelivery), the message is dead-lettered
    await returnOnce(names.requestQueue);
    await returnOnce(names.requestQueue);
    const [dead] = await rabbit.collect(dedicatedDeadLetterQueue(names.requestQueue), 1);
    expect(dead?.content.toString()).toBe('waiting');
  });

  it('fails the custom resource with the broker reason when a declaration is refused (an input queue of another type)', async () => {
    // Prepare: someone declared the request queue classic before the first deploy
    const other = rabbit.wireNames('refused');
    await rabbit.declareQueue(other.requestQueue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    // Act
    const failure = await handleTopologyEvent(event(other, 5), { logger: new CapturingLogger(), connect: access }).then(
      () => undefined,
      (error: unknown) => error,
    );
    // Assess
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain(`queue "${other.requestQueue}"`);
    expect((failure as Error).message).toMatch(/PRECONDITION_FAILED.*x-queue-type/);
  });

  it('without a management API the local host warns once, naming the setting, and a fresh queue gets the settings as arguments', async () => {
    // Prepare: a management URL where nothing answers
    const logger = new CapturingLogger();
    const target = await availableQueuePolicies(rabbit.url, logger, 'http://127.0.0.1:9');
    expect(target).toBeUndefined();
    expect(logger.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.message)).toEqual([
      expect.stringMatching(/management API not answering at http:\/\/127\.0\.0\.1:9.*delivery limit.*rabbitmq_management/),
    ]);
    // Act
    const other = rabbit.wireNames('fallback');
    const warnings: TopologyWarning[] = [];
    await applyTopology(rabbit.provider(), topologyOf(other, 4), { onWarning: (warning) => warnings.push(warning) });
    expect(warnings).toEqual([]);
    const requests = await effective(other.requestQueue);
    expect(requests.policy).toBeUndefined();
    expect(requests.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-delivery-limit': 4,
      'x-dead-letter-exchange': other.deadLetterExchange,
      'x-dead-letter-routing-key': dedicatedDeadLetterQueue(other.requestQueue),
    });
  });
});

it('the local host finds the management API next to the broker and sets policies through it', async () => {
  expect(await availableQueuePolicies(rabbit.url, new CapturingLogger())).toBeDefined();
});

describe('REGARDS clients and workers declaring after the manager', () => {
  const names = rabbit.wireNames('regards');
  rabbit.trackWorkerType('ingest');

  /*
   * What REGARDS' AMQP framework declares (research note, section 3.1 and 3.2): every exchange
   * durable, not auto-deleted, of its flow's type; every queue durable with x-max-priority 255, a
   * worker request queue also with its dead-letter route (AbstractPublisher#broadcast); regards.DLX
   * (topic) and regards.DLQ at the start of every REGARDS service.
   */
  it('accepts each of their declarations without an error', async () => {
    // Prepare: the manager's topology and a worker type's, as deployed
    await handleTopologyEvent(event(names, 5), { logger: new CapturingLogger(), connect: access });
    await applyTopology(rabbit.provider(), workerTopology(names, 'ingest'), { onConflict: 'fail', policies });
    const workerQueue = workerRequestName(names, 'ingest');
    const exchanges: [string, string][] = [
      [names.requestExchange, 'fanout'], // a client publishing requests
      [names.responseExchange, 'fanout'], // a client subscribing to responses
      [names.workerResponse, 'topic'], // a worker answering
      [names.heartbeatExchange, 'topic'], // a worker's heartbeats
      [names.deadLetterExchange, 'topic'], // every REGARDS service
      [workerQueue, 'topic'], // a worker's request exchange
    ];
    const queues: [string, Record<string, unknown>][] = [
      [names.deadLetterQueue, { 'x-max-priority': WORKER_QUEUE_MAX_PRIORITY }],
      [
        workerQueue,
        {
          'x-max-priority': WORKER_QUEUE_MAX_PRIORITY,
          'x-dead-letter-exchange': names.deadLetterExchange,
          'x-dead-letter-routing-key': names.workerDeadLetter,
        },
      ],
    ];
    // Act: each on a channel of its own, as a 406 closes the channel
    const refused: string[] = [];
    for (const [name, type] of exchanges) {
      await withChannel((channel) => channel.assertExchange(name, type, { durable: true, autoDelete: false })).catch((error: unknown) =>
        refused.push(`exchange ${name}: ${String(error)}`),
      );
    }
    for (const [name, args] of queues) {
      await withChannel((channel) => channel.assertQueue(name, { durable: true, exclusive: false, autoDelete: false, arguments: args })).catch(
        (error: unknown) => refused.push(`queue ${name}: ${String(error)}`),
      );
    }
    // Assess
    expect(refused).toEqual([]);
  });
});
