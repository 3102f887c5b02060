import { afterAll, expect, it } from 'vitest';
import { startWorker, type Worker } from '../../shared/worker-sdk/src/index.js';
import { handleExtract } from '../../shared/worker-sdk/examples/extract-worker.js';
import { Header } from '../../shared/contract/headers.js';
import { api, localHostData, startLocalHost, type LocalHostData, type LocalHostProcess } from '../acceptance/local-host.js';
import { createRabbitFixture } from '../support/rabbitmq.js';
import { CONTENT_TYPE, FAULT_CONFIG, publishWithRetry, TENANTS, tenantOf, WORKER_TYPE } from './support/fault-host.js';
import { Ledger } from './support/ledger.js';
import { ResultBook } from './support/results.js';
import { FAULTS_LONG, loadSize } from './support/seed.js';

/*
 * `npm start` as a process, killed with SIGKILL under load (no cleanup, no flush) and started
 * again on the same data folder: the ledger must close with every request answered or waiting.
 */

const book = new ResultBook('host-kill');
const rabbit = createRabbitFixture('f-kill');
rabbit.trackWorkerType(WORKER_TYPE);
let data: LocalHostData | undefined;
let host: LocalHostProcess | undefined;
let ledger: Ledger | undefined;
const workers: Worker[] = [];

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop().catch(() => undefined)));
  if (host && host.child.exitCode === null) {
    host.child.kill('SIGTERM');
    await host.exited;
  }
  await ledger?.stop();
  await rabbit.cleanup();
  await data?.remove();
  book.write();
});

it('loses no request when the host is killed with SIGKILL mid-load and restarted on its data', async () => {
  data = await localHostData(rabbit.names);
  host = await startLocalHost(data);
  for (const tenant of TENANTS) expect((await api(host, tenant, 'PUT', '/configuration/native', FAULT_CONFIG)).status).toBe(200);
  const clientQueue = rabbit.name('client');
  await rabbit.declareQueue(clientQueue);
  await rabbit.bindQueue(clientQueue, rabbit.names.responseExchange, '');
  ledger = await Ledger.start(rabbit.url, clientQueue, `${rabbit.prefix}:ledger`);
  for (let n = 0; n < 2; n += 1) {
    workers.push(
      await startWorker({
        url: rabbit.url,
        names: rabbit.names,
        workerType: WORKER_TYPE,
        prefetch: 20,
        heartbeatIntervalMs: 500,
        heartbeatTenant: TENANTS[0],
        handle: handleExtract,
      }),
    );
  }
  const count = loadSize(300, 3_000);
  const ids = Array.from({ length: count }, (_, n) => `kill-${n}`);
  const keys = ids.map((id, n) => ledger!.key(tenantOf(n), id));
  const sending = (async () => {
    for (let n = 0; n < ids.length; n += 50) {
      await Promise.all(
        ids.slice(n, n + 50).map((id, i) => {
          ledger!.markSent(tenantOf(n + i), id);
          return publishWithRetry(rabbit, rabbit.names.requestExchange, JSON.stringify({ file: `${id}.dat` }), {
            [Header.tenant]: tenantOf(n + i),
            [Header.requestId]: id,
            [Header.owner]: 'faults',
            [Header.session]: 'kill',
            [Header.contentType]: CONTENT_TYPE,
          });
        }),
      );
    }
  })();
  const started = Date.now();
  const kills = FAULTS_LONG ? 3 : 1;
  const killedAfter: number[] = [];
  for (let round = 0; round < kills; round += 1) {
    const target = Math.floor((count * (round + 1)) / (kills + 2));
    while (keys.filter((key) => ledger!.isFinal(key)).length < target && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
    killedAfter.push(keys.filter((key) => ledger!.isFinal(key)).length);
    host.child.kill('SIGKILL');
    expect(await host.exited).toBe('SIGKILL');
    host = await startLocalHost(data);
  }
  await sending;
  const pending = await ledger.settle(keys, 120_000, 15_000);
  await ledger.quiet(1_500);
  const waiting: string[] = [];
  const statuses: Record<string, number> = {};
  for (const key of pending) {
    const [tenant, id] = key.split('/') as [string, string];
    const answer = await api(host, tenant, 'GET', `/requests/${id}`);
    if (answer.status !== 200) continue;
    const status = String((answer.body as { content?: { status?: string } }).content?.status);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (!['SUCCESS', 'ERROR', 'INVALID_CONTENT'].includes(status)) waiting.push(key);
  }
  const summary = ledger.summary(keys, waiting);
  book.add({
    scenario: 'host SIGKILL and restart',
    fault: { kind: 'npm start process SIGKILL, restarted on its data folder', kills, answeredWhenKilled: killedAfter },
    ...summary,
    unansweredStatuses: statuses,
    settleSeconds: Math.round((Date.now() - started) / 100) / 10,
  });
  expect(summary.lost, JSON.stringify(summary)).toBe(0);
  expect(summary.conflicting).toBe(0);
});
