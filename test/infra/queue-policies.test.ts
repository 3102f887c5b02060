import { describe, expect, it } from 'vitest';
import { TopologySchema } from '../../functions/broker-topology/handler.js';
import { WORKER_QUEUE_MAX_PRIORITY, type Topology } from '../../shared/contract/topology.js';
import { logicalId, resourcesOf, synthEnvironment } from './synth.js';

// Issue 14 point 3: what can change is a policy the custom resource sets; only what cannot is a queue argument.

const dev = synthEnvironment('dev');

const topologyOf = (template: typeof dev.stateless): { id: string; topology: Topology } => {
  const [entry, ...others] = Object.entries(resourcesOf(template, 'Custom::BrokerTopology'));
  if (entry === undefined || others.length > 0) throw new Error('expected one Custom::BrokerTopology');
  return { id: entry[0], topology: TopologySchema.parse(JSON.parse(String(entry[1].Properties?.['Topology']))) };
};

describe('Point 3: queue settings that can change', () => {
  it("declares no changeable setting as a queue argument: only regards.DLQ's REGARDS argument stays", () => {
    const { topology } = topologyOf(dev.stateless);
    const { names } = dev.config.settings;
    for (const queue of topology.queues) {
      const expected = queue.name === names.deadLetterQueue ? { 'x-max-priority': WORKER_QUEUE_MAX_PRIORITY } : {};
      expect(queue.arguments, queue.name).toEqual(expected);
    }
    const byName = Object.fromEntries(topology.queues.map((queue) => [queue.name, queue]));
    expect(byName[names.requestQueue]?.policy).toEqual({
      'delivery-limit': dev.config.settings.deliveryLimit,
      'dead-letter-exchange': names.deadLetterExchange,
      'dead-letter-routing-key': `${names.requestQueue}.DLQ`,
    });
    expect(byName[names.heartbeatQueue]?.policy?.['message-ttl']).toBe(dev.config.settings.heartbeatExpirySeconds * 1000);
  });

  it('a new delivery limit or heartbeat expiry changes only the policy in the resource properties: the same resource is updated, not replaced', () => {
    const changed = synthEnvironment('dev', { settings: { deliveryLimit: 9, heartbeatExpirySeconds: 30 } });
    const before = topologyOf(dev.stateless);
    const after = topologyOf(changed.stateless);
    expect(after.id).toBe(before.id);
    expect(after.topology.queues.map((queue) => [queue.name, queue.type, queue.arguments])).toEqual(
      before.topology.queues.map((queue) => [queue.name, queue.type, queue.arguments]),
    );
    expect(after.topology.queues.find((queue) => queue.name === dev.config.settings.names.requestQueue)?.policy?.['delivery-limit']).toBe(9);
    expect(after.topology.queues.find((queue) => queue.name === dev.config.settings.names.heartbeatQueue)?.policy?.['message-ttl']).toBe(30_000);
  });

  it('gives the topology handler the broker secret, with which it reaches the management API on the endpoint host', () => {
    const id = logicalId(dev.stateless, 'AWS::Lambda::Function', 'BrokerTopologyHandlerFunction');
    const fn = resourcesOf(dev.stateless, 'AWS::Lambda::Function')[id]!.Properties!;
    const variables = (fn['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(['AMQP_ENDPOINT', 'AMQP_SECRET_ARN', 'AMQP_VHOST']));
    expect(variables).not.toHaveProperty('RABBITMQ_MANAGEMENT_URL');
  });
});
