import amqp, { type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';
import { startWorker, type Worker } from '../../shared/worker-sdk/src/index.js';
import type { WireNames } from '../../shared/contract/wire-names.js';
import { startEmbeddedStore } from '../../infra/local/embedded-store.js';
import { epochNow } from './load.js';

/*
 * The processes a scenario forks (the manager and the workers run apart from the client, as in
 * anchor-bench): `node --import tsx children.ts <role> <json options>`. Each says 'ready' over IPC,
 * runs until it is sent 'stop', then closes what it opened and exits.
 */

export type ChildRole =
  | { role: 'relay-manager'; url: string; queues: RelayQueues; prefetch: number }
  | { role: 'relay-workers'; url: string; queues: RelayQueues; prefetch: number; instances: number }
  | { role: 'sdk-workers'; url: string; names: WireNames; workerTypes: { type: string; stamp: boolean }[]; instances: number; prefetch: number }
  | { role: 'bullmq-workers'; redisUrl: string; queue: string; instances: number; concurrency: number }
  | { role: 'store' };

export interface RelayQueues {
  in: string;
  work: string;
  response: string;
  out: string;
}

/**
 * An at-least-once relay, anchor-bench's: what arrived in one event-loop turn (at most `prefetch`)
 * is published, the group's confirms awaited, then its inputs acked at once. Groups run in order,
 * so a `multiple` ack never covers a message whose output is unconfirmed.
 */
async function relay(channel: ConfirmChannel, from: string, to: string, prefetch: number, transform: (content: Buffer) => Buffer): Promise<void> {
  await channel.prefetch(prefetch);
  let group: ConsumeMessage[] = [];
  let chain = Promise.resolve();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const taken = group;
    group = [];
    chain = chain.then(async () => {
      for (const message of taken) channel.sendToQueue(to, transform(message.content), { persistent: true });
      await channel.waitForConfirms();
      channel.ack(taken.at(-1)!, true);
    });
  };
  await channel.consume(from, (message) => {
    if (message === null) return;
    group.push(message);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as ChildRole;
  let stop: () => Promise<void>;
  switch (options.role) {
    case 'relay-manager': {
      const connection = await amqp.connect(options.url, { noDelay: true });
      const state = new Map<string, number>();
      // The manager shape with nothing in it: parse, keep a little state, forward unchanged.
      await relay(await connection.createConfirmChannel(), options.queues.in, options.queues.work, options.prefetch, (content) => {
        const body = JSON.parse(content.toString()) as { id: string };
        state.set(body.id, Date.now());
        return content;
      });
      await relay(await connection.createConfirmChannel(), options.queues.response, options.queues.out, options.prefetch, (content) => {
        const body = JSON.parse(content.toString()) as { id: string };
        state.delete(body.id);
        return content;
      });
      stop = () => connection.close();
      break;
    }
    case 'relay-workers': {
      const connection = await amqp.connect(options.url, { noDelay: true });
      for (let n = 0; n < options.instances; n += 1) {
        await relay(await connection.createConfirmChannel(), options.queues.work, options.queues.response, options.prefetch, (content) => {
          const body = JSON.parse(content.toString()) as { id: string; t: number };
          return Buffer.from(JSON.stringify({ id: body.id, t: body.t, r: epochNow(), ok: true }));
        });
      }
      stop = () => connection.close();
      break;
    }
    case 'sdk-workers': {
      const workers: Worker[] = [];
      for (const { type, stamp } of options.workerTypes) {
        for (let n = 0; n < options.instances; n += 1) {
          workers.push(
            await startWorker({
              url: options.url,
              names: options.names,
              workerType: type,
              prefetch: options.prefetch,
              heartbeatIntervalMs: 2_000,
              // The first step stamps when it received the job; a later step passes the stamp on.
              handle: (job) => job.success(stamp ? { r: epochNow() } : job.body),
            }),
          );
        }
      }
      stop = async () => {
        await Promise.all(workers.map((worker) => worker.stop({ timeoutMs: 5_000 })));
      };
      break;
    }
    case 'bullmq-workers': {
      const workers: BullWorker[] = [];
      for (let n = 0; n < options.instances; n += 1) {
        const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
        workers.push(new BullWorker(options.queue, async () => ({ r: epochNow() }), { connection, concurrency: options.concurrency }));
      }
      await Promise.all(workers.map((worker) => worker.waitUntilReady()));
      stop = async () => {
        await Promise.all(workers.map((worker) => worker.close()));
      };
      break;
    }
    case 'store': {
      // The store `npm start` embeds, in its own process so that its CPU is not the manager's.
      const store = await startEmbeddedStore();
      process.send?.({ endpoint: store.endpoint });
      stop = () => store.close();
      break;
    }
  }
  process.on('message', (message) => {
    if (message !== 'stop') return;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.send?.('ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
