import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { dedicatedDeadLetterQueue } from '../../../shared/contract/wire-names.js';
import { buildWorkerResponse, type WorkerResponseFields } from '../../../shared/contract/worker-response.js';
import { REJECTION_REASON_HEADER } from '../../../shared/application/services/batch-effects.js';
import { declareWorkerQueues, json, startHarness, type HostHarness } from '../../support/host-harness.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

/*
 * Issue 12 on the real broker and dynalite: one batch of worker responses mixes good answers with
 * a 5 KB request id, a 1 MB error text and huge additional headers. Every good answer is applied
 * and answered once, and nothing is redelivered.
 */

const TENANT = 'tenant-l';
const KB = 1024;

describe('worker responses past their limits over AMQP', () => {
  let h: HostHarness;

  beforeAll(async () => {
    h = await startHarness('limits', { only: ['register-requests', 'handle-worker-responses'] });
    await configure(h.services, TENANT, {
      workers: [
        { workerType: 'hand', contentTypeInputs: ['hand-in'], contentTypeOutput: 'hand-out' },
        { workerType: 'hand-next', contentTypeInputs: ['hand-out'] },
      ],
      workflows: [
        {
          workflowType: 'hand-flow',
          steps: [
            { stepNumber: 1, workerType: 'hand' },
            { stepNumber: 2, workerType: 'hand-next' },
          ],
        },
      ],
    });
    for (const type of ['hand', 'hand-next']) {
      h.rabbit.trackWorkerType(type);
      await bringAlive(h.services, type);
    }
    await declareWorkerQueues(h, ['hand', 'hand-next']);
  });

  afterAll(async () => {
    await h?.close();
  });

  async function send(requestId: string, contentType: string) {
    await h.rabbit.publish(h.settings.names.requestExchange, '', '{}', {
      headers: { [Header.tenant]: TENANT, [Header.requestId]: requestId, [Header.owner]: 'o', [Header.session]: 's', [Header.contentType]: contentType },
    });
  }

  const reply = (fields: Omit<WorkerResponseFields, 'tenant'>) =>
    buildWorkerResponse({ exchange: h.settings.names.workerResponse }, { tenant: TENANT, ...fields });

  it('applies and answers every good response of the batch, dead-letters only the one naming no request, and redelivers nothing', async () => {
    const ids = ['good-1', 'good-2', 'good-3', 'long-error', 'huge-headers'];
    for (const id of ids.slice(0, 4)) await send(id, 'hand-in');
    await send('huge-headers', 'hand-flow');
    const granted = (await h.rabbit.collect(h.clientQueue, ids.length, { timeoutMs: 15_000 })).map(json);
    expect(granted.map((answer) => answer['state'])).toEqual(Array(ids.length).fill('GRANTED'));

    const hugeHeaders = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`h${i}`, 'v'.repeat(4 * KB)]));
    await h.services.bus.publish([
      reply({ requestId: 'good-1', status: 'SUCCESS', content: Buffer.from('one') }),
      reply({ requestId: 'x'.repeat(5 * KB), status: 'SUCCESS' }),
      reply({ requestId: 'good-2', status: 'RUNNING', messages: ['halfway'] }),
      reply({ requestId: 'long-error', status: 'ERROR', messages: ['e'.repeat(KB * KB)] }),
      reply({ requestId: 'huge-headers', status: 'SUCCESS', content: Buffer.from('step'), additionalHeaders: hugeHeaders }),
      reply({ requestId: 'good-2', status: 'SUCCESS', content: Buffer.from('two') }),
      reply({ requestId: 'good-3', status: 'SUCCESS', content: Buffer.from('three') }),
    ]);

    const finals = (await h.rabbit.collect(h.clientQueue, 5, { timeoutMs: 20_000 })).map(json);
    const stateOf = Object.fromEntries(finals.map((answer) => [String(answer['requestId']), answer['state']]));
    expect(stateOf).toEqual({ 'good-1': 'SUCCESS', 'good-2': 'SUCCESS', 'good-3': 'SUCCESS', 'long-error': 'ERROR', 'huge-headers': 'ERROR' });
    const errorAnswer = finals.find((answer) => answer['requestId'] === 'long-error');
    expect(String((errorAnswer?.['messages'] as string[])[0])).toMatch(/… \[truncated [\d,]+ characters\]/);
    expect(String((finals.find((answer) => answer['requestId'] === 'huge-headers')?.['messages'] as string[])[0])).toContain('additional headers too large');

    const [dead] = await h.rabbit.collect(dedicatedDeadLetterQueue(h.settings.names.workerResponse), 1);
    expect(dead?.properties.headers?.[REJECTION_REASON_HEADER]).toBe('header regards.request.id is too long (5120 characters, at most 255 allowed)');

    // A redelivered batch would send its answers again (replays) and log the failure.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await h.rabbit.queueState(h.clientQueue)).messageCount).toBe(0);
    expect((await h.rabbit.queueState(h.settings.names.workerResponse)).messageCount).toBe(0);
    expect(h.logger.warnings.filter((line) => line.startsWith('ERROR'))).toEqual([]);
  }, 60_000);
});
