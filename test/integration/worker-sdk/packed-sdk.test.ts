import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { json, startHarness, type HostHarness } from '../../support/host-harness.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

/*
 * The worker SDK as someone outside this repository gets it: built, packed with `npm pack`,
 * installed from the tarball into an empty folder (amqplib and zod from the registry), and
 * imported by name from a plain .mjs worker that runs as its own node process against a manager.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TENANT = 'tenant-packed';
const WORKER_TYPE = 'packed';
const TIME_LIMIT_MS = 120_000;
const run = promisify(execFile);

const WORKER_SOURCE = `
import { startWorker, InvalidContentError } from '@worker-manager/worker-sdk';

const worker = await startWorker({
  url: process.env.AMQP_URL,
  workerType: process.env.WORKER_TYPE,
  names: JSON.parse(process.env.WIRE_NAMES),
  heartbeatIntervalMs: 1000,
  handle: async (job) => {
    if (job.body.length === 0) throw new InvalidContentError('nothing to pack');
    await job.running('packing');
    return job.success({ packed: job.text() }, { 'packed.by': 'tarball' });
  },
});
console.log('READY ' + worker.queue);
process.on('SIGTERM', () => void worker.stop().then(() => process.exit(0)));
`;

describe('the packed worker SDK', () => {
  let h: HostHarness;
  let folder: string;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'packed-sdk-'));
    // prepack builds dist/ (esbuild bundle + declarations) before the tarball is made.
    const packed = await run('npm', ['pack', '--json', '--pack-destination', folder, '-w', '@worker-manager/worker-sdk'], {
      cwd: ROOT,
      timeout: TIME_LIMIT_MS,
    });
    const [tarball] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    if (!tarball) throw new Error(`npm pack made no tarball: ${packed.stdout}`);
    expect(tarball.files.map((file) => file.path)).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js']));
    expect(tarball.files.some((file) => file.path.startsWith('src/'))).toBe(false);

    const app = join(folder, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'packed-sdk-check', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(folder, tarball.filename)], { cwd: app, timeout: TIME_LIMIT_MS });
    await writeFile(join(app, 'worker.mjs'), WORKER_SOURCE);

    // Tokens required: the request reaches SUCCESS only if the packed SDK echoes wm.dispatch.token.
    h = await startHarness('packed-sdk', { only: ['register-requests', 'handle-worker-responses'], settings: { requireDispatchToken: true } });
    await configure(h.services, TENANT, { workers: [{ workerType: WORKER_TYPE, contentTypeInputs: ['to-pack'] }] });
    h.rabbit.trackWorkerType(WORKER_TYPE);
    await bringAlive(h.services, WORKER_TYPE);

    const started = spawn(process.execPath, ['worker.mjs'], {
      cwd: app,
      env: { ...process.env, AMQP_URL: h.rabbit.url, WORKER_TYPE, WIRE_NAMES: JSON.stringify(h.settings.names) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('READY')) resolve();
      };
      started.stdout.on('data', onData);
      started.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      started.once('exit', (code) => reject(new Error(`the packed worker exited with ${code}: ${output}`)));
    });
  }, TIME_LIMIT_MS);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await h?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  }, 30_000);

  it(
    'runs outside the repository and takes a client request to SUCCESS',
    async () => {
      await h.rabbit.publish(h.settings.names.requestExchange, '', 'box', {
        headers: { [Header.tenant]: TENANT, [Header.requestId]: 'packed-1', [Header.owner]: 'o', [Header.session]: 's', [Header.contentType]: 'to-pack' },
      });

      const answers = (await h.rabbit.collect(h.clientQueue, 2, { timeoutMs: 20_000 })).map(json);

      expect(output).toContain(`READY ${workerRequestName(h.settings.names, WORKER_TYPE)}`);
      expect(answers.map((answer) => [answer['requestId'], answer['state']])).toEqual([
        ['packed-1', 'GRANTED'],
        ['packed-1', 'SUCCESS'],
      ]);
      expect(JSON.parse(Buffer.from(String(answers[1]?.['content']), 'base64').toString())).toEqual({ packed: 'box' });
    },
    TIME_LIMIT_MS,
  );
});
