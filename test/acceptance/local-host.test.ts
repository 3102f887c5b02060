import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumeMessage } from 'amqplib';
import { Header } from '../../shared/contract/headers.js';
import { startExtractWorker } from '../../shared/worker-sdk/examples/extract-worker.js';
import { startSipWorker } from '../../shared/worker-sdk/examples/sip-worker.js';
import type { Worker } from '../../shared/worker-sdk/src/index.js';
import { createRabbitFixture, type RabbitFixture } from '../support/rabbitmq.js';
import { api, localHostData, startLocalHost, type LocalHostData, type LocalHostProcess } from './local-host.js';

/*
 * The local host as a user runs it, driven only through AMQP and HTTP: two tenants, a single-step
 * worker and a 2-step workflow, a worker that appears late, a SIGKILL in the middle of 2,000
 * requests, and a SIGTERM under load.
 */

const CONFIG = {
  format: 'worker-manager/v1',
  resetBeforeImport: true,
  workers: [
    { workerType: 'extract', contentTypeInputs: ['raw-file'], contentTypeOutput: 'extracted' },
    { workerType: 'sip', contentTypeInputs: ['extracted'] },
    { workerType: 'latecomer', contentTypeInputs: ['late-file'] },
  ],
  workflows: [
    {
      workflowType: 'archive',
      steps: [
        { stepNumber: 1, workerType: 'extract' },
        { stepNumber: 2, workerType: 'sip' },
      ],
    },
  ],
};

describe('npm start, driven over AMQP and HTTP', () => {
  let rabbit: RabbitFixture;
  let data: LocalHostData;
  let host: LocalHostProcess | undefined;
  const workers: Worker[] = [];
  let answers: Map<string, Record<string, unknown>[]>;
  let clientQueue: string;

  beforeAll(async () => {
    rabbit = createRabbitFixture('acceptance');
    rabbit.trackWorkerType('extract');
    rabbit.trackWorkerType('sip');
    data = await localHostData(rabbit.names);
    host = await startLocalHost(data);
    for (const tenant of ['tenant-one', 'tenant-two']) {
      const imported = await api(host, tenant, 'PUT', '/configuration/native', CONFIG);
      expect(imported.status).toBe(200);
    }
    clientQueue = rabbit.name('client');
    await rabbit.declareQueue(clientQueue);
    await rabbit.bindQueue(clientQueue, rabbit.names.responseExchange, '');
    answers = new Map();
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });

  afterAll(async () => {
    if (host && host.child.exitCode === null) {
      host.child.kill('SIGTERM');
      await host.exited;
    }
    await rabbit?.cleanup();
    await data?.remove();
  });

  const startWorkers = async (types: ('extract' | 'sip' | 'latecomer')[], prefetch = 20) => {
    for (const type of types) {
      const options = { url: rabbit.url, names: rabbit.names, prefetch, heartbeatIntervalMs: 1000 };
      // The latecomer is an extract worker under a type no test has started before.
      workers.push(await (type === 'sip' ? startSipWorker(options) : startExtractWorker({ ...options, workerType: type })));
    }
  };

  const send = (tenant: string, requestId: string, contentType: string, body: unknown) =>
    rabbit.publish(rabbit.names.requestExchange, '', JSON.stringify(body), {
      headers: {
        [Header.tenant]: tenant,
        [Header.requestId]: requestId,
        [Header.owner]: 'acceptance',
        [Header.session]: 's1',
        [Header.contentType]: contentType,
      },
    });

  /** Reads client answers until `done(id)` holds for every id, keeping them all by tenant/request. */
  async function collectUntil(ids: readonly string[], done: (received: Record<string, unknown>[]) => boolean, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    const pending = () => ids.filter((id) => !done(answers.get(id) ?? []));
    while (pending().length > 0) {
      if (Date.now() > deadline) throw new Error(`${pending().length} of ${ids.length} requests unfinished, e.g. ${pending().slice(0, 3).join(', ')}`);
      let batch: ConsumeMessage[];
      try {
        batch = await rabbit.collect(clientQueue, 1, { timeoutMs: 2_000 });
      } catch {
        continue;
      }
      for (const message of batch) {
        const body = JSON.parse(message.content.toString()) as Record<string, unknown>;
        const key = `${String(message.properties.headers?.[Header.tenant])}/${String(body['requestId'])}`;
        answers.set(key, [...(answers.get(key) ?? []), body]);
      }
    }
  }

  const succeeded = (received: Record<string, unknown>[]) => received.some((answer) => answer['state'] === 'SUCCESS');
  const contentOf = (key: string) => {
    const success = answers.get(key)?.find((answer) => answer['state'] === 'SUCCESS');
    return JSON.parse(Buffer.from(String(success?.['content']), 'base64').toString()) as unknown;
  };

  it('takes requests of two tenants through a single-step worker and a 2-step workflow to SUCCESS', async () => {
    await startWorkers(['extract', 'sip']);
    await send('tenant-one', 'single', 'raw-file', { file: 'a.dat' });
    await send('tenant-two', 'flow', 'archive', { file: 'b.dat' });
    await collectUntil(['tenant-one/single', 'tenant-two/flow'], succeeded, 30_000);
    expect(contentOf('tenant-one/single')).toEqual({ file: 'a.dat', extracted: true, size: 16 });
    expect(contentOf('tenant-two/flow')).toEqual({ sip: { file: 'b.dat', extracted: true, size: 16 } });
    expect(answers.get('tenant-two/flow')?.map((answer) => answer['state'])).toEqual(['GRANTED', 'GRANTED', 'SUCCESS']);
  });

  it('dispatches a request as soon as its worker appears', async () => {
    rabbit.trackWorkerType('latecomer');
    await send('tenant-one', 'late', 'late-file', { file: 'late.dat' });
    await collectUntil(['tenant-one/late'], (received) => received.length > 0, 15_000);
    expect(answers.get('tenant-one/late')?.[0]?.['state']).toBe('DELAYED');
    await startWorkers(['latecomer']);
    await collectUntil(['tenant-one/late'], succeeded, 30_000);
    // Work items are at least once, and a timer-driven dispatch sends its GRANTED with the work item
    // before its write: should the sweeper and the revival both dispatch, the loser's GRANTED and its
    // copy's SUCCESS come too. Never anything but GRANTED and SUCCESS after the DELAYED, and a
    // GRANTED before the first SUCCESS.
    const states = answers.get('tenant-one/late')?.map((answer) => answer['state']) ?? [];
    expect(states[0]).toBe('DELAYED');
    expect(states.slice(1).every((state) => state === 'GRANTED' || state === 'SUCCESS')).toBe(true);
    expect(states.indexOf('GRANTED')).toBeGreaterThan(0);
    expect(states.indexOf('GRANTED')).toBeLessThan(states.indexOf('SUCCESS'));
  });

  it('loses none of 2,000 requests when the host is killed with SIGKILL in the middle and started again', async () => {
    await startWorkers(['extract', 'sip'], 50);
    const ids = Array.from({ length: 2000 }, (_, n) => `kill-${n}`);
    const sending = (async () => {
      for (let n = 0; n < ids.length; n += 100) {
        await Promise.all(
          ids.slice(n, n + 100).map((id, i) => send(i % 2 ? 'tenant-one' : 'tenant-two', id, n % 200 ? 'raw-file' : 'archive', { file: `${id}.dat` })),
        );
      }
    })();
    // Kill it while requests are being registered and worked on.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    host?.child.kill('SIGKILL');
    expect(await host?.exited).toBe('SIGKILL');
    await sending;
    // The kill happened mid-way: work was left in the manager's input queue when it died.
    expect((await rabbit.queueState(rabbit.names.requestQueue)).messageCount).toBeGreaterThan(0);
    host = await startLocalHost(data);
    const keys = ids.map((id, n) => `${(n % 100) % 2 ? 'tenant-one' : 'tenant-two'}/${id}`);
    await collectUntil(keys, succeeded, 150_000);
    expect(keys.filter((key) => !succeeded(answers.get(key) ?? []))).toEqual([]);
  }, 240_000);

  it('exits 0 on SIGTERM under load, and finishes the work after a restart', async () => {
    await startWorkers(['extract'], 50);
    const ids = Array.from({ length: 500 }, (_, n) => `term-${n}`);
    await Promise.all(ids.map((id) => send('tenant-one', id, 'raw-file', { file: `${id}.dat` })));
    host?.child.kill('SIGTERM');
    expect(await host?.exited).toBe(0);
    expect(host?.output()).not.toMatch(/"level":"error"/);
    host = await startLocalHost(data);
    await collectUntil(
      ids.map((id) => `tenant-one/${id}`),
      succeeded,
      90_000,
    );
  }, 180_000);
});
