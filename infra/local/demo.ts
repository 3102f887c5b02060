import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import amqp from 'amqplib';
import { Header } from '../../shared/contract/headers.js';
import { DEFAULT_WIRE_NAMES } from '../../shared/contract/wire-names.js';
import { handleExtract } from '../../shared/worker-sdk/examples/extract-worker.js';
import { handleSip } from '../../shared/worker-sdk/examples/sip-worker.js';
import { startWorker, type Job, type JobOutcome, type Worker } from '../../shared/worker-sdk/src/index.js';

/*
 * `npm run demo`, next to a running `npm start`: configures a tenant through the admin API,
 * starts the two example workers, sends requests as a REGARDS client would, shows them move, and
 * ends with the final states counted. Everything goes through the public interfaces: AMQP and HTTP.
 */

const AMQP_URL = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const API = (process.env['WM_URL'] ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const TENANT = process.env['DEV_TENANT'] ?? 'demo';
const REQUESTS = Number(process.env['DEMO_REQUESTS'] ?? 24);
const names = DEFAULT_WIRE_NAMES;
const SESSION = `demo-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`;
const FINAL = new Set(['SUCCESS', 'ERROR', 'INVALID_CONTENT']);

const CONFIGURATION = {
  format: 'worker-manager/v1',
  resetBeforeImport: true,
  workers: [
    { workerType: 'extract', contentTypeInputs: ['raw-file'], contentTypeOutput: 'extracted' },
    { workerType: 'sip', contentTypeInputs: ['extracted'] },
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

async function token(): Promise<string> {
  if (process.env['WM_TOKEN']) return process.env['WM_TOKEN'];
  const file = join(process.env['DATA_DIR'] ?? '.data', 'dev-token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    throw new Error(`no token: set WM_TOKEN, or start the manager with \`npm start\` first (it writes ${file})`);
  }
}

async function call(bearer: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${API}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'x-tenant': TENANT, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new Error(`the manager's admin API does not answer at ${API}: start it with \`npm start\` in another terminal`);
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** The example handlers, slowed down so that the requests can be seen moving. */
function slowly(handle: (job: Job) => Promise<JobOutcome> | JobOutcome, ms: number) {
  return async (job: Job) => {
    await new Promise((resolve) => setTimeout(resolve, ms + Math.random() * ms));
    return handle(job);
  };
}

async function main(): Promise<void> {
  const bearer = await token();
  await call(bearer, 'PUT', '/configuration/native', CONFIGURATION);
  console.log(`tenant "${TENANT}" configured: extract and sip workers, and the 2-step workflow "archive"`);

  const workers: Worker[] = [
    await startWorker({ url: AMQP_URL, workerType: 'extract', prefetch: 4, heartbeatIntervalMs: 2000, handle: slowly(handleExtract, 300) }),
    await startWorker({ url: AMQP_URL, workerType: 'sip', prefetch: 4, heartbeatIntervalMs: 2000, handle: slowly(handleSip, 300) }),
  ];
  console.log('workers started: extract (4 at a time), sip (4 at a time)\n');

  // A REGARDS client: its own queue on the response exchange, then requests on the request exchange.
  const connection = await amqp.connect(AMQP_URL, { noDelay: true });
  const channel = await connection.createConfirmChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, names.responseExchange, '');
  const state = new Map<string, string>();
  const answers = new Map<string, number>();
  await channel.consume(
    queue,
    (message) => {
      if (message === null) return;
      if (message.properties.headers?.[Header.tenant] !== TENANT || message.properties.headers?.[Header.session] !== SESSION) return;
      const body = JSON.parse(message.content.toString()) as { state: string; requestId: string };
      state.set(body.requestId, body.state);
      answers.set(body.state, (answers.get(body.state) ?? 0) + 1);
    },
    { noAck: true },
  );

  const plan = Array.from({ length: REQUESTS }, (_, n) => {
    // A few bodies without a "file" field: the extract worker refuses them (INVALID_CONTENT).
    const body = n % 8 === 7 ? { note: 'no file here' } : { file: `file-${n}.dat` };
    return { id: `${SESSION}-${n}`, contentType: n % 2 === 0 ? 'raw-file' : 'archive', body };
  });
  for (const request of plan) {
    channel.publish(names.requestExchange, '', Buffer.from(JSON.stringify(request.body)), {
      persistent: true,
      contentType: 'application/json',
      headers: {
        [Header.tenant]: TENANT,
        [Header.requestId]: request.id,
        [Header.owner]: 'demo',
        [Header.session]: SESSION,
        [Header.contentType]: request.contentType,
      },
    });
  }
  await channel.waitForConfirms();
  console.log(`${plan.length} requests sent (half "raw-file" to the extract worker, half the "archive" workflow), session ${SESSION}\n`);

  const started = Date.now();
  const line = () => {
    const byState = new Map<string, number>();
    for (const id of plan.map((request) => request.id)) {
      const current = state.get(id) ?? 'sent';
      byState.set(current, (byState.get(current) ?? 0) + 1);
    }
    return ['sent', 'DELAYED', 'GRANTED', 'SUCCESS', 'INVALID_CONTENT', 'ERROR']
      .filter((name) => byState.has(name))
      .map((name) => `${name} ${byState.get(name)}`)
      .join(' | ');
  };
  while (plan.some((request) => !FINAL.has(state.get(request.id) ?? '')) && Date.now() - started < 60_000) {
    process.stdout.write(`\r  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s   ${line()}          `);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  process.stdout.write(`\r  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s   ${line()}          \n\n`);

  console.log('final state of each request, by content type:');
  for (const contentType of ['raw-file', 'archive']) {
    const counts = new Map<string, number>();
    for (const request of plan.filter((candidate) => candidate.contentType === contentType)) {
      const final = state.get(request.id) ?? 'no answer';
      counts.set(final, (counts.get(final) ?? 0) + 1);
    }
    console.log(`  ${contentType.padEnd(9)} ${[...counts].map(([name, n]) => `${name} ${n}`).join(', ')}`);
  }
  console.log(`\nanswers received: ${[...answers].map(([name, n]) => `${name} ${n}`).join(', ')}`);

  const counters = (await call(bearer, 'GET', `/sessions/counters?source=demo&session=${encodeURIComponent(SESSION)}`)) as { values: Record<string, number> };
  console.log('\nsession counters (GET /sessions/counters):');
  for (const [name, value] of Object.entries(counters.values).sort()) console.log(`  ${name.padEnd(34)} ${value}`);

  const kept = (await call(bearer, 'POST', '/requests?size=5', { session: SESSION, statuses: { mode: 'INCLUDE', values: ['INVALID_CONTENT', 'ERROR'] } })) as {
    content: { content: { requestId: string; status: string; error: string | null } }[];
  };
  console.log('\nrequests kept in error (POST /requests), first 5:');
  for (const { content } of kept.content) console.log(`  ${content.requestId}  ${content.status}  ${content.error ?? ''}`);
  console.log('\nretry them with: POST /requests/retry, or `npx wm requests retry` (see the README)');

  await channel.close();
  await connection.close();
  await Promise.all(workers.map((worker) => worker.stop()));
  const unfinished = plan.filter((request) => !FINAL.has(state.get(request.id) ?? '')).length;
  if (unfinished > 0) throw new Error(`${unfinished} requests did not finish within 60 s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
