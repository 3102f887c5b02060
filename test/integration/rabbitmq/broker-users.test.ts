import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleTopologyEvent } from '../../../functions/broker-topology/handler.js';
import { apiPath, ManagementClient, managementAccessOf } from '../../../shared/amqp-kit/management.js';
import { applyTopology } from '../../../shared/amqp-kit/topology.js';
import { DEFAULT_MANAGER_SETTINGS, topologyOptions } from '../../../shared/contract/manager-settings.js';
import { brokerPermissions, managerTopology, workerTopology, type BrokerRole } from '../../../shared/contract/topology.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import type { BrokerCredentials } from '../../../shared/lambda/broker-url.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { localBrokerAccess } from './broker-access.js';

// Issue 14 point 5: the users the topology step keeps, and what their permissions let each do on the real broker.

const rabbit = createRabbitFixture('broker-users');
const names = rabbit.names;
const management = new ManagementClient(managementAccessOf(rabbit.url));
const ROLES: BrokerRole[] = ['manager', 'clients', 'workers'];
const credentials = Object.fromEntries(
  ROLES.map((role): [BrokerRole, BrokerCredentials] => [role, { username: `${rabbit.prefix}.${role}`, password: randomBytes(12).toString('hex') }]),
) as Record<BrokerRole, BrokerCredentials>;
const secretArn = (role: BrokerRole) => `arn:aws:secretsmanager:eu-west-3:123456789012:secret:${role}`;
const workerQueue = workerRequestName(names, 'extract');
rabbit.trackWorkerType('extract');
/** A client's own response queue, named as REGARDS' framework names a subscriber's queue. */
const clientQueue = `regards.broadcast.${rabbit.prefix}.ResponseHandler`;
const connections: ChannelModel[] = [];

async function connectAs(role: BrokerRole): Promise<ChannelModel> {
  const { username, password } = credentials[role];
  const url = new URL(rabbit.url);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(password);
  const model = await amqp.connect(url.toString());
  model.on('error', () => undefined);
  connections.push(model);
  return model;
}

/** Runs one AMQP operation on a fresh channel; the reply code when the broker refuses it, else 'ok'. */
async function attempt(model: ChannelModel, work: (channel: Channel) => Promise<unknown>): Promise<number | 'ok'> {
  const channel = await model.createConfirmChannel();
  // A refused publish is reported as the channel's closing error, not on the publish.
  let closedWith: number | undefined;
  channel.on('error', (error: { code?: unknown }) => {
    if (typeof error.code === 'number') closedWith = error.code;
  });
  try {
    await work(channel);
    await channel.waitForConfirms();
    // A refused publish closes the channel asynchronously: a round trip shows it.
    await channel.checkExchange('amq.direct');
    return 'ok';
  } catch (error) {
    if (closedWith !== undefined) return closedWith;
    return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number' ? error.code : -1;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

const ACCESS_REFUSED = 403;

beforeAll(async () => {
  const users = ROLES.map((role) => {
    const permissions = brokerPermissions(names)[role];
    return { Role: role, SecretArn: secretArn(role), Configure: permissions.configure, Write: permissions.write, Read: permissions.read };
  });
  await handleTopologyEvent(
    {
      RequestType: 'Create',
      ResourceProperties: {
        Topology: JSON.stringify(managerTopology(names, topologyOptions({ ...DEFAULT_MANAGER_SETTINGS, names }))),
        Users: users,
        BrokerId: 'b-local',
        VirtualHost: '/',
      },
    },
    { logger: new CapturingLogger(), connect: localBrokerAccess(rabbit, Object.fromEntries(ROLES.map((role) => [secretArn(role), credentials[role]]))) },
  );
  // The manager declares a worker type's queue at its first dispatch, as its own user.
  await applyTopology(await connectAs('manager'), workerTopology(names, 'extract'), { onConflict: 'fail' });
});

afterAll(async () => {
  for (const model of connections) await model.close().catch(() => undefined);
  await rabbit.deleteQueue(clientQueue).catch(() => undefined);
  for (const role of ROLES) await management.delete(apiPath('users', credentials[role].username));
  await rabbit.cleanup();
});

describe('broker users kept by the topology step', () => {
  it('creates the three users with their permissions on the vhost and no management tag', async () => {
    for (const role of ROLES) {
      const user = (await management.get(apiPath('users', credentials[role].username))) as { tags: unknown };
      expect(user.tags, role).toEqual([]);
      const permissions = (await management.get(apiPath('permissions', '/', credentials[role].username))) as Record<string, unknown>;
      expect(permissions, role).toMatchObject(brokerPermissions(names)[role]);
    }
    const asClient = new ManagementClient({ url: managementAccessOf(rabbit.url).url, credentials: credentials.clients });
    expect(await asClient.answers()).toBe(false);
  });

  it('a client publishes requests and reads responses through a queue of its own, and nothing else', async () => {
    const client = await connectAs('clients');
    expect(await attempt(client, async (channel) => channel.publish(names.requestExchange, '', Buffer.from('{}')))).toBe('ok');
    expect(
      await attempt(client, async (channel) => {
        await channel.assertExchange(names.responseExchange, 'fanout', { durable: true });
        await channel.assertQueue(clientQueue, { durable: true, arguments: { 'x-max-priority': 255 } });
        await channel.bindQueue(clientQueue, names.responseExchange, '');
        await channel.consume(clientQueue, () => undefined);
      }),
    ).toBe('ok');
    // Refused: a worker's queue, the manager's queues, forged responses, a copy of other clients' requests.
    expect(await attempt(client, (channel) => channel.consume(workerQueue, () => undefined))).toBe(ACCESS_REFUSED);
    expect(await attempt(client, (channel) => channel.consume(names.requestQueue, () => undefined))).toBe(ACCESS_REFUSED);
    expect(await attempt(client, (channel) => channel.consume(names.workerResponse, () => undefined))).toBe(ACCESS_REFUSED);
    expect(await attempt(client, async (channel) => channel.publish(names.responseExchange, '', Buffer.from('{}')))).toBe(ACCESS_REFUSED);
    expect(await attempt(client, (channel) => channel.bindQueue(clientQueue, names.requestExchange, ''))).toBe(ACCESS_REFUSED);
    expect(await attempt(client, (channel) => channel.deleteQueue(names.requestQueue))).toBe(ACCESS_REFUSED);
    expect(await attempt(client, (channel) => channel.deleteQueue(`${names.requestQueue}.DLQ`))).toBe(ACCESS_REFUSED);
  });

  it('a worker consumes its work, answers and beats, and nothing else', async () => {
    const worker = await connectAs('workers');
    expect(await attempt(worker, (channel) => channel.consume(workerQueue, () => undefined))).toBe('ok');
    expect(await attempt(worker, async (channel) => channel.publish(names.workerResponse, 'any', Buffer.from('{}')))).toBe('ok');
    expect(await attempt(worker, async (channel) => channel.publish(names.heartbeatExchange, 'any', Buffer.from('{}')))).toBe('ok');
    expect(await attempt(worker, (channel) => channel.consume(names.requestQueue, () => undefined))).toBe(ACCESS_REFUSED);
    expect(await attempt(worker, (channel) => channel.consume(names.heartbeatQueue, () => undefined))).toBe(ACCESS_REFUSED);
    expect(await attempt(worker, (channel) => channel.consume(names.workerDeadLetter, () => undefined))).toBe(ACCESS_REFUSED);
    expect(await attempt(worker, async (channel) => channel.publish(names.responseExchange, '', Buffer.from('{}')))).toBe(ACCESS_REFUSED);
    expect(await attempt(worker, async (channel) => channel.publish(names.requestExchange, '', Buffer.from('{}')))).toBe(ACCESS_REFUSED);
  });

  it('the manager consumes its input queues and redrives through the default exchange, but touches nothing outside its names', async () => {
    const manager = await connectAs('manager');
    for (const queue of [names.requestQueue, names.workerResponse, names.heartbeatQueue, names.workerDeadLetter]) {
      expect(await attempt(manager, (channel) => channel.consume(queue, () => undefined)), queue).toBe('ok');
    }
    expect(await attempt(manager, async (channel) => channel.publish('', `${names.requestQueue}.DLQ`, Buffer.from('{}')))).toBe('ok');
    expect(await attempt(manager, async (channel) => channel.publish(names.responseExchange, '', Buffer.from('{}')))).toBe('ok');
    expect(await attempt(manager, (channel) => channel.consume(clientQueue, () => undefined))).toBe(ACCESS_REFUSED);
    expect(await attempt(manager, (channel) => channel.assertQueue(`${rabbit.prefix}.elsewhere`, { durable: false }))).toBe(ACCESS_REFUSED);
  });
});
