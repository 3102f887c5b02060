import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { buildWorkerResponse } from '../../../shared/contract/worker-response.js';
import { declareWorkerQueues, eventually, json, publishRequest, startHarness, type HostHarness } from '../../support/host-harness.js';
import { apiCall, TEST_JWT_SECRET, tokenFor } from '../../support/admin-api-client.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

/*
 * Fair dispatch through the local host, on the real broker and dynalite: tenant A publishes a
 * backlog, then tenant B a few requests, with a limit of 2 in flight for the worker type. A worker
 * played by the test answers SUCCESS to each work item in the order they reach its queue. Turns
 * between tenants mean B's few are done before A's backlog is half done. No timing is asserted:
 * only the order the worker saw.
 */

const A = 'tenant-a';
const B = 'tenant-b';
const A_BACKLOG = 30;
const B_FEW = 4;

describe('fair dispatch through the local host', () => {
  let h: HostHarness;

  beforeAll(async () => {
    h = await startHarness('fair', {
      only: ['register-requests', 'handle-worker-responses'],
      http: { port: 0, auth: { secret: TEST_JWT_SECRET } },
      settings: { fairDispatch: { workerTypes: { extract: { maxInFlight: 2 } }, tenantWeights: {} } },
    });
    for (const tenant of [A, B]) await configure(h.services, tenant, { workers: [{ workerType: 'extract', contentTypeInputs: ['to-extract'] }] });
    h.rabbit.trackWorkerType('extract');
    await bringAlive(h.services, 'extract');
    await declareWorkerQueues(h, ['extract']);
  });

  afterAll(async () => {
    await h?.close();
  });

  it("finishes tenant B's few requests before half of tenant A's backlog", async () => {
    for (let index = 0; index < A_BACKLOG; index += 1) await publishRequest(h, `a-${index}`, { [Header.tenant]: A });
    // B publishes once A's backlog is registered: its requests arrive behind all of A's.
    await h.rabbit.collect(h.clientQueue, A_BACKLOG, { timeoutMs: 20_000 });
    for (let index = 0; index < B_FEW; index += 1) await publishRequest(h, `b-${index}`, { [Header.tenant]: B });
    await h.rabbit.collect(h.clientQueue, B_FEW, { timeoutMs: 20_000 });

    const queue = workerRequestName(h.settings.names, 'extract');
    const done: string[] = [];
    while (done.length < A_BACKLOG + B_FEW) {
      const [item] = await h.rabbit.collect(queue, 1, { timeoutMs: 20_000 });
      if (item === undefined) throw new Error('no work item');
      const headers = item.properties.headers ?? {};
      const tenant = String(headers[Header.tenant]);
      const requestId = String(headers[Header.requestId]);
      // Holding never more than the limit: the manager's queue for this worker stays short.
      expect((await h.rabbit.queueState(queue)).messageCount).toBeLessThanOrEqual(2);
      await h.services.bus.publish([
        buildWorkerResponse(
          { exchange: h.settings.names.workerResponse },
          {
            tenant,
            requestId,
            status: 'SUCCESS',
            dispatchAttempt: Number(headers[Header.dispatchAttempt]),
            dispatchToken: String(headers[Header.dispatchToken]),
          },
        ),
      ]);
      done.push(`${tenant}/${requestId}`);
    }

    const lastOfB = Math.max(...done.map((key, index) => (key.startsWith(`${B}/`) ? index : -1)));
    const aDoneBefore = done.slice(0, lastOfB).filter((key) => key.startsWith(`${A}/`)).length;
    expect(done.filter((key) => key.startsWith(`${B}/`))).toHaveLength(B_FEW);
    expect(aDoneBefore).toBeLessThan(A_BACKLOG / 2);
    expect(new Set(done).size).toBe(A_BACKLOG + B_FEW);
  });

  it('cancels a waiting request and a dispatched one through the admin API (ADMIN only), freeing the slot', async () => {
    // The client queue may still hold the first test's answers: read on until the one looked for.
    const answerFor = async (requestId: string) => {
      for (;;) {
        const [message] = await h.rabbit.collect(h.clientQueue, 1, { timeoutMs: 20_000 });
        const answer = json(message!);
        if (answer['requestId'] === requestId) return answer;
      }
    };
    // The first test's last answers are applied: no slot is taken any more.
    await eventually(async () => (await h.services.slots?.read('extract'))?.total === 0, { timeoutMs: 20_000, what: 'every slot free' });
    for (const id of ['c-0', 'c-1', 'c-2', 'c-3']) await publishRequest(h, id, { [Header.tenant]: A });
    expect((await answerFor('c-2'))['state']).toBe('DELAYED');
    expect((await answerFor('c-3'))['state']).toBe('DELAYED');

    // The admin API says why each waits and its place in its tenant's queue.
    const detail = async (id: string) =>
      (await apiCall(h, 'GET', `/requests/${id}`, { token: tokenFor(A, 'EXPLOIT') })).body.content as Record<string, unknown>;
    const waitingFor = {
      reason: 'slot',
      workerType: 'extract',
      maxInFlight: 2,
      maxInFlightPerTenant: null,
      inFlight: 2,
      inFlightOfTenant: 2,
      positionExact: true,
    };
    expect((await detail('c-2'))['waitingFor']).toEqual({ ...waitingFor, position: 1, tenantsWaiting: 1 });
    expect((await detail('c-3'))['waitingFor']).toEqual({ ...waitingFor, position: 2, tenantsWaiting: 1 });
    expect((await detail('c-0'))['waitingFor']).toBeUndefined();

    const cancel = (id: string, role: string) => apiCall(h, 'POST', `/requests/${id}/cancel`, { token: tokenFor(A, role) });
    expect((await cancel('c-2', 'EXPLOIT')).status).toBe(403);
    const waiting = await cancel('c-2', 'ADMIN');
    expect(waiting.status).toBe(200);
    expect(waiting.body.content).toMatchObject({ status: 'ERROR' });
    const answered = await answerFor('c-2');
    expect(answered).toMatchObject({ requestId: 'c-2', state: 'ERROR' });
    expect(String((answered['messages'] as string[])[0])).toMatch(/Cancelled by an operator/);
    expect((await cancel('c-2', 'ADMIN')).status).toBe(409);

    expect((await h.services.slots?.read('extract'))?.total).toBe(2);
    expect((await cancel('c-0', 'ADMIN')).status).toBe(200);
    expect((await h.services.slots?.read('extract'))?.total).toBe(1);
  });
});
