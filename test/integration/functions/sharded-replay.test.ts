import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumeMessage } from 'amqplib';
import type { EventSourceHandler } from '../../../infra/local/event-source-emulator.js';
import type { EventSourceMapping, ManagerSettings } from '../../../shared/contract/manager-settings.js';
import { shardQueueName } from '../../../shared/contract/topology.js';
import { normalizeAmazonMqEvent } from '../../../shared/contract/amazon-mq-event.js';
import { Header } from '../../../shared/contract/headers.js';
import type { Worker } from '../../../shared/worker-sdk/src/index.js';
import { eventually, json, publishRequest, startEchoWorker, startHarness, type HostHarness } from '../../support/host-harness.js';

/*
 * A replayed batch on one shard while the other shard flows (README, "Scale-out: sharded
 * queues"): on the local host with 2 shards, shard 1's first batch of client requests and its
 * first batch of worker answers are applied, then held while shard 0 keeps handling new
 * requests, then thrown, so the event source redelivers them whole. Every request of both shards
 * must end with exactly one final answer and the right final state, counted once. With no
 * success retention (the default), the requests of the held intake batch that succeeded are
 * already removed when that batch comes back: the replay must find their traces and run none of
 * them again.
 */

/** A handler that applies its first non-empty batch, waits for the test's word, then throws: the batch comes back. */
class HeldReplay {
  public batchHeld = false;
  public released = false;
  /** The request ids of the batch held. */
  public heldIds: string[] = [];
  private release: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  public wrap(handler: EventSourceHandler): EventSourceHandler {
    return async (event) => {
      const result = await handler(event);
      const size = Object.values(event.rmqMessagesByQueue).reduce((sum, messages) => sum + messages.length, 0);
      if (this.batchHeld || size === 0) return result;
      this.batchHeld = true;
      this.heldIds = normalizeAmazonMqEvent(event).messages.map((message) => String(message.headers[Header.requestId]));
      await this.gate;
      throw new Error('simulated crash after the batch was applied: the event source redelivers it');
    };
  }

  public free(): void {
    this.released = true;
    this.release();
  }
}

const BATCHED = { batchSize: 100, maximumBatchingWindowSeconds: 1 };
const ERROR_MESSAGE = 'refused on purpose';
/** Odd-numbered requests end in ERROR, kept (keepErrors); the others in SUCCESS, removed once answered (no retention). */
const failsOnPurpose = (requestId: string) => Number(requestId.split('-').at(-1)) % 2 === 1;

describe('a replayed batch on one shard while the other shard flows', () => {
  let h: HostHarness;
  let worker: Worker;
  const intake = new HeldReplay();
  const answers = new HeldReplay();
  const workItems = new Map<string, number>();

  beforeAll(async () => {
    const heldQueues = new Map<string, HeldReplay>();
    h = await startHarness('sharded-replay', {
      // No success retention (the default): a request that succeeds before its intake batch comes
      // back is gone by then, and only its trace tells the replay it ran (README, "Delivery guarantees").
      // A batching window of a second, so the replayed batches hold several messages.
      settings: {
        shards: 2,
        mappings: { registerRequests: BATCHED, handleWorkerResponses: BATCHED } as ManagerSettings['mappings'],
      },
      only: ['register-requests', 'handle-worker-responses'],
      wrapHandler: (_fn, handler, mapping: EventSourceMapping) => (event) => (heldQueues.get(mapping.queue)?.wrap(handler) ?? handler)(event),
    });
    // The host is started before the map is filled: its handlers look the queue up at each call.
    heldQueues.set(shardQueueName(h.settings.names.requestQueue, 1), intake);
    heldQueues.set(shardQueueName(h.settings.names.workerResponse, 1), answers);
    worker = await startEchoWorker(h, { tenant: 'tenant-a', workerType: 'echo', contentTypeInputs: ['to-extract'], keepErrors: true }, async (job) => {
      workItems.set(job.requestId, (workItems.get(job.requestId) ?? 0) + 1);
      await job.running(['working']);
      return failsOnPurpose(job.requestId) ? job.error([ERROR_MESSAGE]) : job.success(job.text());
    });
  });

  afterAll(async () => {
    intake.free();
    answers.free();
    await worker?.stop();
    await h?.close();
  });

  it('answers every request of both shards once, with its final state, counted once', async () => {
    const [intake0, , answers0] = h.host.allEmulators;
    const first = Array.from({ length: 20 }, (_, i) => `first-${i}`);
    await Promise.all(first.map((id) => publishRequest(h, id)));
    await eventually(async () => intake.batchHeld && answers.batchHeld, { timeoutMs: 20_000, what: "shard 1's first batches held" });

    // While shard 1 holds its batches (one invocation at a time per mapping), shard 0 handles new requests and their answers.
    const flowedFrom = { requests: intake0?.stats.messages ?? 0, answers: answers0?.stats.messages ?? 0 };
    const second = Array.from({ length: 20 }, (_, i) => `second-${i}`);
    for (const id of second) await publishRequest(h, id);
    await eventually(async () => (intake0?.stats.messages ?? 0) > flowedFrom.requests && (answers0?.stats.messages ?? 0) > flowedFrom.answers, {
      timeoutMs: 20_000,
      what: 'shard 0 handling requests and answers while shard 1 holds its batches',
    });
    // The requests of the held intake batch that succeeded meanwhile: removed, their traces left.
    const present = await h.services.requests.getAll('tenant-a', intake.heldIds);
    const traced = intake.heldIds.filter((id) => !present.has(id));
    expect(traced.length, `held intake batch: ${intake.heldIds.join(', ')}`).toBeGreaterThan(0);
    for (const id of traced) expect(failsOnPurpose(id), id).toBe(false);
    intake.free();
    answers.free();

    const ids = [...first, ...second];
    const received = await clientAnswers(h, ids);
    for (const id of ids) {
      const states = received.get(id) ?? [];
      const final = failsOnPurpose(id) ? 'ERROR' : 'SUCCESS';
      // Exactly one final answer each; a replayed intake may repeat GRANTED (README, "Delivery guarantees").
      expect(
        states.filter((state) => state !== 'GRANTED'),
        `${id}: ${states.join(', ')}`,
      ).toEqual([final]);
      expect(states.filter((state) => state === 'GRANTED').length, id).toBeGreaterThanOrEqual(1);
      expect(states.filter((state) => state === 'GRANTED').length, id).toBeLessThanOrEqual(2);
    }
    // Both shards of both queues had a replayed batch or flowed: none sat idle.
    for (const emulator of h.host.allEmulators) expect(emulator.stats.messages).toBeGreaterThan(0);
    expect(h.host.allEmulators.map((emulator) => emulator.stats.failures)).toEqual([0, 1, 0, 1]);

    // Errors kept in their final state at their first and only attempt; successes removed, none run again.
    const stored = await h.services.requests.getAll('tenant-a', ids);
    for (const id of ids) {
      const request = stored.get(id);
      const expected = failsOnPurpose(id) ? { status: 'ERROR', attempt: 1 } : { status: undefined, attempt: undefined };
      expect({ id, status: request?.status, attempt: request?.attempt }).toEqual({ id, ...expected });
    }
    // The replay of the held intake batch met the traces of those that had succeeded: nothing sent again.
    for (const id of traced) {
      expect(received.get(id), id).toEqual(['GRANTED', 'SUCCESS']);
      expect(workItems.get(id), id).toBe(1);
    }
    const values = (await h.services.counters.get('tenant-a', 'owner', 'session'))?.values ?? {};
    expect(values['workers.requests']).toBe(ids.length);
    expect(values['workers.echo.done']).toBe(ids.length / 2);
    expect(values['workers.echo.error']).toBe(ids.length / 2);
    expect(values['workers.echo.dispatched'] ?? 0).toBe(0);
    expect(values['workers.echo.running'] ?? 0).toBe(0);
    // Work items: at least once each, twice at most (a replayed intake re-sends those of requests still in flight).
    for (const id of ids) {
      expect(workItems.get(id), id).toBeGreaterThanOrEqual(1);
      expect(workItems.get(id), id).toBeLessThanOrEqual(2);
    }
  });
});

/** Client answers by request id, until every id has a final one, then a pause to catch extras. */
async function clientAnswers(h: HostHarness, ids: readonly string[]): Promise<Map<string, string[]>> {
  const received = new Map<string, string[]>(ids.map((id) => [id, []]));
  const record = (messages: ConsumeMessage[]) => {
    for (const message of messages) {
      const body = json(message);
      received.get(String(body.requestId))?.push(String(body.state));
    }
  };
  const finals = () => [...received.values()].filter((states) => states.some((state) => state === 'SUCCESS' || state === 'ERROR')).length;
  await eventually(
    async () => {
      const { messageCount } = await h.rabbit.queueState(h.clientQueue);
      if (messageCount > 0) record(await h.rabbit.collect(h.clientQueue, messageCount));
      return finals() === ids.length;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: 'a final answer to every request' },
  );
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const { messageCount } = await h.rabbit.queueState(h.clientQueue);
  if (messageCount > 0) record(await h.rabbit.collect(h.clientQueue, messageCount));
  return received;
}
