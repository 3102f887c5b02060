import { beforeEach, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { REJECTION_REASON_HEADER } from '../../../shared/application/services/batch-effects.js';
import { sweep } from '../../../shared/application/use-cases/sweep.js';
import { handleWorkerDeadLetters } from '../../../shared/application/use-cases/handle-worker-dead-letters.js';
import { asInbound, bringAlive, configure, decodeJson, memoryWorld, type MemoryWorld } from '../../support/use-case-fixtures.js';
import { workerResponseDriver } from '../../support/worker-response-driver.js';

const TENANT = 'tenant-a';

describe('worker responses, workflows, dead letters and deadlines', () => {
  let world: MemoryWorld;
  const { names, deps, submit, stored, answer, respond } = workerResponseDriver(() => world, TENANT);

  function clientAnswers() {
    return world.bus.to(names.responseExchange).map((message) => ({ headers: message.headers, body: decodeJson(message.body) as Record<string, unknown> }));
  }

  function workItems(workerType: string) {
    return world.bus.to(`regards.worker.${workerType}.request`);
  }

  async function counters() {
    return (await world.counters.get(TENANT, 'owner-1', 'session-1'))?.values ?? {};
  }

  beforeEach(async () => {
    world = memoryWorld();
    await configure(world, TENANT, {
      workers: [
        { workerType: 'extract', contentTypeInputs: ['raw'], contentTypeOutput: 'extracted' },
        { workerType: 'enrich', contentTypeInputs: ['extracted'], contentTypeOutput: 'enriched', keepErrors: false },
        { workerType: 'pack', contentTypeInputs: ['enriched'] },
        { workerType: 'flaky', contentTypeInputs: ['flaky-in'], retry: { maxAttempts: 3, initialDelaySeconds: 10, jitter: 0 } },
      ],
      workflows: [
        {
          workflowType: 'chain',
          steps: [
            { stepNumber: 0, workerType: 'extract' },
            { stepNumber: 10, workerType: 'enrich' },
            { stepNumber: 20, workerType: 'pack' },
          ],
        },
        {
          workflowType: 'chain-kept-errors',
          keepErrors: true,
          steps: [
            { stepNumber: 1, workerType: 'enrich' },
            { stepNumber: 2, workerType: 'pack' },
          ],
        },
      ],
    });
    for (const type of ['extract', 'enrich', 'pack', 'flaky']) await bringAlive(world, type);
  });

  describe('a single-step request', () => {
    beforeEach(async () => {
      await submit('r1', 'raw');
      world.bus.clear();
    });

    it('goes RUNNING without answering the client, then SUCCESS with the worker content, and its row is deleted', async () => {
      await respond(answer({ requestId: 'r1', status: 'RUNNING', messages: ['working'], dispatchAttempt: 1 }));
      expect(await stored('r1')).toMatchObject({ status: 'RUNNING', error: 'working', deadline: '2026-03-02T10:00:00.000Z' });
      expect(clientAnswers()).toEqual([]);

      await respond(answer({ requestId: 'r1', status: 'SUCCESS', content: Buffer.from('{"out":1}'), dispatchAttempt: 1 }));
      expect(await stored('r1')).toBeUndefined();
      expect(clientAnswers()).toEqual([
        {
          headers: expect.objectContaining({ [Header.workerId]: 'extract', [Header.requestId]: 'r1' }),
          body: {
            state: 'SUCCESS',
            messages: ['Your request has been successfully handled by the <extract> worker.'],
            requestId: 'r1',
            content: Buffer.from('{"out":1}').toString('base64'),
            type: 'EXTRACTION',
            requestOwner: 'owner-1',
          },
        },
      ]);
      expect(await counters()).toEqual({ 'workers.requests': 1, 'workers.extract.dispatched': 0, 'workers.extract.running': 0, 'workers.extract.done': 1 });
    });

    it('answers SUCCESS with {} when the worker sent no content', async () => {
      await respond(answer({ requestId: 'r1', status: 'SUCCESS' }));
      expect(clientAnswers()[0]?.body['content']).toBe(Buffer.from('{}').toString('base64'));
    });

    it('keeps a SUCCESS visible for the retention, then the deadline sweep purges it', async () => {
      world = { ...world, settings: ManagerSettingsSchema.parse({ successRetentionSeconds: 60 }) };
      await respond(answer({ requestId: 'r1', status: 'SUCCESS', content: Buffer.from('out') }));
      const kept = await stored('r1');
      expect(kept).toMatchObject({ status: 'SUCCESS', deadline: '2026-03-01T10:01:00.000Z' });
      expect(Buffer.from(kept?.content ?? []).toString()).toBe('out');
      expect(Buffer.from(kept?.originalContent ?? []).toString()).toBe('{"file":"a"}');
      world.clock.advance(61_000);
      await sweep(deps());
      expect(await stored('r1')).toBeUndefined();
    });

    it('keeps a retained SUCCESS whose answer was never confirmed: the sweeper sends it, then the retention runs', async () => {
      world = { ...world, settings: ManagerSettingsSchema.parse({ successRetentionSeconds: 600 }) };
      world.bus.failing = true;
      await expect(respond(answer({ requestId: 'r1', status: 'SUCCESS', content: Buffer.from('out') }))).rejects.toThrow();
      expect(await stored('r1')).toMatchObject({ status: 'SUCCESS', answerUnconfirmed: true, deadline: '2026-03-01T10:01:00.000Z' });

      world.bus.failing = false;
      world.clock.advance(60_000);
      await sweep(deps());
      expect(clientAnswers().map((a) => a.body['state'])).toEqual(['SUCCESS']);
      const settled = await stored('r1');
      expect(settled).toMatchObject({ status: 'SUCCESS', deadline: '2026-03-01T10:11:00.000Z' });
      expect(settled).not.toHaveProperty('answerUnconfirmed');

      world.clock.advance(600_000);
      await sweep(deps());
      expect(await stored('r1')).toBeUndefined();
      expect(clientAnswers()).toHaveLength(1);
    });

    it('stores ERROR with the joined messages and tells the client, keeping the row (keepErrors default)', async () => {
      await respond(answer({ requestId: 'r1', status: 'ERROR', messages: ['disk full', 'retry later'] }));
      const kept = await stored('r1');
      expect(kept).toMatchObject({ status: 'ERROR', error: 'disk full,retry later', deadline: null });
      // Settled once its answer was confirmed: nothing is left for the sweeper to send.
      expect(kept).not.toHaveProperty('answerUnconfirmed');
      expect(clientAnswers()[0]?.body).toMatchObject({
        state: 'ERROR',
        messages: ['Error during processing your request in <extract> worker : Cause : disk full,retry later.'],
      });
      expect(await counters()).toMatchObject({ 'workers.extract.dispatched': 0, 'workers.extract.error': 1 });
    });

    it('stores INVALID_CONTENT and tells the client', async () => {
      await respond(answer({ requestId: 'r1', status: 'INVALID_CONTENT', messages: ['no file field'] }));
      expect(await stored('r1')).toMatchObject({ status: 'INVALID_CONTENT', error: 'no file field' });
      expect(clientAnswers()[0]?.body).toMatchObject({
        state: 'INVALID_CONTENT',
        messages: ['Your request is not valid (invalidated by the matching worker <extract>). no file field'],
      });
    });

    it('ignores and records an answer from an older attempt', async () => {
      await respond(answer({ requestId: 'r1', status: 'SUCCESS', dispatchAttempt: 0 }));
      const request = await stored('r1');
      expect(request?.status).toBe('DISPATCHED');
      expect(request?.history.at(-1)).toMatchObject({ event: 'ignored worker:SUCCESS', messages: ['answer for attempt 0, but the request is at attempt 1'] });
      expect(clientAnswers()).toEqual([]);
    });

    it('does not write at all for a duplicate RUNNING', async () => {
      await respond(answer({ requestId: 'r1', status: 'RUNNING' }));
      const version = (await stored('r1'))?.version;
      const report = await respond(answer({ requestId: 'r1', status: 'RUNNING' }));
      expect(report).toMatchObject({ written: 0, ignored: 1 });
      expect((await stored('r1'))?.version).toBe(version);
    });

    it('applies SUCCESS then ignores a RUNNING that arrives after it in the same batch', async () => {
      world = { ...world, settings: ManagerSettingsSchema.parse({ successRetentionSeconds: 60 }) };
      const report = await respond(answer({ requestId: 'r1', status: 'SUCCESS' }), answer({ requestId: 'r1', status: 'RUNNING' }));
      expect(report.ignored).toBe(1);
      expect((await stored('r1'))?.status).toBe('SUCCESS');
      expect(clientAnswers().map((a) => a.body['state'])).toEqual(['SUCCESS']);
    });

    it('ignores and records a RUNNING after ERROR; logs an answer about a request it no longer holds', async () => {
      await respond(answer({ requestId: 'r1', status: 'ERROR', messages: ['boom'] }));
      await respond(answer({ requestId: 'r1', status: 'RUNNING' }));
      expect(await stored('r1')).toMatchObject({ status: 'ERROR' });
      expect((await stored('r1'))?.history.at(-1)?.event).toBe('ignored worker:RUNNING');
      const report = await respond(answer({ requestId: 'never-seen', status: 'SUCCESS' }));
      expect(report.unknown).toBe(1);
    });

    it('has no double effect when a whole response batch is replayed, and does not send again an answer the broker confirmed', async () => {
      const batch = [
        answer({ requestId: 'r1', status: 'RUNNING', dispatchAttempt: 1 }),
        answer({ requestId: 'r1', status: 'ERROR', messages: ['x'], dispatchAttempt: 1 }),
      ];
      await respond(...batch);
      const first = { request: await stored('r1'), counters: await counters(), answers: clientAnswers() };
      const replay = await respond(...batch.map((message) => ({ ...message, redelivered: true })));
      expect(replay.written).toBe(0);
      expect(await stored('r1')).toEqual(first.request);
      expect(await counters()).toEqual(first.counters);
      expect(clientAnswers()).toEqual(first.answers);
    });

    it('writes nothing for a SUCCESS that is not kept: the answer goes out, then the row as stored is deleted', async () => {
      const before = await stored('r1');
      const writes: string[] = [];
      const updateAll = world.requests.updateAll.bind(world.requests);
      world.requests.updateAll = async (updates) => {
        writes.push(...updates.map((update) => update.next.status));
        return updateAll(updates);
      };
      const report = await respond(answer({ requestId: 'r1', status: 'SUCCESS', content: Buffer.from('result') }));
      expect(report).toMatchObject({ written: 0, removedAfterAnswer: 1 });
      expect(writes).toEqual([]);
      expect(before?.status).toBe('DISPATCHED');
      expect(await stored('r1')).toBeUndefined();
      expect(clientAnswers().map((a) => a.body['state'])).toEqual(['SUCCESS']);
      expect(await counters()).toMatchObject({ 'workers.extract.done': 1, 'workers.extract.dispatched': 0 });
    });

    it('recovers a failed publish with the redelivered batch: the row was never changed, the answer is applied again and counted once', async () => {
      world.bus.failing = true;
      const success = answer({ requestId: 'r1', status: 'SUCCESS', content: Buffer.from('result'), dispatchAttempt: 1 });
      await expect(respond(success)).rejects.toThrow('broker marked unavailable');
      expect(await stored('r1')).toMatchObject({ status: 'DISPATCHED', attempt: 1 });

      world.bus.failing = false;
      await respond({ ...success, redelivered: true });
      expect(clientAnswers().map((a) => [a.body['state'], a.body['content']])).toEqual([['SUCCESS', Buffer.from('result').toString('base64')]]);
      expect(await stored('r1')).toBeUndefined();
      expect(await counters()).toMatchObject({ 'workers.extract.done': 1 });
    });

    it('answers again, and counts once, when the answer went out but the delete never happened', async () => {
      const deleteAll = world.requests.deleteAll.bind(world.requests);
      world.requests.deleteAll = async () => {
        throw new Error('process died here');
      };
      const success = answer({ requestId: 'r1', status: 'SUCCESS' });
      await expect(respond(success)).rejects.toThrow('process died here');
      world.requests.deleteAll = deleteAll;
      expect(clientAnswers()).toHaveLength(1);
      await respond({ ...success, redelivered: true });
      expect(await stored('r1')).toBeUndefined();
      // The replay cannot tell a sent answer from a lost one: it sends again (at least once).
      expect(clientAnswers().map((a) => a.body['state'])).toEqual(['SUCCESS', 'SUCCESS']);
      expect(await counters()).toMatchObject({ 'workers.extract.done': 1 });
    });

    it('leaves a request whose answer could never be published to its deadline, never silent: it times out and is answered', async () => {
      world.bus.failing = true;
      const success = answer({ requestId: 'r1', status: 'SUCCESS', content: Buffer.from('result') });
      // Every delivery of the batch fails until the queue's delivery limit dead-letters it.
      for (let delivery = 0; delivery < 3; delivery += 1) await expect(respond({ ...success, redelivered: delivery > 0 })).rejects.toThrow();
      world.bus.failing = false;
      expect(await stored('r1')).toMatchObject({ status: 'DISPATCHED' });

      world.clock.advance(3_600_000);
      await sweep(deps());
      expect(clientAnswers().map((a) => a.body['state'])).toEqual(['ERROR']);
      expect(await stored('r1')).toMatchObject({ status: 'ERROR' });
    });

    it('dead-letters unreadable answers with their reason and applies the rest of the batch', async () => {
      const noTenant = answer({ requestId: 'r1', status: 'RUNNING' });
      delete noTenant.headers[Header.tenant];
      const badJson = { ...answer({ requestId: 'r1', status: 'RUNNING' }), body: Buffer.from('not json') };
      const badStatus = { ...answer({ requestId: 'r1', status: 'RUNNING' }), body: Buffer.from('{"status":"DONE"}') };
      const report = await respond(noTenant, badJson, badStatus, answer({ requestId: 'r1', status: 'SUCCESS' }));
      expect(report.deadLettered).toBe(3);
      const dead = world.bus.to(names.deadLetterExchange);
      expect(dead.map((message) => message.routingKey)).toEqual(Array(3).fill(`${names.workerResponse}.DLQ`));
      expect(dead.map((message) => String(message.headers[REJECTION_REASON_HEADER]))).toEqual([
        expect.stringContaining('regards.tenant'),
        expect.stringMatching(/JSON/i),
        expect.stringContaining('status'),
      ]);
      expect(await stored('r1')).toBeUndefined();
    });
  });

  describe('keepErrors', () => {
    it('drops the row of a failed request whose worker config says keepErrors false, looked up by worker type', async () => {
      await submit('e1', 'extracted');
      await respond(answer({ requestId: 'e1', status: 'ERROR', messages: ['x'] }));
      expect(await stored('e1')).toBeUndefined();
      expect(clientAnswers().at(-1)?.body['state']).toBe('ERROR');
    });

    it('uses the workflow flag for workflow requests, whatever the worker says', async () => {
      await submit('w1', 'chain-kept-errors');
      await respond(answer({ requestId: 'w1', status: 'INVALID_CONTENT', messages: ['bad'] }));
      expect(await stored('w1')).toMatchObject({ status: 'INVALID_CONTENT', stepNumber: 1 });
    });
  });

  describe('a 3-step workflow', () => {
    it('feeds each output to the next step with its headers, answers GRANTED per step, and ends in SUCCESS with the last output', async () => {
      await submit('w1', 'chain', '{"n":0}');
      expect(workItems('extract')).toHaveLength(1);

      await respond(
        answer({
          requestId: 'w1',
          status: 'SUCCESS',
          content: Buffer.from('{"n":1}'),
          additionalHeaders: { 'x-step': '1', 'regards.tenant': 'evil' },
          dispatchAttempt: 1,
        }),
      );
      const second = workItems('enrich')[0];
      expect(Buffer.from(second?.body ?? []).toString()).toBe('{"n":1}');
      expect(second?.headers).toMatchObject({ 'x-step': '1', [Header.tenant]: TENANT, [Header.contentType]: 'chain', [Header.dispatchAttempt]: 2 });
      expect(await stored('w1')).toMatchObject({ status: 'DISPATCHED', stepNumber: 10, dispatchedWorkerType: 'enrich', stepAttempts: 1 });

      await respond(answer({ requestId: 'w1', status: 'SUCCESS', content: Buffer.from('{"n":2}'), additionalHeaders: { 'x-step': '2' }, dispatchAttempt: 2 }));
      const third = workItems('pack')[0];
      expect(Buffer.from(third?.body ?? []).toString()).toBe('{"n":2}');
      expect(third?.headers['x-step']).toBe('2');
      const beforeEnd = await stored('w1');
      expect(Buffer.from(beforeEnd?.originalContent ?? []).toString()).toBe('{"n":0}');
      expect(beforeEnd?.history.map((entry) => entry.event)).toEqual(['registered', 'worker:SUCCESS', 'next-step', 'worker:SUCCESS', 'next-step']);

      await respond(answer({ requestId: 'w1', status: 'SUCCESS', content: Buffer.from('{"n":3}'), dispatchAttempt: 3 }));
      expect(await stored('w1')).toBeUndefined();
      const states = clientAnswers().map((a) => a.body['state']);
      expect(states).toEqual(['GRANTED', 'GRANTED', 'GRANTED', 'SUCCESS']);
      expect(clientAnswers().at(-1)?.body['content']).toBe(Buffer.from('{"n":3}').toString('base64'));
      // Counted once as a request, then moved from worker type to worker type.
      expect(await counters()).toMatchObject({
        'workers.requests': 1,
        'workers.extract.dispatched': 0,
        'workers.enrich.dispatched': 0,
        'workers.pack.dispatched': 0,
        'workers.pack.done': 1,
      });
    });

    it('answers DELAYED when the next worker is dead and waits on that step', async () => {
      // Past the heartbeat expiry every worker type is dead; only extract beats again.
      world.clock.advance(61_000);
      await bringAlive(world, 'extract');
      await submit('w2', 'chain');
      await respond(answer({ requestId: 'w2', status: 'SUCCESS', content: Buffer.from('{"n":1}') }));
      expect(await stored('w2')).toMatchObject({ status: 'NO_WORKER_AVAILABLE', stepNumber: 10, stepWorkerType: 'enrich' });
      expect(clientAnswers().map((a) => a.body['state'])).toEqual(['GRANTED', 'DELAYED']);
    });

    it('sends the next step again when the batch that advanced it failed to publish', async () => {
      await submit('w5', 'chain', '{"n":0}');
      world.bus.failing = true;
      const step1 = answer({ requestId: 'w5', status: 'SUCCESS', content: Buffer.from('{"n":1}'), dispatchAttempt: 1 });
      await expect(respond(step1)).rejects.toThrow('broker marked unavailable');
      expect(await stored('w5')).toMatchObject({ status: 'DISPATCHED', stepNumber: 10, attempt: 2 });
      expect(workItems('enrich')).toEqual([]);

      world.bus.failing = false;
      await respond({ ...step1, redelivered: true });
      expect(workItems('enrich').map((item) => item.headers[Header.dispatchAttempt])).toEqual([2]);
      expect(clientAnswers().map((a) => a.body['state'])).toEqual(['GRANTED', 'GRANTED']);
      expect((await stored('w5'))?.version).toBe(2);
    });

    it('stops with ERROR when a step that is not the last returns no content', async () => {
      await submit('w3', 'chain-kept-errors');
      await respond(answer({ requestId: 'w3', status: 'SUCCESS' }));
      expect((await stored('w3'))?.error).toBe(
        'An error occurred at step 1 of the workflow "chain-kept-errors". The workerResponseEvent w3 did not return any content while it is required by the next worker. Workflow is therefore stopped at this step.',
      );
    });

    it('ends in ERROR, not SUCCESS, when its step vanished from the workflow', async () => {
      await submit('w4', 'chain-kept-errors');
      await configure(world, TENANT, {
        workers: [
          { workerType: 'enrich', contentTypeInputs: ['extracted'], contentTypeOutput: 'enriched' },
          { workerType: 'pack', contentTypeInputs: ['enriched'] },
        ],
        workflows: [
          {
            workflowType: 'chain-kept-errors',
            steps: [
              { stepNumber: 5, workerType: 'enrich' },
              { stepNumber: 6, workerType: 'pack' },
            ],
          },
        ],
      });
      await respond(answer({ requestId: 'w4', status: 'SUCCESS', content: Buffer.from('x') }));
      expect(await stored('w4')).toMatchObject({ status: 'ERROR', error: expect.stringContaining('Step 1 no longer exists') });
    });
  });

  describe('retry policy, dead letters and deadlines', () => {
    it('retries an ERROR after the backoff and gives up after maxAttempts', async () => {
      await submit('f1', 'flaky-in');
      await respond(answer({ requestId: 'f1', status: 'ERROR', messages: ['try 1'] }));
      expect(await stored('f1')).toMatchObject({ status: 'TO_DISPATCH', deadline: '2026-03-01T10:00:10.000Z', error: 'try 1' });
      expect(clientAnswers().map((a) => a.body['state'])).toEqual(['GRANTED']);
      expect(await counters()).toMatchObject({ 'workers.flaky.retry': 1, 'workers.flaky.dispatched': 0 });

      world.clock.advance(10_000);
      await sweep(deps());
      expect(await stored('f1')).toMatchObject({ status: 'DISPATCHED', attempt: 2, stepAttempts: 2 });
      expect(workItems('flaky')).toHaveLength(2);

      await respond(answer({ requestId: 'f1', status: 'ERROR', messages: ['try 2'], dispatchAttempt: 2 }));
      expect((await stored('f1'))?.deadline).toBe('2026-03-01T10:00:30.000Z');
      world.clock.advance(20_000);
      await sweep(deps());
      await respond(answer({ requestId: 'f1', status: 'ERROR', messages: ['try 3'], dispatchAttempt: 3 }));
      expect(await stored('f1')).toMatchObject({ status: 'ERROR', error: 'try 3', deadline: null });
      expect(clientAnswers().map((a) => a.body['state'])).toEqual(['GRANTED', 'GRANTED', 'GRANTED', 'ERROR']);
    });

    it('leaves a due retry waiting when its work item cannot be sent, and dispatches it at the next sweep', async () => {
      await submit('f3', 'flaky-in');
      await respond(answer({ requestId: 'f3', status: 'ERROR', messages: ['try 1'] }));
      world.clock.advance(10_000);
      world.bus.failing = true;
      await sweep(deps());
      expect(await stored('f3')).toMatchObject({ status: 'TO_DISPATCH', attempt: 1 });
      world.bus.failing = false;
      await sweep(deps());
      expect(await stored('f3')).toMatchObject({ status: 'DISPATCHED', attempt: 2 });
      expect(workItems('flaky').map((item) => item.headers[Header.dispatchAttempt])).toEqual([1, 2]);
    });

    it('never retries INVALID_CONTENT', async () => {
      await submit('f2', 'flaky-in');
      await respond(answer({ requestId: 'f2', status: 'INVALID_CONTENT', messages: ['bad'] }));
      expect((await stored('f2'))?.status).toBe('INVALID_CONTENT');
    });

    it('turns a dead-lettered work item into ERROR with its reason and tells the client; a stale one is recorded only', async () => {
      await submit('d1', 'raw');
      const workItem = workItems('extract')[0];
      if (!workItem) throw new Error('no work item');
      const dead = asInbound(workItem, names.workerDeadLetter);
      dead.headers['x-death'] = [{ reason: 'rejected', queue: 'regards.worker.extract.request', count: 1 }];
      await handleWorkerDeadLetters({ messages: [dead], unreadable: [] }, deps());
      expect(await stored('d1')).toMatchObject({ status: 'ERROR', error: 'Work item rejected by a worker of queue <regards.worker.extract.request>' });
      expect(clientAnswers().at(-1)?.body['state']).toBe('ERROR');

      const again = await handleWorkerDeadLetters({ messages: [dead], unreadable: [] }, deps());
      expect(again.written).toBe(0);
    });

    it('uses x-exception-stacktrace as the reason when a worker set it', async () => {
      await submit('d2', 'raw');
      const dead = asInbound(workItems('extract')[0]!, names.workerDeadLetter);
      dead.headers['x-exception-stacktrace'] = 'java.lang.IllegalStateException: boom';
      await handleWorkerDeadLetters({ messages: [dead], unreadable: [] }, deps());
      expect((await stored('d2'))?.error).toBe('java.lang.IllegalStateException: boom');
    });

    it('times out a DISPATCHED request nobody answered, and a RUNNING one that never finished', async () => {
      await submit('t1', 'raw');
      await submit('t2', 'enriched');
      await respond(answer({ requestId: 't2', status: 'RUNNING' }));
      world.clock.advance(3_600_000);
      await sweep(deps());
      expect(await stored('t1')).toMatchObject({ status: 'ERROR', error: 'No answer from a extract worker within 3600 s of dispatch (attempt 1)' });
      expect((await stored('t2'))?.status).toBe('RUNNING');
      world.clock.advance(86_400_000);
      await sweep(deps());
      expect((await stored('t2'))?.error).toContain('did not finish within 86400 s');
    });

    it('re-reads and applies again when another writer changed the request first', async () => {
      await submit('c1', 'raw');
      const original = world.requests.updateAll.bind(world.requests);
      let raced = false;
      world.requests.updateAll = async (updates) => {
        if (!raced) {
          raced = true;
          const current = await stored('c1');
          if (current) await original([{ previous: current, next: { ...current, version: current.version + 1, history: [] } }]);
        }
        return original(updates);
      };
      const report = await respond(answer({ requestId: 'c1', status: 'RUNNING' }));
      expect(report).toMatchObject({ retriedConflicts: 1, written: 1 });
      expect(await stored('c1')).toMatchObject({ status: 'RUNNING', version: 3 });
    });
  });
});
