import { afterAll, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { InvalidContentError, startWorker, type Job, type JobHandler, type Worker } from '../../../shared/worker-sdk/src/index.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { managerSide, recordingLogger, waitFor, type ManagerSide } from './manager-side.js';

const rabbit = createRabbitFixture('wsdk-answers');
const provider = rabbit.provider();
const workers: Worker[] = [];

afterAll(async () => {
  for (const worker of workers) await worker.stop({ timeoutMs: 1_000 });
  await rabbit.cleanup();
});

async function setUp(suffix: string, handle: JobHandler): Promise<{ manager: ManagerSide; worker: Worker; workerType: string }> {
  const manager = await managerSide(rabbit, provider, suffix);
  const workerType = `Type-${suffix}`;
  rabbit.trackWorkerType(workerType);
  const worker = await startWorker({ url: rabbit.url, names: manager.names, workerType, handle, logger: recordingLogger() });
  workers.push(worker);
  return { manager, worker, workerType };
}

describe('worker answers', () => {
  it('answers SUCCESS with content and additional headers, echoing tenant, request id and attempt, and acks the item', async () => {
    const seen: Job[] = [];
    const { manager, worker, workerType } = await setUp('success', (job) => {
      seen.push(job);
      return job.success({ out: job.json() }, { 'step.name': 'one' });
    });
    const item = await manager.sendWorkItem(workerType, {
      tenant: 'tenant-x',
      requestId: 'req-success',
      owner: 'alice',
      session: 'sess-9',
      contentType: 'wf-type',
      dispatchAttempt: 3,
      additionalHeaders: { 'from.previous': 'step0' },
      body: Buffer.from('{"n":1}'),
    });

    const [response] = await manager.responses(1);

    expect(response).toMatchObject({
      tenant: 'tenant-x',
      requestId: 'req-success',
      dispatchAttempt: 3,
      status: 'SUCCESS',
      messages: [],
      additionalHeaders: { 'step.name': 'one' },
    });
    expect(JSON.parse(response?.content?.toString('utf8') ?? 'null')).toEqual({ out: { n: 1 } });
    const job = seen[0];
    expect(job).toMatchObject({
      tenant: item.tenant,
      requestId: item.requestId,
      owner: 'alice',
      session: 'sess-9',
      contentType: 'wf-type',
      dispatchAttempt: 3,
      additionalHeaders: { 'from.previous': 'step0' },
      redelivered: false,
    });
    expect(Buffer.isBuffer(job?.body)).toBe(true);
    expect(job?.body.toString()).toBe('{"n":1}');
    expect(job?.headers[Header.tenant]).toBe('tenant-x');
    await waitFor(() => worker.stats.answered.SUCCESS === 1, 5_000, 'the ack');
    expect(worker.inFlight).toBe(0);
    expect(await rabbit.queueState(worker.queue)).toEqual({ messageCount: 0, consumerCount: 1 });
  });

  it('sends RUNNING updates before the final answer, in order, and takes text and bytes as content', async () => {
    const { manager, workerType } = await setUp('running', async (job) => {
      await job.running(['started']);
      await job.running('half way');
      return job.success(job.text() === 'bytes' ? Buffer.from([0, 1, 2, 255]) : 'plain text');
    });
    await manager.sendWorkItem(workerType, { requestId: 'req-text', body: Buffer.from('text') });
    const text = await manager.responses(3);
    await manager.sendWorkItem(workerType, { requestId: 'req-bytes', body: Buffer.from('bytes') });
    const bytes = await manager.responses(3);

    expect(text.map((r) => [r.status, r.messages])).toEqual([
      ['RUNNING', ['started']],
      ['RUNNING', ['half way']],
      ['SUCCESS', []],
    ]);
    expect(text.every((r) => r.requestId === 'req-text' && r.dispatchAttempt === 1)).toBe(true);
    expect(text[2]?.content?.toString('utf8')).toBe('plain text');
    expect(text[0]?.content).toBeNull();
    expect([...(bytes[2]?.content ?? [])]).toEqual([0, 1, 2, 255]);
  });

  it('answers ERROR with the message of an error the handler threw, and of a handler that returned nothing', async () => {
    const { manager, worker, workerType } = await setUp('error', (job) => {
      if (job.text() === 'nothing') return undefined as never;
      if (job.text() === 'explicit') return job.error(['disk full', 'retry later']);
      throw new Error('cannot open a.dat');
    });
    await manager.sendWorkItem(workerType, { requestId: 'req-throw', body: Buffer.from('throw') });
    await manager.sendWorkItem(workerType, { requestId: 'req-nothing', body: Buffer.from('nothing') });
    await manager.sendWorkItem(workerType, { requestId: 'req-explicit', body: Buffer.from('explicit') });

    const responses = await manager.responses(3);

    const byId = new Map(responses.map((r) => [r.requestId, r]));
    expect(byId.get('req-throw')).toMatchObject({ status: 'ERROR', messages: ['cannot open a.dat'] });
    expect(byId.get('req-nothing')?.status).toBe('ERROR');
    expect(byId.get('req-nothing')?.messages[0]).toMatch(/returned no outcome/);
    expect(byId.get('req-explicit')).toMatchObject({ status: 'ERROR', messages: ['disk full', 'retry later'] });
    await waitFor(() => worker.stats.answered.ERROR === 3, 5_000, 'three acked ERROR answers');
  });

  it('answers INVALID_CONTENT from job.invalid(), from InvalidContentError and from a body that is not JSON', async () => {
    const { manager, worker, workerType } = await setUp('invalid', (job) => {
      if (job.text() === 'throw') throw new InvalidContentError('no file field');
      if (job.text() === 'call') return job.invalid(['bad', 'worse']);
      return job.success(job.json() as object);
    });
    await manager.sendWorkItem(workerType, { requestId: 'req-call', body: Buffer.from('call') });
    await manager.sendWorkItem(workerType, { requestId: 'req-throw', body: Buffer.from('throw') });
    await manager.sendWorkItem(workerType, { requestId: 'req-json', body: Buffer.from('{not json') });

    const byId = new Map((await manager.responses(3)).map((r) => [r.requestId, r]));

    expect(byId.get('req-call')).toMatchObject({ status: 'INVALID_CONTENT', messages: ['bad', 'worse'] });
    expect(byId.get('req-throw')).toMatchObject({ status: 'INVALID_CONTENT', messages: ['no file field'] });
    expect(byId.get('req-json')?.status).toBe('INVALID_CONTENT');
    expect(byId.get('req-json')?.messages[0]).toMatch(/^work item body is not JSON/);
    expect(worker.stats.answered.INVALID_CONTENT).toBe(3);
  });

  it('echoes the dispatch attempt, and leaves it out for a work item from a REGARDS manager (no attempt header)', async () => {
    const { manager, workerType } = await setUp('attempt', (job) => job.success({ attempt: job.dispatchAttempt ?? null }));
    await manager.sendWorkItem(workerType, { requestId: 'req-7', dispatchAttempt: 7 });
    const [ours] = await manager.responses(1);
    // What a REGARDS manager sends: the five regards.* headers, nothing of ours.
    await rabbit.publish(`${manager.names.workerRequestTemplate.replace('%s', workerType.toLowerCase())}`, '#', '{}', {
      headers: {
        [Header.tenant]: 'project-a',
        [Header.requestId]: 'req-regards',
        [Header.owner]: 'o',
        [Header.session]: 's',
        [Header.contentType]: 'c',
      },
      contentType: 'application/json',
      priority: 0,
    });
    const [regards] = await manager.responses(1);

    expect(ours).toMatchObject({ requestId: 'req-7', dispatchAttempt: 7, status: 'SUCCESS' });
    expect(JSON.parse(ours?.content?.toString() ?? '{}')).toEqual({ attempt: 7 });
    expect(regards?.requestId).toBe('req-regards');
    expect(regards && 'dispatchAttempt' in regards).toBe(false);
    expect(JSON.parse(regards?.content?.toString() ?? '{}')).toEqual({ attempt: null });
  });

  it('answers ERROR for a work item missing a required header, and dead-letters one that names no request', async () => {
    let calls = 0;
    const { manager, worker, workerType } = await setUp('malformed', (job) => {
      calls += 1;
      return job.success();
    });
    const exchange = manager.names.workerRequestTemplate.replace('%s', workerType.toLowerCase());
    await rabbit.publish(exchange, '#', '{}', {
      headers: { [Header.tenant]: 'project-a', [Header.requestId]: 'req-no-owner', [Header.dispatchAttempt]: 2 },
    });
    await rabbit.publish(exchange, '#', '{}', { headers: { [Header.requestId]: 'req-no-tenant' } });

    const [answer] = await manager.responses(1);
    const [dead] = await manager.deadLetters(1);

    expect(answer).toMatchObject({ requestId: 'req-no-owner', dispatchAttempt: 2, status: 'ERROR' });
    expect(answer?.messages).toEqual(['invalid work item: header regards.request.owner is missing']);
    expect(dead?.headers[Header.requestId]).toBe('req-no-tenant');
    expect(calls).toBe(0);
    expect(worker.stats.rejected).toBe(1);
  });
});
