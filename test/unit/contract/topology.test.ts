import { describe, expect, it } from 'vitest';
import { ManagerSettingsSchema, eventSourceMappings, topologyOptions } from '../../../shared/contract/manager-settings.js';
import { managerTopology, policyAsArguments, workerTopology } from '../../../shared/contract/topology.js';
import { DEFAULT_WIRE_NAMES as names } from '../../../shared/contract/wire-names.js';

describe('broker topology', () => {
  const topology = managerTopology(names, { deliveryLimit: 7, heartbeatTtlMs: 30_000 });
  const queue = (name: string) => topology.queues.find((candidate) => candidate.name === name);

  it('makes every input queue a quorum queue whose poison messages stop after the delivery limit in <queue>.DLQ', () => {
    for (const name of [names.requestQueue, names.workerResponse, names.workerDeadLetter]) {
      expect(queue(name)).toEqual({
        name,
        type: 'quorum',
        // Only what cannot change is an argument; the rest is a policy (issue 14 point 3).
        arguments: {},
        policy: { 'delivery-limit': 7, 'dead-letter-exchange': 'regards.DLX', 'dead-letter-routing-key': `${name}.DLQ` },
      });
      expect(topology.bindings).toContainEqual({ exchange: 'regards.DLX', queue: `${name}.DLQ`, routingKey: `${name}.DLQ` });
    }
  });

  it('lets stale heartbeats expire and never dead-letters one', () => {
    expect(queue(names.heartbeatQueue)).toEqual({
      name: 'regards.worker.manager.heartbeat.shared',
      type: 'quorum',
      arguments: {},
      policy: { 'delivery-limit': 7, 'message-ttl': 30_000 },
    });
    expect(queue(`${names.heartbeatQueue}.DLQ`)).toBeUndefined();
  });

  it("declares regards.DLQ with REGARDS' own argument, as every REGARDS service declares it too", () => {
    expect(queue(names.deadLetterQueue)).toEqual({ name: 'regards.DLQ', type: 'classic', arguments: { 'x-max-priority': 255 } });
  });

  it('writes a policy as the equivalent queue arguments for a broker without the management API', () => {
    expect(policyAsArguments(queue(names.heartbeatQueue)?.policy)).toEqual({ 'x-delivery-limit': 7, 'x-message-ttl': 30_000 });
    expect(policyAsArguments(undefined)).toEqual({});
  });

  it('routes rejected work items from regards.DLX to the worker DLQ, which the reference leaves to workers', () => {
    expect(topology.bindings).toContainEqual({ exchange: 'regards.DLX', queue: names.workerDeadLetter, routingKey: names.workerDeadLetter });
  });

  it('binds the REGARDS exchanges to the queues the functions consume', () => {
    expect(topology.exchanges).toEqual(
      expect.arrayContaining([
        { name: names.requestExchange, type: 'fanout' },
        { name: names.responseExchange, type: 'fanout' },
        { name: 'regards.worker.manager.response', type: 'topic' },
        { name: 'regards.worker.manager.heartbeat', type: 'topic' },
      ]),
    );
    for (const mapping of eventSourceMappings(ManagerSettingsSchema.parse({}))) expect(queue(mapping.queue)).toBeDefined();
  });

  it('declares a worker queue as the reference does: classic, lower-cased, priority 255, dead-lettered to the worker DLQ', () => {
    expect(workerTopology(names, 'LTA-Worker')).toEqual({
      exchanges: [{ name: 'regards.worker.lta-worker.request', type: 'topic' }],
      queues: [
        {
          name: 'regards.worker.lta-worker.request',
          type: 'classic',
          arguments: { 'x-max-priority': 255, 'x-dead-letter-exchange': 'regards.DLX', 'x-dead-letter-routing-key': 'regards.worker.manager.request.dlq' },
        },
      ],
      bindings: [{ exchange: 'regards.worker.lta-worker.request', queue: 'regards.worker.lta-worker.request', routingKey: '#' }],
    });
  });

  it('takes its limits from the manager settings', () => {
    expect(topologyOptions(ManagerSettingsSchema.parse({ deliveryLimit: 9, heartbeatExpirySeconds: 20 }))).toEqual({
      deliveryLimit: 9,
      heartbeatTtlMs: 20_000,
      inputQueueType: 'quorum',
      shards: 1,
    });
  });
});
