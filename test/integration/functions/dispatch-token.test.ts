import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { buildWorkerResponse, type WorkerResponseFields } from '../../../shared/contract/worker-response.js';
import { declareWorkerQueues, eventually, json, startHarness, type HostHarness } from '../../support/host-harness.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

/*
 * Issue 12, point 5 on the real broker and dynalite: a broker user of another tenant knows a
 * request's tenant, id and (predictable) attempt, and publishes answers and a dead letter for it.
 * None has the token its work item carried, so none is applied; the worker that received the work
 * item answers with it, and that answer is.
 */

const VICTIM = 'tenant-victim';
const WORKER_TYPE = 'tokened';

describe('dispatch tokens over AMQP', () => {
  let h: HostHarness;

  beforeAll(async () => {
    h = await startHarness('dispatch-token', { only: ['register-requests', 'handle-worker-responses', 'handle-worker-dead-letters'] });
    await configure(h.services, VICTIM, { workers: [{ workerType: WORKER_TYPE, contentTypeInputs: ['tok-in'] }] });
    h.rabbit.trackWorkerType(WORKER_TYPE);
    await bringAlive(h.services, WORKER_TYPE);
    await declareWorkerQueues(h, [WORKER_TYPE]);
  });

  afterAll(async () => {
    await h?.close();
  });

  const answer = (fields: WorkerResponseFields) => buildWorkerResponse({ exchange: h.settings.names.workerResponse }, fields);
  const untrustedWarnings = () => h.logger.at('warn').filter((entry) => /dispatch token does not vouch for it/.test(entry.message));

  it("does not apply another tenant's forged answers and dead letter, and applies the answer carrying the work item's token", async () => {
    await h.rabbit.publish(h.settings.names.requestExchange, '', '{"secret":"input"}', {
      headers: { [Header.tenant]: VICTIM, [Header.requestId]: 'victim-1', [Header.owner]: 'o', [Header.session]: 's', [Header.contentType]: 'tok-in' },
    });
    const [granted] = (await h.rabbit.collect(h.clientQueue, 1, { timeoutMs: 15_000 })).map(json);
    expect(granted).toMatchObject({ requestId: 'victim-1', state: 'GRANTED' });

    const [workItem] = await h.rabbit.collect(workerRequestName(h.settings.names, WORKER_TYPE), 1, { timeoutMs: 15_000 });
    const token = String(workItem?.properties.headers?.[Header.dispatchToken]);
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(workItem?.properties.headers?.[Header.dispatchAttempt]).toBe(1);
    const dispatched = (await h.services.requests.getAll(VICTIM, ['victim-1'])).get('victim-1');
    expect(dispatched).toMatchObject({ status: 'DISPATCHED', attempt: 1, dispatchToken: token });

    // The attacker knows the tenant, the request id and the attempt, but not the token.
    const forged = { tenant: VICTIM, requestId: 'victim-1', dispatchAttempt: 1 };
    await h.services.bus.publish([
      answer({ ...forged, dispatchToken: 'AAAAAAAAAAAAAAAAAAAAAA', status: 'SUCCESS', content: Buffer.from('forged result') }),
      answer({ tenant: VICTIM, requestId: 'victim-1', dispatchToken: `${token.slice(0, 21)}x`, status: 'ERROR', messages: ['forged failure'] }),
    ]);
    await h.rabbit.publish(h.settings.names.deadLetterExchange, h.settings.names.workerDeadLetter, '{}', {
      headers: { ...Object.fromEntries(Object.entries(workItem?.properties.headers ?? {})), [Header.dispatchToken]: 'Zm9yZ2VkLWRlYWQtbGV0dGVy' },
    });
    await eventually(async () => untrustedWarnings().length >= 3, { timeoutMs: 15_000, what: 'the three forged messages are handled' });
    expect(untrustedWarnings().map((entry) => entry.fields)).toEqual(
      expect.arrayContaining([expect.objectContaining({ tenant: VICTIM, requestId: 'victim-1', currentAttempt: 1 })]),
    );

    // Not applied, not even written: the request is exactly as dispatched, and its client heard nothing.
    expect((await h.services.requests.getAll(VICTIM, ['victim-1'])).get('victim-1')).toEqual(dispatched);
    expect((await h.rabbit.queueState(h.clientQueue)).messageCount).toBe(0);

    // The worker that received the work item answers with its token: applied.
    await h.services.bus.publish([answer({ ...forged, dispatchToken: token, status: 'SUCCESS', content: Buffer.from('genuine result') })]);
    const [final] = (await h.rabbit.collect(h.clientQueue, 1, { timeoutMs: 15_000 })).map(json);
    expect(final).toMatchObject({ requestId: 'victim-1', state: 'SUCCESS' });
    expect(Buffer.from(String(final?.['content']), 'base64').toString()).toBe('genuine result');
    expect(h.logger.warnings.filter((message) => message.startsWith('ERROR'))).toEqual([]);
  });
});
