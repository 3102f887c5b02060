import { afterAll, describe, expect, it } from 'vitest';
import { applyTopology } from '../../../shared/amqp-kit/topology.js';
import { Header } from '../../../shared/contract/headers.js';
import { ManagerSettingsSchema, topologyOptions } from '../../../shared/contract/manager-settings.js';
import { managerTopology, shardQueues } from '../../../shared/contract/topology.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';

/*
 * The sharded topology on the real broker (rabbitmq_consistent_hash_exchange enabled, as .ci/run
 * does): what clients and workers publish to the REGARDS exchanges spreads over the shard queues by
 * request id, and a change of the shard count leaves every message in exactly one queue.
 */

const rabbit = createRabbitFixture('sharded-queues');
const provider = rabbit.provider();
const names = rabbit.names;

afterAll(async () => {
  await rabbit.cleanup();
});

const apply = (shards: Record<string, number>) =>
  applyTopology(provider, managerTopology(names, topologyOptions(ManagerSettingsSchema.parse({ names, ...shards }))), { onConflict: 'fail' });

/**
 * Every message of the given queues, by queue, taken (and acked) until `expected` arrived, then
 * once more after a pause so that a duplicate would show.
 */
async function drain(queues: readonly string[], expected: number): Promise<Map<string, string[]>> {
  const channel = await (await provider.get()).createChannel();
  const found = new Map<string, string[]>(queues.map((queue) => [queue, []]));
  const sweep = async () => {
    for (const queue of queues) {
      for (let message = await channel.get(queue, { noAck: true }); message !== false; message = await channel.get(queue, { noAck: true })) {
        found.get(queue)?.push(message.content.toString());
      }
    }
  };
  const total = () => [...found.values()].reduce((sum, bodies) => sum + bodies.length, 0);
  try {
    const deadline = Date.now() + 10_000;
    while (total() < expected && Date.now() < deadline) {
      await sweep();
      if (total() < expected) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sweep();
  } finally {
    await channel.close();
  }
  return found;
}

/** `perRequest` messages for each of `requests` request ids, `<id>#<n>` in order. */
async function publishRequests(prefix: string, requests: number, perRequest: number, publish: (id: string, body: string) => Promise<void>) {
  const bodies: string[] = [];
  for (let n = 0; n < perRequest; n += 1) {
    for (let r = 0; r < requests; r += 1) {
      const body = `${prefix}-${r}#${n}`;
      bodies.push(body);
      await publish(`${prefix}-${r}`, body);
    }
  }
  return bodies;
}

const toRequestExchange = (id: string, body: string) => rabbit.publish(names.requestExchange, '', body, { headers: { [Header.requestId]: id } });
const toWorkerResponses = (id: string, body: string) => rabbit.publish(names.workerResponse, 'worker.answer', body, { headers: { [Header.requestId]: id } });

describe('sharded input queues on RabbitMQ', () => {
  it('spread requests over the shards, every message of one request id in one shard and in order', async () => {
    await apply({ shards: 4 });
    const published = await publishRequests('spread', 40, 3, toRequestExchange);
    const found = await drain(shardQueues(names.requestQueue, { shards: 4 }), published.length);

    expect([...found.values()].flat().sort()).toEqual([...published].sort());
    // 40 request ids over 4 equal shares: every shard gets some (a hash can be uneven, never empty at this count).
    for (const [queue, bodies] of found) expect(bodies.length, queue).toBeGreaterThan(0);
    const shardOf = new Map<string, string>();
    for (const [queue, bodies] of found) {
      for (const body of bodies) {
        const id = body.split('#')[0] ?? '';
        expect(shardOf.get(id) ?? queue, `request ${id}`).toBe(queue);
        shardOf.set(id, queue);
      }
      const ids = new Set(bodies.map((body) => body.split('#')[0]));
      for (const id of ids) expect(bodies.filter((body) => body.startsWith(`${id}#`))).toEqual([0, 1, 2].map((n) => `${id}#${n}`));
    }
  });

  it('keep the answers of one request in one response shard, in order', async () => {
    const published = await publishRequests('answers', 30, 4, toWorkerResponses);
    const found = await drain(shardQueues(names.workerResponse, { shards: 4 }), published.length);
    expect([...found.values()].flat().sort()).toEqual([...published].sort());
    expect([...found.values()].filter((bodies) => bodies.length > 0).length).toBeGreaterThan(1);
    for (const bodies of found.values()) {
      for (const id of new Set(bodies.map((body) => body.split('#')[0]))) {
        expect(bodies.filter((body) => body.startsWith(`${id}#`))).toEqual([0, 1, 2, 3].map((n) => `${id}#${n}`));
      }
    }
  });

  it('route a message without a request id to one shard rather than dropping it', async () => {
    await rabbit.publish(names.requestExchange, '', 'no-id');
    const found = await drain(shardQueues(names.requestQueue, { shards: 4 }), 1);
    expect([...found.values()].flat()).toEqual(['no-id']);
  });

  it('lose and duplicate nothing when the count changes: 4 to 2 (draining 4), to 1, back to 3', async () => {
    const all = shardQueues(names.requestQueue, { shards: 4 });
    const published = await publishRequests('before', 20, 2, toRequestExchange);
    // Lowered: the retired shards keep what they hold, and are fed no more.
    await apply({ shards: 2, drainedShards: 4 });
    const retired = await Promise.all(all.slice(2).map((queue) => rabbit.queueState(queue)));
    published.push(...(await publishRequests('two', 20, 2, toRequestExchange)));
    const afterTwo = await Promise.all(all.slice(2).map((queue) => rabbit.queueState(queue)));
    expect(afterTwo.map((state) => state.messageCount)).toEqual(retired.map((state) => state.messageCount));

    await apply({ shards: 1, drainedShards: 4 });
    published.push(...(await publishRequests('one', 20, 2, toRequestExchange)));
    await apply({ shards: 3 });
    published.push(...(await publishRequests('three', 20, 2, toRequestExchange)));

    const found = await drain(all, published.length);
    expect([...found.values()].flat().sort()).toEqual([...published].sort());
    // With 1 shard everything went to the unsharded queue; with 3 the fourth shard stayed unfed.
    expect(found.get(names.requestQueue)?.filter((body) => body.startsWith('one-'))).toHaveLength(40);
    expect(found.get(all[3] ?? '')?.some((body) => body.startsWith('three-') || body.startsWith('two-') || body.startsWith('one-'))).toBe(false);
  });
});
