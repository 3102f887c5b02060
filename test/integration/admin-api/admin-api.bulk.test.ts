import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type CliIo } from '../../../infra/local/cli/wm.js';
import { Header } from '../../../shared/contract/headers.js';
import { REGARDS_CONFIG_KEYS } from '../../../shared/contract/config-file.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import type { Request } from '../../../shared/domain/request/request.js';
import { apiCall, TEST_JWT_SECRET, tokenFor } from '../../support/admin-api-client.js';
import { eventually, startHarness, type HostHarness } from '../../support/host-harness.js';
import { makeRequest } from '../../support/store-contract/requests.js';

/*
 * The admin API at volume, through the local host's HTTP server: 2,500 requests paged exactly
 * once, a bulk retry of 1,000 requests followed to 100 % with every work item on the broker, a
 * bulk delete, and the `wm` CLI against the same host.
 */

let h: HostHarness;
const TENANT = 'tenant-bulk';
const WORKER = 'bulk-worker';
let workerQueue: string;

const exploit = () => tokenFor(TENANT, 'EXPLOIT');
const admin = () => tokenFor(TENANT, 'ADMIN');
const BASE = Date.parse('2026-02-01T00:00:00.000Z');

function seeded(prefix: string, count: number, overrides: (i: number) => Partial<Request>): Request[] {
  return Array.from({ length: count }, (_, i) =>
    makeRequest(TENANT, `${prefix}-${String(i).padStart(5, '0')}`, {
      contentType: 'bulk-type',
      stepWorkerType: WORKER,
      dispatchedWorkerType: WORKER,
      // Several per millisecond-second, not in id order, so the order is the index's.
      creationDate: new Date(BASE + ((i * 7919) % count) * 1000).toISOString(),
      ...overrides(i),
    }),
  );
}

beforeAll(async () => {
  h = await startHarness('admin-api-bulk', { only: [], http: { port: 0, auth: { secret: TEST_JWT_SECRET } } });
  h.rabbit.trackWorkerType(WORKER);
  workerQueue = workerRequestName(h.settings.names, WORKER);
  const file = {
    microservice: 'rs-worker-manager',
    modules: [
      {
        module: { id: 'workermanager' },
        resetBeforeImport: true,
        configuration: [{ key: REGARDS_CONFIG_KEYS.worker, value: { workerType: WORKER, contentTypeInputs: ['bulk-type'] } }],
      },
    ],
  };
  expect((await apiCall(h, 'POST', '/microservice/configuration', { token: tokenFor(TENANT, 'PROJECT_ADMIN'), body: file })).status).toBe(201);
  const now = new Date();
  await h.services.registry.record([{ workerType: WORKER, instanceId: 'w-1', receivedAt: now, reportedAt: now }], now);
});

afterAll(async () => {
  await h?.close();
});

describe('pagination', () => {
  it('pages through 2,500 requests with nextCursor, each exactly once, in creation order', async () => {
    const requests = seeded('page', 2_500, (i) => ({ status: (['SUCCESS', 'RUNNING', 'DISPATCHED', 'INVALID_CONTENT'] as const)[i % 4], source: 'paging' }));
    await h.services.requests.insertAll(requests);
    const ids: string[] = [];
    const filter = { source: 'paging' };
    let answer = await apiCall(h, 'POST', '/requests?size=300', { token: exploit(), body: filter });
    expect(answer.body.metadata).toMatchObject({ totalElements: 2_500, totalPages: 9, number: 0 });
    for (let pages = 1; ; pages += 1) {
      expect(answer.status).toBe(200);
      ids.push(...answer.body.content.map((entry: { content: { requestId: string } }) => entry.content.requestId));
      if (answer.body.nextCursor === undefined) break;
      expect(pages).toBeLessThan(20);
      answer = await apiCall(h, 'POST', `/requests?size=300&cursor=${answer.body.nextCursor}`, { token: exploit(), body: filter });
    }
    expect(ids).toHaveLength(2_500);
    expect(new Set(ids).size).toBe(2_500);
    const expected = [...requests]
      .sort((a, b) => (a.creationDate === b.creationDate ? (a.requestId < b.requestId ? -1 : 1) : a.creationDate < b.creationDate ? -1 : 1))
      .map((r) => r.requestId);
    expect(ids).toEqual(expected);
  });

  it('pages through them by page number too (REGARDS clients), the last page short', async () => {
    const ids: string[] = [];
    for (let page = 0; page < 3; page += 1) {
      const answer = await apiCall(h, 'POST', `/requests?page=${page}&size=1000&sort=creationDate,DESC`, { token: exploit(), body: { source: 'paging' } });
      expect(answer.body.metadata).toEqual({ size: 1000, totalElements: 2_500, totalPages: 3, number: page });
      ids.push(...answer.body.content.map((entry: { content: { requestId: string } }) => entry.content.requestId));
    }
    expect(ids).toHaveLength(2_500);
    expect(new Set(ids).size).toBe(2_500);
  });
});

describe('bulk jobs', () => {
  it('retries 1,000 blocked requests: progress reaches 100 % and every one is dispatched again', async () => {
    const requests = seeded('retry', 1_000, (i) => ({ status: i % 5 === 0 ? 'NO_WORKER_AVAILABLE' : 'ERROR', error: 'failed', source: 'to-retry' }));
    await h.services.requests.insertAll([...requests, ...seeded('busy', 5, () => ({ status: 'RUNNING', source: 'to-retry' }))]);
    const submitted = await apiCall(h, 'POST', '/requests/retry', { token: exploit(), body: { source: 'to-retry' } });
    expect(submitted.status).toBe(202);
    const progress: number[] = [];
    const done = await eventually(
      async () => {
        const job = (await apiCall(h, 'GET', `/jobs/${submitted.body.id}`, { token: exploit() })).body;
        progress.push(job.progress);
        return job.status === 'DONE' ? job : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'the retry job to finish' },
    );
    expect(done).toMatchObject({ progress: 100, processed: 1_000, succeeded: 1_000, skipped: 0, total: 1_000, totalExact: true });
    expect(progress.every((value, i) => i === 0 || value >= (progress[i - 1] ?? 0))).toBe(true);
    const work = await h.rabbit.collect(workerQueue, 1_000, { timeoutMs: 30_000 });
    const dispatched = work.map((message) => String(message.properties.headers?.[Header.requestId]));
    expect(new Set(dispatched)).toEqual(new Set(requests.map((r) => r.requestId)));
    const stored = await h.services.requests.getAll(TENANT, [...requests.map((r) => r.requestId), 'busy-00000']);
    expect([...stored.values()].filter((r) => r.status === 'DISPATCHED')).toHaveLength(1_000);
    expect(stored.get('busy-00000')?.status).toBe('RUNNING');
  });

  it('deletes the blocked requests matching a filter and leaves the others', async () => {
    const doomed = seeded('gone', 300, (i) => ({ status: i % 2 === 0 ? 'ERROR' : 'INVALID_CONTENT', source: 'to-delete' }));
    const kept = seeded('kept', 20, () => ({ status: 'DISPATCHED', source: 'to-delete' }));
    await h.services.requests.insertAll([...doomed, ...kept]);
    const submitted = await apiCall(h, 'DELETE', '/requests/delete', { token: admin(), body: { source: 'to-delete' } });
    expect(submitted.status).toBe(202);
    await h.host.adminApi!.jobs.idle();
    expect((await apiCall(h, 'GET', `/jobs/${submitted.body.id}`, { token: admin() })).body).toMatchObject({ status: 'DONE', progress: 100, succeeded: 300 });
    const left = await h.services.requests.getAll(
      TENANT,
      [...doomed, ...kept].map((r) => r.requestId),
    );
    expect([...left.keys()].sort()).toEqual(kept.map((r) => r.requestId).sort());
  });
});

describe('wm CLI against the host', () => {
  const execFileAsync = promisify(execFile);
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wm-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function io(token: string, lines: string[]): CliIo {
    return {
      env: { WM_URL: h.host.adminApi!.url, WM_TOKEN: token },
      fetch: globalThis.fetch,
      out: (text) => lines.push(text),
      err: (text) => lines.push(`ERR ${text}`),
      readFile: (path) => readFile(path, 'utf8'),
      writeFile: (path, text) => writeFile(path, text, 'utf8'),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      isTty: false,
    };
  }

  it('runs as an executable from the repository (the bin shim loads the TypeScript through tsx)', async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['infra/local/cli/wm.mjs', 'requests', 'search', '--source', 'to-retry', '--status', 'RUNNING', '--json'],
      {
        env: { ...process.env, WM_URL: h.host.adminApi!.url, WM_TOKEN: exploit() },
      },
    );
    const page = JSON.parse(stdout) as { content: { content: { requestId: string } }[] };
    expect(page.content.map((entry) => entry.content.requestId).sort()).toEqual(['busy-00000', 'busy-00001', 'busy-00002', 'busy-00003', 'busy-00004']);
  });

  it('retries with --watch to the end, prints workers, and exports then re-imports the configuration', async () => {
    await h.services.requests.insertAll(seeded('cli', 30, () => ({ status: 'ERROR', source: 'cli-source' })));
    const lines: string[] = [];
    expect(await run(['requests', 'retry', '--source', 'cli-source', '--watch', '--interval', '50'], io(exploit(), lines))).toBe(0);
    expect(lines[0]).toMatch(/^retry job \S+ started$/);
    expect(lines.at(-1)).toMatch(/\[#{30}\] 100%  retry DONE  processed 30\/30  succeeded 30/);
    await h.rabbit.collect(workerQueue, 30);

    const workers: string[] = [];
    expect(await run(['workers'], io(exploit(), workers))).toBe(0);
    expect(workers.join('\n')).toMatch(/bulk-worker\s+1/);

    const file = join(dir, 'config.json');
    const project = tokenFor(TENANT, 'PROJECT_ADMIN');
    expect(await run(['config', 'export', '--out', file], io(project, []))).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ microservice: 'rs-worker-manager' });
    const imported: string[] = [];
    expect(await run(['config', 'import', file], io(project, imported))).toBe(0);
    expect(imported).toEqual(['configuration imported']);
  });

  it('reports refusals with the API message and exit code 1, usage errors with 2', async () => {
    const lines: string[] = [];
    expect(await run(['requests', 'delete', '--source', 'x'], io(exploit(), lines))).toBe(1);
    expect(lines.join('\n')).toContain('403');
    const usage: string[] = [];
    expect(await run(['requests', 'frobnicate'], io(exploit(), usage))).toBe(2);
    const search: string[] = [];
    expect(await run(['requests', 'search', '--status', 'LOST'], io(exploit(), search))).toBe(1);
    expect(search.join('\n')).toMatch(/400 .*\n.*statuses/);
  });
});
