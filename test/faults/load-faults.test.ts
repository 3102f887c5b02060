import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventSourceHandler } from '../../infra/local/event-source-emulator.js';
import { closeConnections } from './support/broker-control.js';
import { startFaultHost, TENANTS, WORKER_TYPE, type FaultHost } from './support/fault-host.js';
import { ResultBook } from './support/results.js';
import { runLoad, type LoadOutcome } from './support/scenario.js';
import { FAULTS_LONG, loadSize } from './support/seed.js';

/*
 * Faults under load against the local host on the real broker and dynalite: each fault hits while
 * requests are being registered, dispatched and answered, and ends with the ledger: every request
 * sent has a final answer (duplicates counted) or is shown waiting by the admin API; none is lost.
 */

const book = new ResultBook('load-faults');
const N = loadSize(160, 3_000);
let fh: FaultHost | undefined;

afterEach(async () => {
  await fh?.close();
  fh = undefined;
});

afterAll(() => book.write());

function expectLedger(outcome: LoadOutcome): void {
  book.add(outcome);
  expect(outcome.lost, JSON.stringify(outcome)).toBe(0);
  expect(outcome.conflicting).toBe(0);
  expect(outcome.strangers).toBe(0);
  expect(outcome.answered + outcome.waiting).toBe(outcome.sent);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('faults under load, local host on the real broker and dynalite', () => {
  it('baseline: no fault', async () => {
    fh = await startFaultHost('f-base');
    await fh.startWorkers(2);
    expectLedger(await runLoad(fh, { name: 'baseline', count: N, fault: async () => ({ kind: 'none' }) }));
  });

  it('the broker closes the host, worker and client connections mid-load', async () => {
    const h = (fh = await startFaultHost('f-conn'));
    await h.startWorkers(2);
    const outcome = await runLoad(h, {
      name: 'conn',
      count: N,
      fault: async () => {
        const mine = (name: string) => h.isOwnConnection(name) || (name.startsWith(`${h.rabbit.prefix}:`) && !name.endsWith(':admin'));
        const rounds = FAULTS_LONG ? 3 : 1;
        let closed = 0;
        for (let round = 0; round < rounds; round += 1) {
          closed += await closeConnections(mine);
          if (round < rounds - 1) await sleep(2_000);
        }
        return { kind: 'rabbitmqctl close_connection of this test’s connections', rounds, closed };
      },
    });
    expect(outcome.fault['closed']).toBeGreaterThan(0);
    expectLedger(outcome);
  });

  // Here the outage starts once every request is taken in, and hits the dispatches and the worker
  // answers; store-outage.test.ts cuts the store while requests arrive.
  it('the store is unreachable for a few seconds after the requests were taken in', async () => {
    const h = (fh = await startFaultHost('f-store'));
    await h.startWorkers(2);
    const downMs = FAULTS_LONG ? 15_000 : 4_000;
    const outcome = await runLoad(h, {
      name: 'store',
      count: N,
      faultAfterRegistered: true,
      fault: async () => {
        h.proxy.cut();
        await sleep(downMs);
        h.proxy.restore();
        return { kind: 'store connections cut and refused', downMs };
      },
    });
    expectLedger(outcome);
  });

  it('the handlers throw mid-batch, before and after applying it', async () => {
    const thrown = { 'register-requests': 0, 'handle-worker-responses': 0 };
    // Every other invocation of register-requests crashes after its work, of handle-worker-responses
    // before it: the emulator requeues the batch as Lambda retries it. Small batches make many.
    const every =
      (fn: keyof typeof thrown, n: number, when: 'before' | 'after') =>
      (handler: EventSourceHandler): EventSourceHandler => {
        let calls = 0;
        return async (event) => {
          calls += 1;
          const fail = calls % n === 1;
          if (fail && when === 'before') {
            thrown[fn] += 1;
            throw new Error(`fault test: ${fn} crashed before its batch`);
          }
          const result = await handler(event);
          if (fail) {
            thrown[fn] += 1;
            throw new Error(`fault test: ${fn} crashed after its batch`);
          }
          return result;
        };
      };
    const h = (fh = await startFaultHost('f-throw', {
      wrap: { 'register-requests': every('register-requests', 2, 'after'), 'handle-worker-responses': every('handle-worker-responses', 2, 'before') },
      settings: {
        mappings: {
          registerRequests: { batchSize: 25, maximumBatchingWindowSeconds: 0 },
          handleWorkerResponses: { batchSize: 25, maximumBatchingWindowSeconds: 0 },
        },
      },
    }));
    await h.startWorkers(2);
    const outcome = await runLoad(h, { name: 'throw', count: N, faultAfterAnswers: 0, fault: async () => ({ kind: 'handler throws', thrown }) });
    expect(thrown['register-requests'] + thrown['handle-worker-responses']).toBeGreaterThan(0);
    expectLedger(outcome);
  });

  it('a worker process is killed with SIGKILL in the middle of its jobs', async () => {
    const h = (fh = await startFaultHost('f-worker'));
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./support/worker-process.ts', import.meta.url))], {
      env: {
        ...process.env,
        AMQP_URL: h.rabbit.url,
        WIRE_NAMES: JSON.stringify(h.settings.names),
        WORKER_TYPE,
        PREFETCH: '40',
        DELAY_MS: '40',
        HEARTBEAT_TENANT: TENANTS[0],
        CONNECTION_NAME: `${h.rabbit.prefix}:worker-process`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(String(signal ?? code))));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('worker started') && resolve());
      void exited.then((code) => reject(new Error(`the worker process exited (${code}) before it started`)));
    });
    const outcome = await runLoad(h, {
      name: 'worker',
      count: N,
      fault: async () => {
        child.kill('SIGKILL');
        const signal = await exited;
        // The survivor takes over what the killed one held unacknowledged.
        await h.startWorkers(1);
        return { kind: 'worker process SIGKILL, another worker started after', signal };
      },
    });
    expect(outcome.fault['signal']).toBe('SIGKILL');
    expectLedger(outcome);
  });
});
