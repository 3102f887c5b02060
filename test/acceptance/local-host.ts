import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WireNames } from '../../shared/contract/wire-names.js';

/*
 * `npm start` as a user runs it: a child process of `tsx infra/local/main.ts`, configured only by
 * environment variables, reached only through the broker and its HTTP API. Its data folder
 * outlives a process, so a test can kill it and start it again on the same data.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LocalHostProcess {
  url: string;
  token: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>;
}

export interface LocalHostData {
  dataDir: string;
  names: WireNames;
  remove(): Promise<void>;
}

export async function localHostData(names: WireNames): Promise<LocalHostData> {
  const dataDir = await mkdtemp(join(tmpdir(), 'wm-acceptance-'));
  return { dataDir, names, remove: () => rm(dataDir, { recursive: true, force: true }) };
}

/** How to run the host: by default node on this checkout's infra/local/main.ts. */
export interface LocalHostLaunch {
  command: string;
  args: string[];
  cwd: string;
}

// node itself, not the tsx CLI: the CLI runs the program in a child process, which a SIGKILL of
// the CLI would leave running.
const NODE_ON_THIS_CHECKOUT: LocalHostLaunch = { command: process.execPath, args: ['--import', 'tsx', join(ROOT, 'infra/local/main.ts')], cwd: ROOT };

export async function startLocalHost(
  data: LocalHostData,
  extraEnv: Record<string, string> = {},
  launch: LocalHostLaunch = NODE_ON_THIS_CHECKOUT,
): Promise<LocalHostProcess> {
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: {
      ...process.env,
      DATA_DIR: data.dataDir,
      HTTP_PORT: '0',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      SWEEP_INTERVAL_SECONDS: '1',
      WM_SETTINGS: JSON.stringify({ names: data.names }),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the local host did not start within 60 s:\n${output}`)), 60_000);
    const look = () => {
      const match = /admin API\s+(http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the local host exited (${code}) before it started:\n${output}`));
    });
  });
  const token = (await readFile(join(data.dataDir, 'dev-token'), 'utf8')).trim();
  return { url, token, child, output: () => output, exited };
}

/** An admin API call with the development token (an instance admin acting on `tenant`). */
export async function api(host: LocalHostProcess, tenant: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${host.token}`, 'x-tenant': tenant, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}
