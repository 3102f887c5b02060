import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildRole } from './children.js';

/** A forked bench process (children.ts), ready once it said so; stop() asks it to close, then kills it after a deadline. */
export interface Child {
  pid: number;
  /** The first non-'ready' message it sent (the store's endpoint). */
  info: Record<string, unknown>;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./children.ts', import.meta.url));

export async function startChild(role: ChildRole, timeoutMs = 30_000): Promise<Child> {
  const child: ChildProcess = fork(CHILD, [JSON.stringify(role)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const info: Record<string, unknown> = {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench: ${role.role} did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (message) => {
      if (message === 'ready') {
        clearTimeout(timer);
        resolve();
      } else if (typeof message === 'object' && message !== null) {
        Object.assign(info, message);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench: ${role.role} exited with ${String(code)} before it was ready`));
    });
  });
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid ?? 0,
    info,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send('stop');
      })),
  };
}
