import { describe, expect, it } from 'vitest';
import { ManagerSettingsSchema, eventSourceMappings, topologyOptions } from '../../../shared/contract/manager-settings.js';
import { brokerPermissions, deadLetterRouteOf, managerTopology, MAX_QUEUE_SHARDS } from '../../../shared/contract/topology.js';
import { DEFAULT_WIRE_NAMES as names } from '../../../shared/contract/wire-names.js';
import { managerDeadLetterQueues } from '../../../shared/application/use-cases/dead-letters.js';

const settings = (input: Record<string, unknown>) => ManagerSettingsSchema.parse(input);
const topologyOf = (input: Record<string, unknown>) => managerTopology(names, topologyOptions(settings(input)));
const request = names.requestQueue;
const response = names.workerResponse;

describe('shard settings', () => {
  it('default to one shard: the unsharded queues', () => {
    expect(settings({}).shards).toBe(1);
    expect(topologyOptions(settings({})).shards).toBe(1);
  });

  it.each([
    [{ shards: 0 }, 'shards must be at least 1'],
    [{ shards: -2 }, 'shards must be at least 1'],
    [{ shards: 1.5 }, 'shards must be a whole number'],
    [{ shards: 17 }, `shards must be at most ${MAX_QUEUE_SHARDS}: each shard is one more poller`],
    [{ shards: 2, drainedShards: 0 }, 'drainedShards must be at least 1'],
    [{ drainedShards: 40 }, 'the store, not the queues, bounds the intake'],
  ])('refuse %j with a clear message', (input, message) => {
    const parsed = ManagerSettingsSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.message).join('\n')).toContain(message);
  });
});

describe('event source mappings of sharded queues', () => {
  const queuesOf = (input: Record<string, unknown>, fn: string) =>
    eventSourceMappings(settings(input))
      .filter((mapping) => mapping.functionName === fn)
      .map((mapping) => mapping.queue);

  it('give one mapping per shard of the request and response queues, shard 0 keeping the queue name', () => {
    expect(queuesOf({ shards: 3 }, 'register-requests')).toEqual([request, `${request}.shard-1`, `${request}.shard-2`]);
    expect(queuesOf({ shards: 3 }, 'handle-worker-responses')).toEqual([response, `${response}.shard-1`, `${response}.shard-2`]);
    expect(queuesOf({ shards: 3 }, 'record-heartbeats')).toEqual([names.heartbeatQueue]);
    expect(queuesOf({ shards: 3 }, 'handle-worker-dead-letters')).toEqual([names.workerDeadLetter]);
    expect(queuesOf({}, 'register-requests')).toEqual([request]);
  });

  it('keep consuming the retired shards while they drain', () => {
    expect(queuesOf({ shards: 1, drainedShards: 4 }, 'register-requests')).toHaveLength(4);
    expect(queuesOf({ shards: 4, drainedShards: 2 }, 'handle-worker-responses')).toHaveLength(4);
  });
});

describe('sharded topology', () => {
  it('is the unsharded topology with one shard, and lists the hash route of another count as obsolete', () => {
    const topology = topologyOf({});
    expect(topology.exchanges.filter((exchange) => exchange.type === 'x-consistent-hash')).toEqual([]);
    expect(topology.bindings).toContainEqual({ exchange: names.requestExchange, queue: request, routingKey: '' });
    expect(topology.bindings).toContainEqual({ exchange: response, queue: response, routingKey: '#' });
    expect(topology.exchangeBindings).toEqual([]);
    expect(topology.obsolete?.exchangeBindings).toEqual([
      { source: names.requestExchange, destination: `${request}.shards`, routingKey: '' },
      { source: response, destination: `${response}.shards`, routingKey: '#' },
    ]);
    expect(topology.queues.some((queue) => queue.name.includes('.shard-'))).toBe(false);
  });

  it('puts a consistent-hash exchange on the request id behind each REGARDS exchange, each shard weighing 1', () => {
    const topology = topologyOf({ shards: 3 });
    for (const [exchange, queue, routingKey] of [
      [names.requestExchange, request, ''],
      [response, response, '#'],
    ] as const) {
      expect(topology.exchanges).toContainEqual({ name: `${queue}.shards`, type: 'x-consistent-hash', arguments: { 'hash-header': 'regards.request.id' } });
      expect(topology.exchangeBindings).toContainEqual({ source: exchange, destination: `${queue}.shards`, routingKey });
      const shards = topology.bindings.filter((binding) => binding.exchange === `${queue}.shards`);
      expect(shards).toEqual([queue, `${queue}.shard-1`, `${queue}.shard-2`].map((name) => ({ exchange: `${queue}.shards`, queue: name, routingKey: '1' })));
      // The REGARDS exchange no longer feeds shard 0 directly: a message takes one route only.
      expect(topology.bindings).not.toContainEqual({ exchange, queue, routingKey });
      expect(topology.obsolete?.bindings).toContainEqual({ exchange, queue, routingKey });
      // Shards past the count are unbound from the hash exchange (a lowered count).
      expect(topology.obsolete?.bindings).toContainEqual({ exchange: `${queue}.shards`, queue: `${queue}.shard-3`, routingKey: '1' });
      expect(topology.obsolete?.bindings).not.toContainEqual({ exchange: `${queue}.shards`, queue: `${queue}.shard-2`, routingKey: '1' });
    }
  });

  it('gives each shard queue its own policy and dead-letter queue', () => {
    const topology = topologyOf({ shards: 2, deliveryLimit: 4 });
    const shard = topology.queues.find((queue) => queue.name === `${request}.shard-1`);
    expect(shard).toEqual({
      name: `${request}.shard-1`,
      type: 'quorum',
      arguments: {},
      policy: { 'delivery-limit': 4, 'dead-letter-exchange': 'regards.DLX', 'dead-letter-routing-key': `${request}.shard-1.DLQ` },
    });
    expect(topology.queues.map((queue) => queue.name)).toContain(`${response}.shard-1.DLQ`);
    expect(topology.bindings).toContainEqual({ exchange: 'regards.DLX', queue: `${request}.shard-1.DLQ`, routingKey: `${request}.shard-1.DLQ` });
    expect(deadLetterRouteOf(names, `${response}.shard-1`)).toEqual({ exchange: 'regards.DLX', routingKey: `${response}.shard-1.DLQ` });
    expect(managerDeadLetterQueues(names, { shards: 2 })).toContainEqual({ queue: `${request}.shard-1.DLQ`, source: `${request}.shard-1` });
    expect(managerDeadLetterQueues(names)).not.toContainEqual({ queue: `${request}.shard-1.DLQ`, source: `${request}.shard-1` });
  });

  it('declares the retired shards while they drain, but feeds only the current ones', () => {
    const topology = topologyOf({ shards: 2, drainedShards: 4 });
    expect(topology.queues.map((queue) => queue.name)).toContain(`${request}.shard-3`);
    expect(topology.bindings.filter((binding) => binding.exchange === `${request}.shards`).map((binding) => binding.queue)).toEqual([
      request,
      `${request}.shard-1`,
    ]);
    expect(topology.obsolete?.bindings).toContainEqual({ exchange: `${request}.shards`, queue: `${request}.shard-3`, routingKey: '1' });
  });

  it('gives the manager every shard there can be and keeps clients away from them', () => {
    const permissions = brokerPermissions(names);
    const matches = (pattern: string, name: string) => new RegExp(pattern).test(name);
    for (const name of [`${request}.shard-15`, `${request}.shards`, `${request}.shard-7.DLQ`]) {
      expect(matches(permissions.manager.configure, name)).toBe(true);
      expect(matches(permissions.clients.configure, name)).toBe(false);
      expect(matches(permissions.clients.read, name)).toBe(false);
      expect(matches(permissions.clients.write, name)).toBe(false);
    }
    // A client's own queue under the same prefix still passes.
    expect(matches(permissions.clients.configure, 'regards.broadcast.rs-other.Handler')).toBe(true);
  });
});
