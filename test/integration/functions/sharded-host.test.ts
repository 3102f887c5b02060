import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumeMessage } from 'amqplib';
import { ManagerHost } from '../../../infra/local/manager-host.js';
import { ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { shardQueueName } from '../../../shared/contract/topology.js';
import type { Worker } from '../../../shared/worker-sdk/src/index.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { eventually, json, publishRequest, startEchoWorker, startHarness, type HostHarness } from '../../support/host-harness.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

/*
 * The local host with sharded queues: one event-source emulator per shard, every request answered
 * (GRANTED then SUCCESS, once each), and a shard count lowered on a running system (2 to 1,
 * draining the retired shard) answering every request exactly once.
 */

/** Client answers by request id, collected until each of `ids` has `count`, then a pause to catch extras. */
async function answersOf(h: HostHarness, ids: readonly string[], count: number): Promise<Map<string, string[]>> {
  const answers = new Map<string, string[]>(ids.map((id) => [id, []]));
  const record = (messages: ConsumeMessage[]) => {
    for (const message of messages) {
      const body = json(message);
      answers.get(String(body.requestId))?.push(String(body.state));
    }
  };
  record(await h.rabbit.collect(h.clientQueue, ids.length * count, { timeoutMs: 15_000 }));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const { messageCount } = await h.rabbit.queueState(h.clientQueue);
  if (messageCount > 0) record(await h.rabbit.collect(h.clientQueue, messageCount));
  return answers;
}

describe('local host with 2 shards', () => {
  let h: HostHarness;
  let worker: Worker;

  beforeAll(async () => {
    h = await startHarness('sharded-host', { settings: { shards: 2 }, only: ['register-requests', 'handle-worker-responses'] });
    worker = await startEchoWorker(h, { tenant: 'tenant-a', workerType: 'echo', contentTypeInputs: ['to-extract'] }, async (job) => {
      await job.running(['working']);
      return job.success(job.text());
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await h?.close();
  });

  it('runs one emulator per shard and answers every request, in order, once', async () => {
    expect(h.host.allEmulators.map((emulator) => emulator.stats.messages)).toHaveLength(4);
    const ids = Array.from({ length: 30 }, (_, i) => `sharded-${i}`);
    for (const id of ids) await publishRequest(h, id);
    const answers = await answersOf(h, ids, 2);
    // RUNNING is recorded, not answered to the client (as REGARDS).
    for (const id of ids) expect(answers.get(id), id).toEqual(['GRANTED', 'SUCCESS']);
    // Both shards of both queues carried some of the 30 requests and their 60 answers.
    for (const emulator of h.host.allEmulators) expect(emulator.stats.messages).toBeGreaterThan(0);
  });
});

describe('lowering the shard count on a running system', () => {
  let h: HostHarness;

  beforeAll(async () => {
    // The 2-shard topology, but nothing consumes the requests: they wait in both shards.
    h = await startHarness('shards-lowered', { settings: { shards: 2 }, only: ['record-heartbeats'] });
    await configure(h.services, 'tenant-a', { workers: [{ workerType: 'idle', contentTypeInputs: ['to-extract'] }] });
    h.rabbit.trackWorkerType('idle');
    await bringAlive(h.services, 'idle');
  });

  afterAll(async () => {
    await h?.close();
  });

  it('answers every request exactly once: those left in the retired shard are drained, the new ones take the single queue', async () => {
    const before = Array.from({ length: 20 }, (_, i) => `before-${i}`);
    for (const id of before) await publishRequest(h, id);
    const retired = shardQueueName(h.settings.names.requestQueue, 1);
    await eventually(async () => (await h.rabbit.queueState(retired)).messageCount > 0, { what: 'requests waiting in shard 1' });

    const lowered = ManagerSettingsSchema.parse({ ...h.settings, shards: 1, drainedShards: 2 });
    const host = await ManagerHost.start({
      settings: lowered,
      amqpUrl: h.rabbit.url,
      dynamo: { client: h.dynamo.newClient(), tableName: h.dynamo.tableName },
      logger: new CapturingLogger(),
      only: ['register-requests'],
      sweeper: false,
      ttl: false,
    });
    try {
      const after = Array.from({ length: 20 }, (_, i) => `after-${i}`);
      for (const id of after) await publishRequest(h, id);
      const answers = await answersOf(h, [...before, ...after], 1);
      for (const [id, states] of answers) expect(states, id).toEqual(['GRANTED']);
      expect((await h.rabbit.queueState(retired)).messageCount).toBe(0);
      // The retired shard's emulator drained it; it got none of the requests published after.
      const retiredEmulator = host.allEmulators[1];
      expect(retiredEmulator?.stats.messages).toBeGreaterThan(0);
      expect(retiredEmulator?.stats.messages).toBeLessThan(20);
    } finally {
      await host.stop();
    }
  });
});
