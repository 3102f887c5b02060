import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRabbitFixture, type RabbitFixture } from '../support/rabbitmq.js';
import { localHostData, startLocalHost, type LocalHostData, type LocalHostProcess } from './local-host.js';

/*
 * `npm start` on an install without the development dependencies (`npm ci --omit=dev`, as a
 * server would install it): everything the local host loads at run time must be a dependency.
 * The sources are copied next to the lock file, without node_modules, so nothing of this
 * checkout's full install can leak in.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUN_TIME_SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'shared', 'functions', 'infra'];

const run = promisify(execFile);

describe('npm start without dev dependencies', () => {
  let rabbit: RabbitFixture;
  let data: LocalHostData;
  let app: string;
  let host: LocalHostProcess | undefined;

  beforeAll(async () => {
    rabbit = createRabbitFixture('omit-dev');
    data = await localHostData(rabbit.names);
    app = await mkdtemp(join(tmpdir(), 'wm-omit-dev-'));
    for (const source of RUN_TIME_SOURCES) await cp(join(ROOT, source), join(app, source), { recursive: true });
    await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: app, timeout: 150_000 });
  }, 180_000);

  afterAll(async () => {
    if (host && host.child.exitCode === null) {
      host.child.kill('SIGKILL');
      await host.exited;
    }
    await rabbit?.cleanup();
    await data?.remove();
    if (app) await rm(app, { recursive: true, force: true });
  });

  it('installs the run-time loader and no development tool', () => {
    const installed = (name: string) => existsSync(join(app, 'node_modules', name));
    expect(installed('tsx')).toBe(true);
    expect(['typescript', 'vitest', 'aws-cdk-lib', 'eslint'].filter(installed)).toEqual([]);
  });

  it('comes up, answers /health, and stops cleanly on SIGTERM', async () => {
    host = await startLocalHost(data, { LOG_LEVEL: 'info' }, { command: 'npm', args: ['start', '--silent'], cwd: app });
    const health = await fetch(`${host.url}/health`);
    expect(health.status).toBe(200);

    host.child.kill('SIGTERM');
    const exit = await host.exited;
    expect(host.output()).toMatch(/"stopped"/);
    expect(exit).toBe(0);
  }, 120_000);
});
