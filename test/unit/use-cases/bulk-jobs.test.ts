import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryJobLauncher } from '../../../shared/adapters/memory/memory-job-launcher.js';
import { MemoryJobStore } from '../../../shared/adapters/memory/memory-job-store.js';
import { Header } from '../../../shared/contract/headers.js';
import { SearchRequestParametersSchema, type SearchRequestParametersInput } from '../../../shared/contract/search-request-parameters.js';
import type { Request } from '../../../shared/domain/request/request.js';
import { getBulkJob, jobProgress, newJobId, resumeBulkJob, submitBulkJob, submitRequestRetry } from '../../../shared/application/use-cases/bulk-jobs.js';
import { runBulkJob, BULK_PAGE_SIZE } from '../../../shared/application/use-cases/run-bulk-job.js';
import { JobFinishedError, JobNotFoundError, RequestNotFoundError, RetryRefusedError } from '../../../shared/application/use-cases/use-case-errors.js';
import type { BulkJob } from '../../../shared/ports/job-store.js';
import { StoreUnavailableError } from '../../../shared/ports/request-store.js';
import { makeRequest } from '../../support/store-contract/requests.js';
import { bringAlive, configure, memoryWorld, type MemoryWorld } from '../../support/use-case-fixtures.js';

const TENANT = 'tenant-a';
const WORK_EXCHANGE = 'regards.worker.extract-worker.request';

function blocked(requestId: string, overrides: Partial<Request> = {}): Request {
  return makeRequest(TENANT, requestId, {
    contentType: 'to-extract',
    status: 'ERROR',
    error: 'boom',
    stepWorkerType: 'extract-worker',
    dispatchedWorkerType: 'extract-worker',
    creationDate: '2026-03-01T09:00:00.000Z',
    ...overrides,
  });
}

describe('bulk jobs', () => {
  let world: MemoryWorld & { jobs: MemoryJobStore; launcher: MemoryJobLauncher };

  beforeEach(async () => {
    world = { ...memoryWorld(), jobs: new MemoryJobStore(), launcher: new MemoryJobLauncher() };
    await configure(world, TENANT, { workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
    await bringAlive(world, 'extract-worker');
  });

  const submit = (kind: BulkJob['kind'], filter: SearchRequestParametersInput = {}) =>
    submitBulkJob({ tenant: TENANT, kind, filter: SearchRequestParametersSchema.parse(filter), requestedBy: 'ops' }, world);

  const runToEnd = async (job: BulkJob, maxPages = 100) => {
    for (let calls = 0; calls < 50; calls += 1) {
      const result = await runBulkJob({ tenant: TENANT, jobId: job.id }, world, { maxPages });
      if (result.outcome !== 'more') return result;
    }
    throw new Error('job did not end');
  };

  it('submits a PENDING job, launches it, and fixes its creation bound at submission', async () => {
    const job = await submit('retry', { source: 'owner' });
    expect(job).toMatchObject({
      tenant: TENANT,
      kind: 'retry',
      status: 'PENDING',
      processed: 0,
      requestedBy: 'ops',
      createdBefore: '2026-03-01T10:00:00.000Z',
    });
    expect(world.launcher.launched).toEqual([{ tenant: TENANT, jobId: job.id }]);
    expect(await getBulkJob(TENANT, job.id, world)).toEqual(job);
    await expect(getBulkJob('tenant-b', job.id, world)).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('retries every blocked request matching the filter, dispatches it again, and reaches 100 %', async () => {
    const requests = Array.from({ length: 450 }, (_, i) => blocked(`r-${i}`, { status: i % 3 === 0 ? 'NO_WORKER_AVAILABLE' : 'ERROR' }));
    await world.requests.insertAll([...requests, blocked('running', { status: 'RUNNING' }), blocked('other-source', { source: 'someone-else' })]);
    const job = await submit('retry', { source: 'owner-1' });
    const result = await runToEnd(job);
    expect(result.outcome).toBe('finished');
    expect(result.job).toMatchObject({ status: 'DONE', processed: 450, succeeded: 450, skipped: 0, total: 450, totalExact: true });
    expect(jobProgress(result.job!)).toBe(100);
    const work = world.bus.to(WORK_EXCHANGE).map((message) => String(message.headers[Header.requestId]));
    expect(new Set(work)).toEqual(new Set(requests.map((r) => r.requestId)));
    expect(work).toHaveLength(450);
    const after = await world.requests.getAll(TENANT, ['r-0', 'r-1', 'running', 'other-source']);
    expect(after.get('r-0')?.status).toBe('DISPATCHED');
    expect(after.get('r-1')?.status).toBe('DISPATCHED');
    expect(after.get('running')?.status).toBe('RUNNING');
    expect(after.get('other-source')?.status).toBe('ERROR');
  });

  it('forces the blocked statuses: a filter naming RUNNING still touches only blocked requests', async () => {
    await world.requests.insertAll([blocked('running', { status: 'RUNNING' }), blocked('failed')]);
    const job = await submit('delete', { statuses: { mode: 'INCLUDE', values: ['RUNNING', 'ERROR'] } });
    const result = await runToEnd(job);
    expect(result.job).toMatchObject({ status: 'DONE', processed: 1, succeeded: 1 });
    const left = await world.requests.getAll(TENANT, ['running', 'failed']);
    expect([...left.keys()]).toEqual(['running']);
  });

  it('leaves a trace of each request it deletes, as every removal does (RequestStore.deleteAll)', async () => {
    await world.requests.insertAll([blocked('failed-1'), blocked('failed-2')]);
    expect(world.requests.traceCount).toBe(0);
    await runToEnd(await submit('delete'));
    expect(world.requests.size).toBe(0);
    expect(world.requests.traceCount).toBe(2);
  });

  it('leaves out requests created after the job was submitted', async () => {
    await world.requests.insertAll([blocked('before')]);
    const job = await submit('delete');
    await world.requests.insertAll([blocked('after', { creationDate: '2026-03-01T10:00:01.000Z' })]);
    await runToEnd(job);
    expect([...(await world.requests.getAll(TENANT, ['before', 'after'])).keys()]).toEqual(['after']);
  });

  it('stops when its page budget is spent, saves the cursor, and the next call resumes without touching a request twice', async () => {
    await world.requests.insertAll(Array.from({ length: BULK_PAGE_SIZE * 2 + 10 }, (_, i) => blocked(`p-${String(i).padStart(3, '0')}`)));
    const job = await submit('retry');
    const first = await runBulkJob({ tenant: TENANT, jobId: job.id }, world, { maxPages: 1 });
    expect(first.outcome).toBe('more');
    const saved = await getBulkJob(TENANT, job.id, world);
    expect(saved).toMatchObject({ status: 'RUNNING', processed: BULK_PAGE_SIZE, cursor: expect.any(String) });
    expect(jobProgress(saved)).toBe(Math.floor((BULK_PAGE_SIZE / (BULK_PAGE_SIZE * 2 + 10)) * 100));
    const timed = await runBulkJob({ tenant: TENANT, jobId: job.id }, world, { maxPages: 10, timeLeftMs: () => 1_000, reserveMs: 5_000 });
    expect(timed).toMatchObject({ outcome: 'more', pages: 0 });
    const rest = await runToEnd(job);
    expect(rest.job).toMatchObject({ status: 'DONE', processed: BULK_PAGE_SIZE * 2 + 10, succeeded: BULK_PAGE_SIZE * 2 + 10 });
    expect(world.bus.to(WORK_EXCHANGE)).toHaveLength(BULK_PAGE_SIZE * 2 + 10);
  });

  it('counts requests changed by someone else between the page and the write as skipped', async () => {
    await world.requests.insertAll([blocked('a'), blocked('b')]);
    const job = await submit('retry');
    // Someone dispatches "b" while the job reads its page: the store hands the job a stale summary.
    const search = world.requests.search.bind(world.requests);
    world.requests.search = async (tenant, query, page) => {
      const found = await search(tenant, query, page);
      const b = (await world.requests.getAll(TENANT, ['b'])).get('b')!;
      // Only the page read (the count before it reads with a larger limit).
      if (page.limit === BULK_PAGE_SIZE && b.status === 'ERROR') {
        await world.requests.updateAll([{ previous: b, next: { ...b, status: 'RUNNING', version: b.version + 1 } }]);
      }
      return found;
    };
    const result = await runToEnd(job);
    expect(result.job).toMatchObject({ status: 'DONE', processed: 2, succeeded: 1, skipped: 1 });
  });

  it('stops ("lost") when another runner wrote the job first', async () => {
    await world.requests.insertAll([blocked('a')]);
    const job = await submit('retry');
    const update = world.jobs.update.bind(world.jobs);
    world.jobs.update = async () => 'conflict';
    expect((await runBulkJob({ tenant: TENANT, jobId: job.id }, world, { maxPages: 5 })).outcome).toBe('lost');
    world.jobs.update = update;
  });

  it('changes nothing on a page whose work items the broker refuses, so the next run retries every request of it', async () => {
    await world.requests.insertAll([blocked('p-1'), blocked('p-2')]);
    const job = await submit('retry');
    world.bus.failing = true;
    await expect(runBulkJob({ tenant: TENANT, jobId: job.id }, world, { maxPages: 5 })).rejects.toThrow('broker marked unavailable');
    expect((await world.requests.getAll(TENANT, ['p-1'])).get('p-1')?.status).toBe('ERROR');
    world.bus.failing = false;
    expect((await runToEnd(job)).job).toMatchObject({ status: 'DONE', succeeded: 2 });
    expect(
      world.bus
        .to(WORK_EXCHANGE)
        .map((message) => message.headers[Header.requestId])
        .sort(),
    ).toEqual(['p-1', 'p-2']);
  });

  it('rethrows a store outage with the job still resumable, and marks a job FAILED on anything else', async () => {
    await world.requests.insertAll([blocked('a')]);
    const job = await submit('retry');
    world.requests.unavailable = true;
    await expect(runBulkJob({ tenant: TENANT, jobId: job.id }, world, { maxPages: 5 })).rejects.toBeInstanceOf(StoreUnavailableError);
    world.requests.unavailable = false;
    expect((await getBulkJob(TENANT, job.id, world)).status).toBe('PENDING');
    expect((await runToEnd(job)).job?.status).toBe('DONE');

    const broken = await submit('retry');
    const running = await getBulkJob(TENANT, broken.id, world);
    await world.jobs.update(running, { ...running, status: 'RUNNING', cursor: 'not-a-cursor', version: running.version + 1 });
    const failed = await runBulkJob({ tenant: TENANT, jobId: broken.id }, world, { maxPages: 5 });
    expect(failed).toMatchObject({ outcome: 'finished', job: { status: 'FAILED', error: expect.stringContaining('InvalidCursorError') } });
  });

  it('resumes an unfinished job through the launcher and refuses a finished one', async () => {
    const job = await submit('retry');
    world.launcher.launched.length = 0;
    await resumeBulkJob(TENANT, job.id, world);
    expect(world.launcher.launched).toEqual([{ tenant: TENANT, jobId: job.id }]);
    await runToEnd(job);
    await expect(resumeBulkJob(TENANT, job.id, world)).rejects.toBeInstanceOf(JobFinishedError);
    expect((await runBulkJob({ tenant: TENANT, jobId: 'unknown' }, world, { maxPages: 1 })).outcome).toBe('finished');
  });

  it('makes job ids that sort by creation time (UUIDv7)', () => {
    const early = newJobId(new Date('2026-03-01T10:00:00.000Z'), new Uint8Array(10).fill(255));
    const late = newJobId(new Date('2026-03-01T10:00:00.001Z'), new Uint8Array(10));
    expect(early).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(early < late).toBe(true);
  });
});

describe('restarting workflows from their first or a chosen step', () => {
  let world: MemoryWorld & { jobs: MemoryJobStore; launcher: MemoryJobLauncher };

  beforeEach(async () => {
    world = { ...memoryWorld(), jobs: new MemoryJobStore(), launcher: new MemoryJobLauncher() };
    await configure(world, TENANT, {
      workers: [
        { workerType: 'extract', contentTypeInputs: ['raw'], contentTypeOutput: 'mid' },
        { workerType: 'pack', contentTypeInputs: ['mid'] },
      ],
      workflows: [
        {
          workflowType: 'chain',
          steps: [
            { stepNumber: 10, workerType: 'extract' },
            { stepNumber: 20, workerType: 'pack' },
          ],
        },
      ],
    });
    for (const type of ['extract', 'pack']) await bringAlive(world, type);
  });

  const failedAtPack = (requestId: string, overrides: Partial<Request> = {}) =>
    makeRequest(TENANT, requestId, {
      contentType: 'chain',
      status: 'ERROR',
      error: 'pack failed',
      stepNumber: 20,
      stepWorkerType: 'pack',
      dispatchedWorkerType: 'pack',
      content: new TextEncoder().encode('{"extracted":true}'),
      originalContent: new TextEncoder().encode('{"file":"a"}'),
      additionalHeaders: { 'x-extracted': 'yes' },
      creationDate: '2026-03-01T09:00:00.000Z',
      ...overrides,
    });

  const runToEnd = async (job: BulkJob) => {
    for (let calls = 0; calls < 10; calls += 1) {
      const result = await runBulkJob({ tenant: TENANT, jobId: job.id }, world, { maxPages: 10 });
      if (result.outcome !== 'more') return result;
    }
    throw new Error('job did not end');
  };

  it('restarts every matching workflow from its first step with the original body; one that cannot is skipped and left as it was', async () => {
    await world.requests.insertAll([
      failedAtPack('w-1'),
      failedAtPack('w-2'),
      failedAtPack('lost-original', { originalContent: null, originalContentDropped: true }),
    ]);
    const job = await submitBulkJob({ tenant: TENANT, kind: 'retry', restartFrom: 'first', filter: SearchRequestParametersSchema.parse({}) }, world);
    expect(job.restartFrom).toEqual('first');
    const result = await runToEnd(job);
    expect(result.job).toMatchObject({ status: 'DONE', processed: 3, succeeded: 2, skipped: 1 });
    const work = world.bus.to('regards.worker.extract.request');
    expect(work.map((message) => String(message.headers[Header.requestId])).sort()).toEqual(['w-1', 'w-2']);
    expect(work.map((message) => Buffer.from(message.body).toString())).toEqual(['{"file":"a"}', '{"file":"a"}']);
    expect(work[0]?.headers['x-extracted']).toBeUndefined();
    const after = await world.requests.getAll(TENANT, ['w-1', 'lost-original']);
    expect(after.get('w-1')).toMatchObject({ status: 'DISPATCHED', stepNumber: 10, dispatchedWorkerType: 'extract' });
    expect(after.get('w-1')?.history.map((entry) => entry.event)).toContain('operator-restart');
    expect(after.get('lost-original')).toMatchObject({ status: 'ERROR', stepNumber: 20, version: 0 });
  });

  it('retries one request from a chosen step, refusing at once (with the reason) what it cannot do', async () => {
    await world.requests.insertAll([failedAtPack('one'), failedAtPack('other'), failedAtPack('busy', { status: 'RUNNING' })]);
    await expect(submitRequestRetry({ tenant: TENANT, requestId: 'nope', restartFrom: 'first' }, world)).rejects.toBeInstanceOf(RequestNotFoundError);
    await expect(submitRequestRetry({ tenant: TENANT, requestId: 'busy', restartFrom: 'first' }, world)).rejects.toThrow(
      'only ERROR, INVALID_CONTENT and NO_WORKER_AVAILABLE requests are retried, not RUNNING',
    );
    await expect(submitRequestRetry({ tenant: TENANT, requestId: 'one', restartFrom: 15 }, world)).rejects.toBeInstanceOf(RetryRefusedError);
    expect(world.launcher.launched).toEqual([]);

    const job = await submitRequestRetry({ tenant: TENANT, requestId: 'one', restartFrom: 20, requestedBy: 'ops' }, world);
    const result = await runToEnd(job);
    expect(result.job).toMatchObject({ status: 'DONE', processed: 1, succeeded: 1, skipped: 0 });
    const work = world.bus.to('regards.worker.pack.request');
    expect(work.map((message) => String(message.headers[Header.requestId]))).toEqual(['one']);
    expect(work[0]?.headers['x-extracted']).toBe('yes');
    expect((await world.requests.getAll(TENANT, ['other'])).get('other')?.status).toBe('ERROR');
  });
});
