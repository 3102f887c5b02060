import { describe, expect, it } from 'vitest';
import { deadLetterQueues } from '../../infra/aws/stacks/stateless-stack.js';
import { resourcesOf, synthEnvironment } from './synth.js';

/*
 * Issue 16 point 1 in AWS: N shards give N event source mappings per sharded queue (one Lambda
 * poller each), the broker-topology resource declares the hash exchanges, and the alarms know
 * every shard's queue and dead-letter queue.
 */

const unsharded = synthEnvironment('dev');
const sharded = synthEnvironment('dev', { settings: { shards: 3 } });
const names = sharded.config.settings.names;

/** The queues of the mappings feeding one function, with the mapping's logical id. */
function mappingsOf(template: typeof sharded.stateless, functionConstruct: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const [id, mapping] of Object.entries(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'))) {
    const fn = mapping.Properties?.['FunctionName'] as { Ref?: string } | undefined;
    const [queue] = (mapping.Properties?.['Queues'] as string[] | undefined) ?? [];
    if (fn?.Ref?.startsWith(functionConstruct) === true && queue !== undefined) found.set(queue, id);
  }
  return found;
}

describe('sharded queues in the stateless stack', () => {
  it('makes one event source mapping per shard of the request and response queues', () => {
    for (const [construct, queue] of [
      ['RegisterRequests', names.requestQueue],
      ['HandleWorkerResponses', names.workerResponse],
    ] as const) {
      expect([...mappingsOf(sharded.stateless, construct).keys()].sort()).toEqual([queue, `${queue}.shard-1`, `${queue}.shard-2`].sort());
      // Shard 0 is the mapping an unsharded stack has, with the same logical id: raising the count adds mappings, replaces none.
      expect(mappingsOf(sharded.stateless, construct).get(queue)).toBe(mappingsOf(unsharded.stateless, construct).get(queue));
      expect(mappingsOf(unsharded.stateless, construct).size).toBe(1);
    }
    expect(mappingsOf(sharded.stateless, 'RecordHeartbeats').size).toBe(1);
    expect(Object.keys(resourcesOf(sharded.stateless, 'AWS::Lambda::EventSourceMapping'))).toHaveLength(
      Object.keys(resourcesOf(unsharded.stateless, 'AWS::Lambda::EventSourceMapping')).length + 4,
    );
  });

  it('keeps the mappings of retired shards while they drain', () => {
    const draining = synthEnvironment('dev', { settings: { shards: 1, drainedShards: 3 } });
    expect(mappingsOf(draining.stateless, 'RegisterRequests').size).toBe(3);
    expect(mappingsOf(draining.stateless, 'HandleWorkerResponses').size).toBe(3);
  });

  it('declares the consistent-hash exchanges on the request id through the broker-topology resource', () => {
    const [topology] = Object.values(resourcesOf(sharded.stateless, 'Custom::BrokerTopology'));
    const declared = JSON.parse(String(topology?.Properties?.['Topology'])) as {
      exchanges: { name: string; type: string; arguments?: Record<string, string> }[];
    };
    expect(declared.exchanges.filter((exchange) => exchange.type === 'x-consistent-hash')).toEqual([
      { name: `${names.requestQueue}.shards`, type: 'x-consistent-hash', arguments: { 'hash-header': 'regards.request.id' } },
      { name: `${names.workerResponse}.shards`, type: 'x-consistent-hash', arguments: { 'hash-header': 'regards.request.id' } },
    ]);
  });

  it("alarms on every shard's dead-letter queue", () => {
    const watched = deadLetterQueues(sharded.config.settings);
    for (const queue of [`${names.requestQueue}.shard-2.DLQ`, `${names.workerResponse}.shard-1.DLQ`, `${names.requestQueue}.DLQ`]) {
      expect(watched).toContain(queue);
      expect(JSON.stringify(sharded.stateless.toJSON())).toContain(queue);
    }
  });
});
