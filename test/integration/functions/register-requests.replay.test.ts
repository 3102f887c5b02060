import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRequestsFunction } from '../../../functions/register-requests/handler.js';
import type { EventSourceEmulator } from '../../../infra/local/event-source-emulator.js';
import { Header } from '../../../shared/contract/headers.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { declareWorkerQueues, json, startHarness, type HostHarness } from '../../support/host-harness.js';
import { failingOnceEmulator } from '../../support/failing-once.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

describe('register-requests when the event source redelivers a batch', () => {
  let h: HostHarness;
  let emulator: EventSourceEmulator;

  beforeAll(async () => {
    // No function of the host consumes: this file runs its own emulator with a handler that fails once.
    h = await startHarness('intake-replay', { only: [] });
    await configure(h.services, 'tenant-a', { workers: [{ workerType: 'extract', contentTypeInputs: ['to-extract'] }] });
    await declareWorkerQueues(h, ['extract']);
    await bringAlive(h.services, 'extract');
    const handler = registerRequestsFunction.withDeps(h.services);
    emulator = failingOnceEmulator(h, h.settings.names.requestQueue, handler, { batchSize: 50, windowMs: 300 });
  });

  afterAll(async () => {
    await emulator?.stop();
    await h?.close();
  });

  it('stores each request once, re-sends its work item (at least once), and counts it once', async () => {
    const ids = Array.from({ length: 20 }, (_, n) => `replay-${n}`);
    await Promise.all(
      ids.map((id) =>
        h.rabbit.publish(h.settings.names.requestExchange, '', `{"id":"${id}"}`, {
          headers: { [Header.tenant]: 'tenant-a', [Header.requestId]: id, [Header.owner]: 'o', [Header.session]: 's', [Header.contentType]: 'to-extract' },
        }),
      ),
    );
    // Started once all 20 wait in the queue, so they form one batch (batch size 50).
    await emulator.start();
    const queue = workerRequestName(h.settings.names, 'extract');
    // First run and replay each sent the batch's work items: at-least-once towards workers.
    const work = await h.rabbit.collect(queue, 40, { timeoutMs: 20_000 });
    const perId = new Map<string, number>();
    for (const message of work) {
      const id = String(message.properties.headers?.[Header.requestId]);
      perId.set(id, (perId.get(id) ?? 0) + 1);
    }
    expect([...perId.keys()].sort()).toEqual([...ids].sort());
    expect(emulator.stats.failures).toBe(1);

    const answers = (await h.rabbit.collect(h.clientQueue, 40, { timeoutMs: 20_000 })).map(json);
    // The replay answers GRANTED again, never SKIPPED: a redelivery is not a duplicate.
    expect(answers.every((body) => body['state'] === 'GRANTED')).toBe(true);

    const stored = await h.services.requests.getAll('tenant-a', ids);
    expect(stored.size).toBe(20);
    expect([...stored.values()].every((request) => request.version === 1 && request.attempt === 1)).toBe(true);
    expect((await h.services.counters.get('tenant-a', 'o', 's'))?.values).toEqual({ 'workers.requests': 20, 'workers.extract.dispatched': 20 });
  });
});
