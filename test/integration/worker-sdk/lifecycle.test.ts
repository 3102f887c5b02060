import { afterAll, describe, expect, it } from 'vitest';
import { applyTopology } from '../../../shared/amqp-kit/topology.js';
import { workerTopology } from '../../../shared/contract/topology.js';
import { startWorker, WorkerOptionsError, WorkerStartError, type Job, type Worker } from '../../../shared/worker-sdk/src/index.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { gate, managerSide, recordingLogger, waitFor } from './manager-side.js';

const rabbit = createRabbitFixture('wsdk-lifecycle');
const provider = rabbit.provider();
const workers: Worker[] = [];

afterAll(async () => {
  for (const worker of workers) await worker.stop({ timeoutMs: 1_000 });
  await rabbit.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('worker lifecycle', () => {
  it('sends a heartbeat at start, then one per interval, with the contract body and the tenant header', async () => {
    const manager = await managerSide(rabbit, provider, 'heartbeat');
    rabbit.trackWorkerType('HeartBeater');
    const worker = await startWorker({
      url: rabbit.url,
      names: manager.names,
      workerType: 'HeartBeater',
      instanceId: 'instance-42',
      heartbeatIntervalMs: 250,
      heartbeatTenant: 'project-a',
      logger: recordingLogger(),
      handle: (job) => job.success(),
    });
    workers.push(worker);
    // startWorker resolves once the first heartbeat is confirmed.
    expect((await rabbit.queueState(manager.names.heartbeatQueue)).messageCount).toBeGreaterThanOrEqual(1);

    const beats = await manager.heartbeats(5);

    for (const { heartbeat, raw } of beats) {
      expect(heartbeat).toMatchObject({ instanceId: 'instance-42', workerType: 'HeartBeater', tenant: 'project-a' });
      expect(Object.keys(raw as object).sort()).toEqual(['heartBeatDate', 'id', 'type']);
      expect((raw as { heartBeatDate: string }).heartBeatDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    }
    const times = beats.map((b) => b.heartbeat.reportedAt.getTime());
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(200);
      expect(gap).toBeLessThan(1_000);
    }
    expect(worker.stats.heartbeats).toBeGreaterThanOrEqual(5);
  });

  it('sends heartbeats without a tenant header when no heartbeatTenant is given', async () => {
    const manager = await managerSide(rabbit, provider, 'no-tenant');
    rabbit.trackWorkerType('quiet');
    const worker = await startWorker({ url: rabbit.url, names: manager.names, workerType: 'quiet', logger: recordingLogger(), handle: (job) => job.success() });
    workers.push(worker);
    const [beat] = await manager.heartbeats(1);
    expect(beat?.heartbeat.instanceId).toBe(worker.instanceId);
    expect(beat?.heartbeat.tenant).toBeUndefined();
  });

  it('declares the queue as the manager does, shared by every instance of the type', async () => {
    const manager = await managerSide(rabbit, provider, 'shared');
    rabbit.trackWorkerType('Shared');
    const options = { url: rabbit.url, names: manager.names, workerType: 'Shared', logger: recordingLogger(), handle: (job: Job) => job.success() };
    const one = await startWorker(options);
    const two = await startWorker(options);
    workers.push(one, two);

    const report = await applyTopology(provider, workerTopology(manager.names, 'Shared'));

    expect(report.warnings).toEqual([]);
    expect(one.queue).toBe(two.queue);
    expect(one.queue).toBe(manager.names.workerRequestTemplate.replace('%s', 'shared'));
    expect(one.instanceId).not.toBe(two.instanceId);
    expect((await rabbit.queueState(one.queue)).consumerCount).toBe(2);
  });

  it('subscribes again, declaring the queue anew, when the broker cancels its consumer (queue deleted)', async () => {
    const manager = await managerSide(rabbit, provider, 'cancelled');
    rabbit.trackWorkerType('cancelled');
    const worker = await startWorker({
      url: rabbit.url,
      names: manager.names,
      workerType: 'cancelled',
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      logger: recordingLogger(),
      handle: (job) => job.success('after'),
    });
    workers.push(worker);

    await rabbit.deleteQueue(worker.queue);
    await waitFor(() => worker.stats.reconnections === 1 && worker.connected, 5_000, 'the resubscription');
    await manager.sendWorkItem('cancelled', { requestId: 'req-after' });

    const [response] = await manager.responses(1);
    expect(response).toMatchObject({ requestId: 'req-after', status: 'SUCCESS' });
    expect((await rabbit.queueState(worker.queue)).consumerCount).toBe(1);
  });

  it('stop() cancels the consumer, waits for running jobs, stops heartbeats, and is idempotent', async () => {
    const manager = await managerSide(rabbit, provider, 'stop');
    rabbit.trackWorkerType('stopper');
    const release = gate();
    let started = 0;
    const worker = await startWorker({
      url: rabbit.url,
      names: manager.names,
      workerType: 'stopper',
      prefetch: 2,
      heartbeatIntervalMs: 100,
      logger: recordingLogger(),
      handle: async (job) => {
        started += 1;
        await job.running();
        await release.promise;
        return job.success(job.requestId);
      },
    });
    workers.push(worker);
    await manager.sendWorkItem('stopper', { requestId: 'req-a' });
    await manager.sendWorkItem('stopper', { requestId: 'req-b' });
    await waitFor(() => started === 2, 5_000, 'two running jobs');

    let stopped = false;
    const stopping = worker.stop();
    void stopping.then(() => {
      stopped = true;
    });
    expect(worker.stop()).toBe(stopping);
    await waitFor(async () => (await rabbit.queueState(worker.queue)).consumerCount === 0, 5_000, 'the consumer cancelled');
    await manager.sendWorkItem('stopper', { requestId: 'req-late' });
    await sleep(200);
    expect(stopped).toBe(false);
    expect(worker.inFlight).toBe(2);

    release.open();
    expect(await stopping).toEqual({ abandoned: 0 });
    const finals = (await manager.responses(4)).filter((r) => r.status === 'SUCCESS');
    expect(finals.map((r) => r.requestId).sort()).toEqual(['req-a', 'req-b']);
    expect(started).toBe(2);
    expect((await rabbit.queueState(worker.queue)).messageCount).toBe(1);
    expect(worker.connected).toBe(false);
    expect(await worker.stop()).toEqual({ abandoned: 0 });
    await rabbit.purgeQueue(manager.names.heartbeatQueue);
    await sleep(300);
    expect((await rabbit.queueState(manager.names.heartbeatQueue)).messageCount).toBe(0);
  });

  it('stop() gives up after its timeout: the abandoned job is told, and its work item goes back unanswered', async () => {
    const manager = await managerSide(rabbit, provider, 'abandon');
    rabbit.trackWorkerType('stuck');
    const started = gate<Job>();
    const worker = await startWorker({
      url: rabbit.url,
      names: manager.names,
      workerType: 'stuck',
      stopTimeoutMs: 150,
      logger: recordingLogger(),
      handle: async (job) => {
        started.open(job);
        await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve(), { once: true }));
        return job.success('too late');
      },
    });
    workers.push(worker);
    await manager.sendWorkItem('stuck', { requestId: 'req-stuck' });
    const job = await started.promise;

    const result = await worker.stop();

    expect(result).toEqual({ abandoned: 1 });
    expect(job.signal.aborted).toBe(true);
    await waitFor(async () => (await rabbit.queueState(worker.queue)).messageCount === 1, 5_000, 'the item back in the queue');
    await sleep(200);
    expect((await rabbit.queueState(manager.names.workerResponse)).messageCount).toBe(0);
  });

  it('fails to start with a clear error when the broker is unreachable or an option is wrong', async () => {
    const unreachable = startWorker({ url: 'amqp://guest:guest@127.0.0.1:1', workerType: 'never', logger: recordingLogger(), handle: (job) => job.success() });
    await expect(unreachable).rejects.toBeInstanceOf(WorkerStartError);
    await expect(unreachable).rejects.toMatchObject({ cause: { name: 'BrokerUnreachableError' } });
    await expect(startWorker({ url: rabbit.url, workerType: 'x', prefetch: 0, handle: (job) => job.success() })).rejects.toBeInstanceOf(WorkerOptionsError);
    await expect(startWorker({ url: rabbit.url, workerType: '  ', handle: (job) => job.success() })).rejects.toThrow(/workerType/);
  });
});
