import amqp from 'amqplib';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { createRabbitFixture } from '../support/rabbitmq.js';
import { CpuMonitor, epochNow, pidsNamed, runPhases, Tracker, waitForQuiet, type PhasePlan, type ScenarioPhases } from './load.js';
import { startChild } from './processes.js';

/*
 * The two scenarios that are not ours: the limit (the manager shape relayed by amqplib alone, no
 * store) and a peer (BullMQ on the machine's Redis). Same request count, body size and worker count.
 */

export interface CommonOptions {
  plan: PhasePlan;
  bodyBytes: number;
  workers: number;
  log: (line: string) => void;
  quiet: { maxPercent: number; maxWaitMs: number };
}

export interface ScenarioResult extends ScenarioPhases {
  name: string;
  quietBefore: { busyPercent: number; waitedMs: number };
  notes: string[];
}

/** A JSON body of `bytes` carrying the id and the send time, as anchor-bench's. */
function paddedBody(id: string, bytes: number): Buffer {
  const head = JSON.stringify({ id, t: epochNow(), pad: '' });
  return Buffer.from(JSON.stringify({ id, t: epochNow(), pad: 'x'.repeat(Math.max(0, bytes - head.length)) }));
}

/**
 * client -> IN -> manager -> W -> worker -> RESP -> manager -> OUT -> client, each hop a durable
 * queue of the type ours uses there (IN and RESP quorum, W and OUT classic), persistent messages,
 * confirms per burst, acks after confirms, prefetch 100, noDelay. Manager and workers are
 * separate processes.
 */
export async function benchLimit(options: CommonOptions): Promise<ScenarioResult> {
  const rabbit = createRabbitFixture('bench-limit');
  const queues = { in: rabbit.name('in'), work: rabbit.name('work'), response: rabbit.name('resp'), out: rabbit.name('out') };
  const quorum = { durable: true, arguments: { 'x-queue-type': 'quorum' } };
  await rabbit.declareQueue(queues.in, quorum);
  await rabbit.declareQueue(queues.work, { durable: true });
  await rabbit.declareQueue(queues.response, quorum);
  await rabbit.declareQueue(queues.out, { durable: true });
  const quietBefore = await waitForQuiet(options.quiet.maxPercent, options.quiet.maxWaitMs);
  const manager = await startChild({ role: 'relay-manager', url: rabbit.url, queues, prefetch: 100 });
  const workers = await startChild({ role: 'relay-workers', url: rabbit.url, queues, prefetch: 100, instances: options.workers });
  const connection = await amqp.connect(rabbit.url, { noDelay: true });
  try {
    const holder = { tracker: new Tracker() };
    const consumer = await connection.createChannel();
    await consumer.prefetch(1000);
    await consumer.consume(queues.out, (message) => {
      if (message === null) return;
      const body = JSON.parse(message.content.toString()) as { id: string; r?: number };
      holder.tracker.final(body.id, epochNow(), body.r, true);
      consumer.ack(message);
    });
    const publisher = await connection.createConfirmChannel();
    const monitor = new CpuMonitor();
    monitor.group('client', () => [process.pid]);
    monitor.group('manager', () => [manager.pid]);
    monitor.group('workers', () => [workers.pid]);
    monitor.group('rabbitmq', () => pidsNamed('beam.smp'));
    const phases = await runPhases(
      'limit',
      {
        send: async (ids) => {
          for (const id of ids) publisher.sendToQueue(queues.in, paddedBody(id, options.bodyBytes), { persistent: true });
          await publisher.waitForConfirms();
        },
      },
      holder,
      monitor,
      options.plan,
      options.log,
    );
    const server = (connection as unknown as { connection?: { serverProperties?: { version?: string } } }).connection?.serverProperties?.version;
    return { name: 'limit', ...phases, quietBefore, notes: [`rabbitmq ${server ?? 'unknown'}`] };
  } finally {
    await connection.close().catch(() => undefined);
    await manager.stop();
    await workers.stop();
    await rabbit.cleanup();
  }
}

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * BullMQ as anchor-bench ran it: addBulk per burst, `workers` Worker instances with concurrency 50
 * in their own process, completions counted from QueueEvents (the event stream raised so none is
 * trimmed). Redis as the machine runs it (its persistence settings are reported).
 */
export async function benchBullmq(options: CommonOptions): Promise<ScenarioResult> {
  if (!/^redis:\/\/(127\.0\.0\.1|localhost)(:\d+)?/.test(REDIS_URL)) throw new Error('bench: REDIS_URL must be on this machine');
  const name = `bench-${process.pid}-${Date.now()}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const eventsConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection, streams: { events: { maxLen: 200_000 } } });
  const events = new QueueEvents(name, { connection: eventsConnection });
  const notes: string[] = [];
  let workers: Awaited<ReturnType<typeof startChild>> | undefined;
  try {
    const persistence = (await connection.config('GET', 'appendonly')) as string[];
    const save = (await connection.config('GET', 'save')) as string[];
    const version = /redis_version:(\S+)/.exec(await connection.info('server'))?.[1] ?? 'unknown';
    notes.push(`redis ${version} appendonly=${persistence[1] ?? '?'} save="${save[1] ?? '?'}"`);
    await events.waitUntilReady();
    const quietBefore = await waitForQuiet(options.quiet.maxPercent, options.quiet.maxWaitMs);
    workers = await startChild({ role: 'bullmq-workers', redisUrl: REDIS_URL, queue: name, instances: options.workers, concurrency: 50 });
    const holder = { tracker: new Tracker() };
    events.on('completed', ({ jobId, returnvalue }) => {
      const value = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as { r?: number } | undefined;
      holder.tracker.final(jobId, epochNow(), value?.r, true);
    });
    events.on('failed', ({ jobId }) => holder.tracker.final(jobId, epochNow(), undefined, false));
    const monitor = new CpuMonitor();
    monitor.group('client', () => [process.pid]);
    monitor.group('workers', () => [workers?.pid ?? 0]);
    monitor.group('redis', () => pidsNamed('redis-server'));
    const phases = await runPhases(
      'bullmq',
      {
        send: async (ids) => {
          await queue.addBulk(ids.map((id) => ({ name: 'j', data: JSON.parse(paddedBody(id, options.bodyBytes).toString()) as object, opts: { jobId: id } })));
        },
      },
      holder,
      monitor,
      options.plan,
      options.log,
    );
    return { name: 'bullmq', ...phases, quietBefore, notes };
  } finally {
    await workers?.stop();
    await events.close().catch(() => undefined);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close().catch(() => undefined);
    connection.disconnect();
    eventsConnection.disconnect();
  }
}
