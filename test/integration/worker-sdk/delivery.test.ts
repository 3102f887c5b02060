import { afterAll, describe, expect, it } from 'vitest';
import { applyTopology } from '../../../shared/amqp-kit/topology.js';
import { Header } from '../../../shared/contract/headers.js';
import { managerTopology } from '../../../shared/contract/topology.js';
import { parseWorkerDeadLetter } from '../../../shared/contract/worker-dead-letter.js';
import { startWorker, type Job, type Worker } from '../../../shared/worker-sdk/src/index.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { gate, managerSide, recordingLogger, waitFor } from './manager-side.js';

const rabbit = createRabbitFixture('wsdk-delivery');
const provider = rabbit.provider();
const workers: Worker[] = [];

afterAll(async () => {
  for (const worker of workers) await worker.stop({ timeoutMs: 1_000 });
  await rabbit.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('worker delivery guarantees', () => {
  it('runs at most `prefetch` jobs at once and leaves the rest in the queue', async () => {
    const manager = await managerSide(rabbit, provider, 'prefetch');
    const release = gate();
    let active = 0;
    let maxActive = 0;
    const worker = await startWorker({
      url: rabbit.url,
      names: manager.names,
      workerType: 'prefetch',
      prefetch: 3,
      logger: recordingLogger(),
      handle: async (job) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await release.promise;
        active -= 1;
        return job.success();
      },
    });
    workers.push(worker);
    rabbit.trackWorkerType('prefetch');
    for (let i = 0; i < 8; i += 1) await manager.sendWorkItem('prefetch', { requestId: `req-${i}` });

    await waitFor(() => active === 3, 5_000, 'three running jobs');
    await sleep(300);
    expect(active).toBe(3);
    expect(worker.inFlight).toBe(3);
    expect((await rabbit.queueState(worker.queue)).messageCount).toBe(5);

    release.open();
    const responses = await manager.responses(8);
    expect(new Set(responses.map((r) => r.requestId)).size).toBe(8);
    expect(maxActive).toBe(3);
  });

  it('acks a work item only once the broker confirmed its answer: unconfirmed, it goes back to the queue', async () => {
    // No manager topology yet: the response exchange does not exist, so no answer can be confirmed.
    const names = rabbit.wireNames('unconfirmed');
    const logger = recordingLogger();
    let calls = 0;
    const first = await startWorker({
      url: rabbit.url,
      names,
      workerType: 'unconfirmed',
      logger,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      handle: (job) => {
        calls += 1;
        return job.success('done');
      },
    });
    workers.push(first);
    rabbit.trackWorkerType('unconfirmed');
    await rabbit.publish(first.queue, '#', '{}', {
      headers: {
        [Header.tenant]: 't',
        [Header.requestId]: 'req-unconfirmed',
        [Header.owner]: 'o',
        [Header.session]: 's',
        [Header.contentType]: 'c',
        [Header.dispatchAttempt]: 1,
      },
    });

    await waitFor(() => logger.warnings.filter((w) => w.includes('did not confirm an answer')).length >= 2, 10_000, 'two failed answers');
    expect(calls).toBe(1);
    // Held, not acked: the ready count excludes it, and nothing was counted as answered.
    expect((await rabbit.queueState(first.queue)).messageCount).toBe(0);
    expect(first.stats.answered.SUCCESS).toBe(0);
    expect(first.inFlight).toBe(1);

    const stopped = await first.stop({ timeoutMs: 200 });
    expect(stopped.abandoned).toBe(1);
    await waitFor(async () => (await rabbit.queueState(first.queue)).messageCount === 1, 5_000, 'the work item back in the queue');

    await applyTopology(provider, managerTopology(names));
    const redelivered: boolean[] = [];
    const second = await startWorker({
      url: rabbit.url,
      names,
      workerType: 'unconfirmed',
      logger: recordingLogger(),
      handle: (job) => {
        redelivered.push(job.redelivered);
        return job.success('done again');
      },
    });
    workers.push(second);
    const [message] = await rabbit.collect(names.workerResponse, 1);
    expect(message?.properties.headers?.[Header.requestId]).toBe('req-unconfirmed');
    expect(redelivered).toEqual([true]);
    await waitFor(() => second.stats.answered.SUCCESS === 1, 5_000, 'the ack');
    expect(await rabbit.queueState(second.queue)).toEqual({ messageCount: 0, consumerCount: 1 });
  });

  it('survives a lost connection: the job in progress is given back, redelivered after resubscribing, answered once', async () => {
    const manager = await managerSide(rabbit, provider, 'dropped');
    const workerConnection = rabbit.provider({ connectionName: `${rabbit.prefix}:dropped-worker` });
    const started = gate<Job>();
    const jobs: Job[] = [];
    const worker = await startWorker({
      connection: workerConnection,
      names: manager.names,
      workerType: 'dropped',
      logger: recordingLogger(),
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      handle: async (job) => {
        jobs.push(job);
        if (jobs.length === 1) {
          started.open(job);
          // Still working when the connection goes: finishes only once told its item is gone.
          await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve(), { once: true }));
          return job.success('from the lost delivery');
        }
        return job.success('from the redelivery');
      },
    });
    workers.push(worker);
    rabbit.trackWorkerType('dropped');
    await manager.sendWorkItem('dropped', { requestId: 'req-dropped' });
    const firstJob = await started.promise;

    await rabbit.dropConnection(await workerConnection.get());

    const [response] = await manager.responses(1);
    expect(response?.requestId).toBe('req-dropped');
    expect(response?.content?.toString()).toBe('from the redelivery');
    expect(firstJob.signal.aborted).toBe(true);
    expect(jobs.map((j) => j.redelivered)).toEqual([false, true]);
    await waitFor(() => worker.stats.givenBack === 1 && worker.stats.answered.SUCCESS === 1, 5_000, 'settled stats');
    expect(worker.stats.reconnections).toBe(1);
    expect(worker.connected).toBe(true);
    await sleep(200);
    expect((await rabbit.queueState(manager.names.workerResponse)).messageCount).toBe(0);
    expect((await rabbit.queueState(worker.queue)).messageCount).toBe(0);
    await expect(firstJob.running()).rejects.toMatchObject({ name: 'JobClosedError' });
  });

  it('dead-letters a rejected work item to the worker DLQ, where the manager reads the reason from x-death', async () => {
    const manager = await managerSide(rabbit, provider, 'reject');
    class PermanentError extends Error {
      public constructor(message: string) {
        super(message);
        this.name = 'PermanentError';
      }
    }
    const worker = await startWorker({
      url: rabbit.url,
      names: manager.names,
      workerType: 'Reject',
      logger: recordingLogger(),
      rejectOn: (error) => error instanceof PermanentError,
      handle: (job) => {
        if (job.text() === 'reject') return job.reject('corrupt archive');
        if (job.text() === 'permanent') throw new PermanentError('cannot ever work');
        throw new Error('transient');
      },
    });
    workers.push(worker);
    rabbit.trackWorkerType('Reject');
    await manager.sendWorkItem('Reject', { requestId: 'req-reject', dispatchAttempt: 4, body: Buffer.from('reject') });
    await manager.sendWorkItem('Reject', { requestId: 'req-permanent', body: Buffer.from('permanent') });
    await manager.sendWorkItem('Reject', { requestId: 'req-transient', body: Buffer.from('transient') });

    const dead = await manager.deadLetters(2);
    const [answer] = await manager.responses(1);

    const letters = dead.map((d) => parseWorkerDeadLetter(d.headers));
    const byId = new Map(letters.flatMap((l) => (l.ok ? [[l.value.requestId, l.value] as const] : [])));
    expect(byId.get('req-reject')).toMatchObject({
      tenant: 'project-a',
      dispatchAttempt: 4,
      reasonSource: 'x-death',
      reason: `Work item rejected by a worker of queue <${worker.queue}>`,
    });
    expect(byId.get('req-permanent')?.reasonSource).toBe('x-death');
    expect(dead.find((d) => d.headers[Header.requestId] === 'req-reject')?.body.toString()).toBe('reject');
    expect(answer).toMatchObject({ requestId: 'req-transient', status: 'ERROR', messages: ['transient'] });
    expect(worker.stats.rejected).toBe(2);
    await sleep(200);
    expect((await rabbit.queueState(manager.names.workerResponse)).messageCount).toBe(0);
  });
});
