import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumeMessage } from 'amqplib';
import { Header } from '../../../shared/contract/headers.js';
import { buildWorkerResponse } from '../../../shared/contract/worker-response.js';
import { startWorker, type Worker } from '../../../shared/worker-sdk/src/index.js';
import { declareWorkerQueues, json, startHarness, type HostHarness } from '../../support/host-harness.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

/*
 * The response path end to end: the host's register-requests, handle-worker-responses and
 * handle-worker-dead-letters on the real broker and dynalite, and real workers written with the
 * worker SDK answering over AMQP.
 */

const TENANT = 'tenant-r';
const WORKER_TYPES = ['upper', 'suffix', 'wrap', 'strict', 'lenient', 'refuser'] as const;

describe('worker responses, workflows and dead letters over AMQP', () => {
  let h: HostHarness;
  const workers: Worker[] = [];
  let answersByRequest: Map<string, Record<string, unknown>[]>;
  let pending: ConsumeMessage[] = [];

  beforeAll(async () => {
    h = await startHarness('responses', { only: ['register-requests', 'handle-worker-responses', 'handle-worker-dead-letters'] });
    await configure(h.services, TENANT, {
      workers: [
        { workerType: 'upper', contentTypeInputs: ['text'], contentTypeOutput: 'upper-text' },
        { workerType: 'suffix', contentTypeInputs: ['upper-text'], contentTypeOutput: 'suffixed' },
        { workerType: 'wrap', contentTypeInputs: ['suffixed'] },
        { workerType: 'strict', contentTypeInputs: ['strict-in'], keepErrors: false },
        { workerType: 'lenient', contentTypeInputs: ['lenient-in'], contentTypeOutput: 'suffixed' },
        { workerType: 'refuser', contentTypeInputs: ['refused'] },
      ],
      workflows: [
        {
          workflowType: 'pipeline',
          steps: [
            { stepNumber: 1, workerType: 'upper' },
            { stepNumber: 2, workerType: 'suffix' },
            { stepNumber: 3, workerType: 'wrap' },
          ],
        },
        {
          workflowType: 'pipeline-no-errors',
          keepErrors: false,
          steps: [
            { stepNumber: 1, workerType: 'lenient' },
            { stepNumber: 2, workerType: 'wrap' },
          ],
        },
      ],
    });
    for (const type of WORKER_TYPES) {
      h.rabbit.trackWorkerType(type);
      await bringAlive(h.services, type);
    }
    const common = { connection: h.rabbit.provider(), names: h.settings.names, heartbeatIntervalMs: 30_000 };
    workers.push(
      await startWorker({
        ...common,
        workerType: 'upper',
        handle: async (job) => {
          await job.running(['uppercasing']);
          return job.success(job.text().toUpperCase(), { 'upper.done': 'yes' });
        },
      }),
      await startWorker({
        ...common,
        workerType: 'suffix',
        handle: async (job) => job.success(`${job.text()}-${job.additionalHeaders['upper.done'] ?? 'missing'}`, { 'suffix.done': 'yes' }),
      }),
      await startWorker({ ...common, workerType: 'wrap', handle: async (job) => job.success({ wrapped: job.text(), headers: job.additionalHeaders }) }),
      await startWorker({ ...common, workerType: 'strict', handle: async (job) => job.error([`refusing ${job.requestId}`]) }),
      await startWorker({ ...common, workerType: 'lenient', handle: async (job) => job.invalid(['not my kind of input']) }),
      await startWorker({ ...common, workerType: 'refuser', handle: async (job) => job.reject('cannot handle this') }),
    );
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await h?.close();
  });

  async function send(requestId: string, contentType: string, body: string) {
    await h.rabbit.publish(h.settings.names.requestExchange, '', body, {
      headers: { [Header.tenant]: TENANT, [Header.requestId]: requestId, [Header.owner]: 'o', [Header.session]: 's', [Header.contentType]: contentType },
    });
  }

  /** Collects client answers until `requestId` has `count` of them (answers of other requests are kept). */
  async function answersOf(requestId: string, count: number): Promise<Record<string, unknown>[]> {
    answersByRequest ??= new Map();
    while ((answersByRequest.get(requestId)?.length ?? 0) < count) {
      pending = await h.rabbit.collect(h.clientQueue, 1, { timeoutMs: 15_000 });
      for (const message of pending) {
        const body = json(message);
        const id = String(body['requestId']);
        answersByRequest.set(id, [...(answersByRequest.get(id) ?? []), body]);
      }
    }
    return answersByRequest.get(requestId) ?? [];
  }

  it('takes a single-step request to SUCCESS with the worker content, and deletes it', async () => {
    await send('single-1', 'text', 'hello');
    const answers = await answersOf('single-1', 2);
    expect(answers.map((answer) => answer['state'])).toEqual(['GRANTED', 'SUCCESS']);
    expect(Buffer.from(String(answers[1]?.['content']), 'base64').toString()).toBe('HELLO');
    // The row goes once the answer is confirmed, so a fast client may read the answer first.
    await expect.poll(async () => (await h.services.requests.getAll(TENANT, ['single-1'])).size).toBe(0);
    // Counted once its delete has won, so that a replayed answer counts once.
    await expect.poll(async () => (await h.services.counters.get(TENANT, 'o', 's'))?.values['workers.upper.done']).toBeGreaterThanOrEqual(1);
  });

  it('runs a 3-step workflow where each step transforms the content and adds a header', async () => {
    await send('flow-1', 'pipeline', 'abc');
    const answers = await answersOf('flow-1', 4);
    expect(answers.map((answer) => answer['state'])).toEqual(['GRANTED', 'GRANTED', 'GRANTED', 'SUCCESS']);
    const final = JSON.parse(Buffer.from(String(answers[3]?.['content']), 'base64').toString()) as Record<string, unknown>;
    expect(final).toEqual({ wrapped: 'ABC-yes', headers: { 'suffix.done': 'yes' } });
  });

  it('ends in ERROR with the worker message and deletes it when the worker config says keepErrors false', async () => {
    await send('strict-1', 'strict-in', '{}');
    const answers = await answersOf('strict-1', 2);
    expect(answers[1]).toMatchObject({ state: 'ERROR', messages: ['Error during processing your request in <strict> worker : Cause : refusing strict-1.'] });
    await expect.poll(async () => (await h.services.requests.getAll(TENANT, ['strict-1'])).size).toBe(0);
  });

  it('keeps an INVALID_CONTENT of a worker whose keepErrors is true, and drops one of a workflow whose keepErrors is false', async () => {
    await send('lenient-1', 'lenient-in', '{}');
    await send('flow-invalid-1', 'pipeline-no-errors', '{}');
    expect((await answersOf('lenient-1', 2))[1]?.['state']).toBe('INVALID_CONTENT');
    expect((await answersOf('flow-invalid-1', 2))[1]?.['state']).toBe('INVALID_CONTENT');
    await expect.poll(async () => (await h.services.requests.getAll(TENANT, ['flow-invalid-1'])).has('flow-invalid-1')).toBe(false);
    const stored = await h.services.requests.getAll(TENANT, ['lenient-1']);
    expect(stored.get('lenient-1')).toMatchObject({ status: 'INVALID_CONTENT', error: 'not my kind of input', deadline: null });
  });

  it('turns a work item the worker rejected into ERROR through the worker DLQ, and tells the client', async () => {
    await send('refused-1', 'refused', '{}');
    const answers = await answersOf('refused-1', 2);
    expect(answers[1]?.['state']).toBe('ERROR');
    const stored = (await h.services.requests.getAll(TENANT, ['refused-1'])).get('refused-1');
    expect(stored).toMatchObject({ status: 'ERROR' });
    expect(stored?.error).toContain('rejected by a worker');
    expect(stored?.history.map((entry) => entry.event)).toEqual(['registered', 'dead-letter']);
  });

  it('records stale, duplicate and out-of-order answers without applying them', async () => {
    // A request nobody works on: this test plays the worker by hand.
    await configure(h.services, TENANT, {
      workers: [{ workerType: 'manual', contentTypeInputs: ['manual-in'] }],
    });
    await bringAlive(h.services, 'manual');
    await declareWorkerQueues(h, ['manual']);
    await send('manual-1', 'manual-in', '{}');
    await answersOf('manual-1', 1);
    const reply = (status: 'RUNNING' | 'SUCCESS' | 'ERROR', attempt?: number) =>
      h.services.bus.publish([
        buildWorkerResponse(
          { exchange: h.settings.names.workerResponse },
          { tenant: TENANT, requestId: 'manual-1', status, ...(attempt === undefined ? {} : { dispatchAttempt: attempt }) },
        ),
      ]);
    await reply('SUCCESS', 7); // from an attempt that does not exist: stale, recorded
    await reply('ERROR', 1);
    await reply('ERROR', 1); // a duplicate (e.g. redelivered): neither applied nor recorded again
    await reply('RUNNING', 1); // out of order: after the final answer, recorded
    await reply('RUNNING', 1); // its duplicate
    const answers = await answersOf('manual-1', 2);
    expect(answers.map((answer) => answer['state'])).toEqual(['GRANTED', 'ERROR']);
    await expect
      .poll(async () => (await h.services.requests.getAll(TENANT, ['manual-1'])).get('manual-1')?.history.map((entry) => entry.event), { timeout: 10_000 })
      .toEqual(['registered', 'ignored worker:SUCCESS', 'worker:ERROR', 'ignored worker:RUNNING']);
    expect((await h.services.requests.getAll(TENANT, ['manual-1'])).get('manual-1')?.status).toBe('ERROR');
  });
});
