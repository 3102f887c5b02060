import type { ConsumeMessage } from 'amqplib';
import { Header } from '../../shared/contract/headers.js';
import { workerRequestName } from '../../shared/contract/wire-names.js';
import { buildWorkerResponse } from '../../shared/contract/worker-response.js';
import { declareWorkerQueues, publishRequest, startHarness, type HostHarness } from '../support/host-harness.js';
import { bringAlive, configure } from '../support/use-case-fixtures.js';

/*
 * `npx tsx test/bench/fairness.ts [--a 5000] [--b 50] [--limit 40]`: issue 16's fairness figure,
 * through the local host on the real broker and dynalite. Tenant A publishes a backlog, then tenant
 * B a few requests; only then does a worker start, answering SUCCESS to each work item in the order
 * it reaches the worker queue. Run once with `fairDispatch` limiting the worker type and once
 * without: where B's last request finishes, counted in A's requests done before it. Prints one
 * markdown table; the README quotes it. Not part of `npm test` (it takes a minute or two).
 */

const argument = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? fallback : Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1`);
  return value;
};

const A = 'tenant-a';
const B = 'tenant-b';
const A_BACKLOG = argument('a', 5000);
const B_FEW = argument('b', 50);
const LIMIT = argument('limit', 40);

interface Outcome {
  mode: string;
  aDoneBeforeLastOfB: number;
  lastOfBPosition: number;
  seconds: number;
  /** Work items seen when none came for STALL_MS while requests were still unanswered. */
  stalledAfter?: number;
}

/** No work item for this long while requests remain: the run is reported as stalled, not waited for. */
const STALL_MS = 15_000;

async function run(limit: number | undefined): Promise<Outcome> {
  const h = await startHarness('bench-fairness', {
    only: ['register-requests', 'handle-worker-responses'],
    settings: limit === undefined ? {} : { fairDispatch: { workerTypes: { extract: { maxInFlight: limit } }, tenantWeights: {} } },
  });
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    for (const tenant of [A, B]) await configure(h.services, tenant, { workers: [{ workerType: 'extract', contentTypeInputs: ['to-extract'] }] });
    await bringAlive(h.services, 'extract');
    // The worker below sends no heartbeat of its own: without one every 10 s, its type would die a
    // minute in and the waiting requests go NO_WORKER_AVAILABLE, as they should.
    heartbeat = setInterval(() => void bringAlive(h.services, 'extract'), 10_000);
    await declareWorkerQueues(h, ['extract']);
    for (let index = 0; index < A_BACKLOG; index += 1) await publishRequest(h, `a-${index}`, { [Header.tenant]: A });
    // B publishes once A's backlog is registered (each request answered), so B's arrive behind A's.
    await h.rabbit.collect(h.clientQueue, A_BACKLOG, { timeoutMs: 600_000 });
    for (let index = 0; index < B_FEW; index += 1) await publishRequest(h, `b-${index}`, { [Header.tenant]: B });
    await h.rabbit.collect(h.clientQueue, B_FEW, { timeoutMs: 60_000 });
    const started = performance.now();
    const total = A_BACKLOG + B_FEW;
    const done = await work(h, total);
    const lastOfB = done.lastIndexOf(B);
    return {
      ...(done.length < total ? { stalledAfter: done.length } : {}),
      mode: limit === undefined ? 'no limit' : `limit ${limit} in flight`,
      aDoneBeforeLastOfB: done.slice(0, lastOfB).filter((tenant) => tenant === A).length,
      lastOfBPosition: lastOfB + 1,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    clearInterval(heartbeat);
    await h.close();
  }
}

/** A worker of prefetch 50: answers each work item, in the order received, and returns the tenants in that order. */
async function work(h: HostHarness, total: number): Promise<string[]> {
  const model = await h.rabbit.provider().get();
  const channel = await model.createChannel();
  await channel.prefetch(50);
  const done: string[] = [];
  let pending: ConsumeMessage[] = [];
  await channel.consume(workerRequestName(h.settings.names, 'extract'), (message) => {
    if (message !== null) pending.push(message);
  });
  let lastSeen = performance.now();
  while (done.length < total) {
    if (performance.now() - lastSeen > STALL_MS) break;
    if (pending.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      continue;
    }
    const batch = pending;
    pending = [];
    lastSeen = performance.now();
    await h.services.bus.publish(
      batch.map((message) => {
        const headers = message.properties.headers ?? {};
        return buildWorkerResponse(
          { exchange: h.settings.names.workerResponse },
          {
            tenant: String(headers[Header.tenant]),
            requestId: String(headers[Header.requestId]),
            status: 'SUCCESS',
            dispatchAttempt: Number(headers[Header.dispatchAttempt]),
            dispatchToken: String(headers[Header.dispatchToken]),
          },
        );
      }),
    );
    for (const message of batch) {
      channel.ack(message);
      done.push(String(message.properties.headers?.[Header.tenant]));
    }
  }
  await channel.close();
  return done;
}

const outcomes = [await run(LIMIT), await run(undefined)];
console.log(`Tenant A: ${A_BACKLOG} requests, then tenant B: ${B_FEW}; one worker of prefetch 50 starts after both are registered.\n`);
console.log("| mode | B's last request finished at | A's requests done before it | share of A's backlog | worker phase |");
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const outcome of outcomes) {
  const share = ((outcome.aDoneBeforeLastOfB / A_BACKLOG) * 100).toFixed(1);
  const stalled = outcome.stalledAfter === undefined ? '' : ` (stalled: no work item for ${STALL_MS / 1000} s after ${outcome.stalledAfter})`;
  console.log(
    `| ${outcome.mode}${stalled} | ${outcome.lastOfBPosition} of ${A_BACKLOG + B_FEW} | ${outcome.aDoneBeforeLastOfB} | ${share} % | ${outcome.seconds.toFixed(1)} s |`,
  );
}
