import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleWorkerResponsesFunction } from '../../../functions/handle-worker-responses/handler.js';
import type { EventSourceEmulator } from '../../../infra/local/event-source-emulator.js';
import { Header } from '../../../shared/contract/headers.js';
import { buildWorkerResponse } from '../../../shared/contract/worker-response.js';
import { declareWorkerQueues, json, startHarness, type HostHarness } from '../../support/host-harness.js';
import { failingOnceEmulator } from '../../support/failing-once.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

describe('handle-worker-responses when the event source redelivers a batch', () => {
  let h: HostHarness;
  let emulator: EventSourceEmulator;

  beforeAll(async () => {
    h = await startHarness('responses-replay', { only: ['register-requests'] });
    await configure(h.services, 'tenant-a', { workers: [{ workerType: 'w', contentTypeInputs: ['in'] }] });
    await declareWorkerQueues(h, ['w']);
    await bringAlive(h.services, 'w');
    const handler = handleWorkerResponsesFunction.withDeps(h.services);
    emulator = failingOnceEmulator(h, h.settings.names.workerResponse, handler, { batchSize: 100, windowMs: 0 });
  });

  afterAll(async () => {
    await emulator?.stop();
    await h?.close();
  });

  it('applies each answer once: one SUCCESS to the client, counted once', async () => {
    const ids = ['a', 'b', 'c'];
    for (const id of ids) {
      await h.rabbit.publish(h.settings.names.requestExchange, '', '{}', {
        headers: { [Header.tenant]: 'tenant-a', [Header.requestId]: id, [Header.owner]: 'o', [Header.session]: 's', [Header.contentType]: 'in' },
      });
    }
    const granted = await h.rabbit.collect(h.clientQueue, 3);
    expect(granted.map((message) => json(message)['state'])).toEqual(['GRANTED', 'GRANTED', 'GRANTED']);
    await h.services.bus.publish(
      ids.flatMap((id) =>
        (['RUNNING', 'SUCCESS'] as const).map((status) =>
          buildWorkerResponse(
            { exchange: h.settings.names.workerResponse },
            { tenant: 'tenant-a', requestId: id, status, dispatchAttempt: 1, content: Buffer.from(id) },
          ),
        ),
      ),
    );
    await emulator.start();
    const answers = await h.rabbit.collect(h.clientQueue, 3);
    expect(answers.map((message) => json(message)['state'])).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    await expect.poll(() => emulator.stats.invocations, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    // Nothing more arrives: the replay found the requests finished and deleted.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await h.rabbit.queueState(h.clientQueue)).messageCount).toBe(0);
    expect(emulator.stats.failures).toBe(1);
    const values = (await h.services.counters.get('tenant-a', 'o', 's'))?.values ?? {};
    // RUNNING and SUCCESS in one batch net to zero running: a zero sum is never written.
    expect({ ...values, 'workers.w.running': values['workers.w.running'] ?? 0 }).toEqual({
      'workers.requests': 3,
      'workers.w.dispatched': 0,
      'workers.w.running': 0,
      'workers.w.done': 3,
    });
  });
});
