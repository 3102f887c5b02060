import type { GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Header } from '../../../shared/contract/headers.js';
import { BATCH_FAILURE_TITLE, NOTIFICATION_EVENT_CLASS } from '../../../shared/contract/regards-notifications.js';
import { NotificationEventBodySchema, SessionStepSchema } from '../../../shared/contract/regards-session-schemas.js';
import { SESSION_DELETE_EVENT_CLASS, SESSION_STEP_EVENT_CLASS, SOURCE_DELETE_EVENT_CLASS } from '../../../shared/contract/regards-sessions.js';
import { apiCall, TEST_JWT_SECRET, tokenFor } from '../../support/admin-api-client.js';
import { declareWorkerQueues, eventually, publishRequest, startHarness, type HostHarness } from '../../support/host-harness.js';
import { makeRequest } from '../../support/store-contract/requests.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

/*
 * The REGARDS session dashboard and notifications on the real broker: a batch of requests sends
 * the SessionStepEvents rs-admin stores and one NotificationEvent for what it turned away, and a
 * SessionDeleteEvent from rs-admin deletes exactly that session's requests through a bulk job.
 */

let h: HostHarness;
let stepQueue: string;
let noticeQueue: string;

beforeAll(async () => {
  h = await startHarness('regards-sessions', {
    only: ['register-requests'],
    http: { port: 0, auth: { secret: TEST_JWT_SECRET } },
    // The names are prefixed (not REGARDS'), so `auto` would be off: the mode is asked for.
    settings: { regards: { sessionEvents: 'session-step', notifications: true, microservice: 'rs-worker-manager' } },
  });
  await configure(h.services, 'tenant-a', { workers: [{ workerType: 'extract', contentTypeInputs: ['to-extract'] }] });
  await declareWorkerQueues(h, ['extract']);
  await bringAlive(h.services, 'extract');
  stepQueue = h.rabbit.name('rs-admin-session-steps');
  noticeQueue = h.rabbit.name('rs-admin-notifications');
  for (const [queue, exchange] of [
    [stepQueue, h.settings.names.sessionStepExchange],
    [noticeQueue, h.settings.names.notificationExchange],
  ] as const) {
    await h.rabbit.declareQueue(queue);
    await h.rabbit.bindQueue(queue, exchange, '');
  }
});

afterAll(async () => {
  await h?.close();
});

/** Every message ready on a queue now, acknowledged. */
async function drain(queue: string): Promise<GetMessage[]> {
  const channel = await (await h.rabbit.provider().get()).createChannel();
  try {
    const messages: GetMessage[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) return messages;
      messages.push(message);
    }
  } finally {
    await channel.close();
  }
}

describe('session counters and notifications sent to rs-admin', () => {
  it('reports each changed session as a SessionStepEvent with its absolute counts, and notifies the unknown tenant once per batch', async () => {
    await publishRequest(h, 'step-1', { [Header.session]: 'dashboard' });
    await publishRequest(h, 'step-2', { [Header.session]: 'dashboard' });
    await publishRequest(h, 'nobody-1', { [Header.tenant]: 'tenant-unknown' });

    const steps: { tenant: unknown; step: ReturnType<typeof SessionStepSchema.parse>; type: unknown }[] = [];
    const latest = await eventually(
      async () => {
        for (const message of await drain(stepQueue)) {
          const body = JSON.parse(message.content.toString('utf8')) as { sessionStep: unknown };
          steps.push({
            tenant: message.properties.headers?.[Header.tenant],
            type: message.properties.headers?.[Header.type],
            step: SessionStepSchema.parse(body.sessionStep),
          });
        }
        const last = steps.filter(({ step }) => step.session === 'dashboard').at(-1);
        return last?.step.properties['workers.requests'] === '2' ? last : undefined;
      },
      { what: 'a SessionStepEvent with both requests of the session' },
    );
    expect(latest.tenant).toBe('tenant-a');
    expect(latest.type).toBe(SESSION_STEP_EVENT_CLASS);
    expect(latest.step).toMatchObject({
      stepId: 'workers',
      source: 'owner',
      session: 'dashboard',
      type: 'ACQUISITION',
      inputRelated: 2,
      outputRelated: 0,
      state: { waiting: 0, running: 2, errors: 0 },
      properties: { 'workers.requests': '2', 'workers.extract.dispatched': '2' },
    });
    // The same counts as the REST view of the counters.
    const counters = await h.services.counters.get('tenant-a', 'owner', 'dashboard');
    expect(counters?.values).toEqual({ 'workers.requests': 2, 'workers.extract.dispatched': 2 });
    // Nothing was stored for the unknown tenant, so no session of it is reported.
    expect(steps.some(({ tenant }) => tenant === 'tenant-unknown')).toBe(false);

    const notices = await eventually(
      async () => {
        const got = await drain(noticeQueue);
        return got.length > 0 ? got : undefined;
      },
      { what: 'a NotificationEvent' },
    );
    expect(notices).toHaveLength(1);
    const notice = notices[0]!;
    expect(notice.properties.headers).toMatchObject({ [Header.tenant]: 'tenant-unknown', [Header.type]: NOTIFICATION_EVENT_CLASS, [Header.converter]: 'GSON' });
    const body = NotificationEventBodySchema.parse(JSON.parse(notice.content.toString('utf8')));
    expect(body.notification).toMatchObject({
      title: BATCH_FAILURE_TITLE,
      level: 'ERROR',
      sender: 'rs-worker-manager',
      roleRecipients: ['EXPLOIT'],
      mimeType: 'text/plain',
    });
    expect(body.notification.message).toContain("'Unknown tenant.' : 1 errors");
  });
});

describe('session and source deletions from rs-admin', () => {
  it('deletes exactly the named session through a bulk job, with its progress at GET /jobs/{id}', async () => {
    const tenant = 'tenant-a';
    const failed = { status: 'ERROR' as const, error: 'failed' };
    await h.services.requests.insertAll([
      makeRequest(tenant, 'del-1', { source: 'src', session: 'to-delete', ...failed }),
      makeRequest(tenant, 'del-2', { source: 'src', session: 'to-delete', status: 'NO_WORKER_AVAILABLE', dispatchedWorkerType: null }),
      // A worker holds it: left to finish.
      makeRequest(tenant, 'busy-1', { source: 'src', session: 'to-delete', status: 'RUNNING' }),
      // Names that contain the deleted ones: REGARDS' LIKE %x% would delete them too.
      makeRequest(tenant, 'near-1', { source: 'src', session: 'to-delete-not', ...failed }),
      makeRequest(tenant, 'near-2', { source: 'src-2', session: 'to-delete', ...failed }),
    ]);

    await h.rabbit.publish(h.settings.names.sessionDeleteExchange, '', JSON.stringify({ source: 'src', session: 'to-delete' }), {
      headers: { [Header.tenant]: tenant, [Header.type]: SESSION_DELETE_EVENT_CLASS, [Header.converter]: 'GSON' },
      contentType: 'application/json',
    });

    const adminApi = h.host.adminApi!;
    const job = await eventually(
      async () => {
        const page = await adminApi.jobStore.list(tenant, { limit: 10 });
        return page.items.find((item) => item.requestedBy === 'rs-admin:SessionDeleteEvent' && item.status === 'DONE');
      },
      { what: 'a finished delete job', timeoutMs: 20_000 },
    );
    expect(job).toMatchObject({ kind: 'delete', fromRegards: true, filter: { source: 'src', session: 'to-delete' }, succeeded: 2 });
    const answer = await apiCall(h, 'GET', `/jobs/${job.id}`, { token: tokenFor(tenant, 'EXPLOIT') });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'DONE' });

    const left = await h.services.requests.getAll(tenant, ['del-1', 'del-2', 'busy-1', 'near-1', 'near-2']);
    expect([...left.keys()].sort()).toEqual(['busy-1', 'near-1', 'near-2']);
    // rs-admin has just deleted the session: the job does not report it back (it would reappear).
    const reported = (await drain(stepQueue)).map(
      (message) => (JSON.parse(message.content.toString('utf8')) as { sessionStep: { session: string } }).sessionStep.session,
    );
    expect(reported).not.toContain('to-delete');
  });

  it('deletes a whole source, exactly, on a SourceDeleteEvent', async () => {
    const tenant = 'tenant-b';
    const failed = { status: 'ERROR' as const, error: 'failed' };
    await h.services.requests.insertAll([
      makeRequest(tenant, 'src-1', { source: 'gone', session: 'a', ...failed }),
      makeRequest(tenant, 'src-2', { source: 'gone', session: 'b', ...failed }),
      makeRequest(tenant, 'src-3', { source: 'gone-not', session: 'a', ...failed }),
    ]);
    await h.rabbit.publish(h.settings.names.sourceDeleteExchange, '', JSON.stringify({ source: 'gone' }), {
      headers: { [Header.tenant]: tenant, [Header.type]: SOURCE_DELETE_EVENT_CLASS },
    });
    await eventually(async () => (await h.services.requests.getAll(tenant, ['src-1', 'src-2'])).size === 0, { what: 'the source deleted', timeoutMs: 20_000 });
    await h.host.adminApi!.jobs.idle();
    expect([...(await h.services.requests.getAll(tenant, ['src-1', 'src-2', 'src-3'])).keys()]).toEqual(['src-3']);
  });
});
