import type { InboundMessage, NormalizedBatch } from '../../contract/amazon-mq-event.js';
import { readClientRequestHeaders, type ClientRequest } from '../../contract/client-request.js';
import { duplicateRequestMessage, skippedContentTypeMessage } from '../../contract/response-event.js';
import { dispatchAnswer } from '../../domain/request/answers.js';
import { planDispatch } from '../../domain/request/dispatch.js';
import { messageFingerprint, numericRequestId, type Request } from '../../domain/request/request.js';
import { BatchEffects } from '../services/batch-effects.js';
import type { RequestFlowDeps } from '../services/request-events.js';

// register-requests handler --> (use case) --> domain, RequestStore, MessageBus, CounterStore

export type RegisterRequestsDeps = RequestFlowDeps;

export interface RegisterRequestsReport {
  received: number;
  dispatched: number;
  delayed: number;
  skipped: number;
  /** Redeliveries of requests already stored: their work item and answer were sent again. */
  replayed: number;
  /** No tenant or no request id: nobody to answer, so they went to the request queue's dead-letter queue. */
  deadLettered: number;
}

interface Candidate {
  message: InboundMessage;
  client: ClientRequest;
  fingerprint: string;
}

const key = (tenant: string, requestId: string) => `${tenant}\u0000${requestId}`;

/**
 * Registers one batch of client requests (reference 4.3): validate, store each new request with a
 * conditional write, dispatch those whose worker type is alive, answer every client, count.
 * Throws only when the store or the broker fails; the event source then redelivers the batch, and
 * the replay stores nothing twice and re-sends what may not have been sent.
 */
export async function registerRequests(batch: NormalizedBatch, deps: RegisterRequestsDeps): Promise<RegisterRequestsReport> {
  const { settings, logger } = deps;
  const now = deps.clock.now();
  const effects = new BatchEffects(settings.names, now);
  const report: RegisterRequestsReport = { received: batch.messages.length, dispatched: 0, delayed: 0, skipped: 0, replayed: 0, deadLettered: 0 };

  const readings = batch.messages.map((message) => ({ message, reading: readClientRequestHeaders(message.headers) }));
  const answerableTenants = readings.flatMap(({ reading }) => (reading.kind === 'valid' ? [reading.request.tenant] : reading.kind === 'invalid' ? [reading.tenant] : []));
  const views = await deps.tenants.getAll(answerableTenants);

  const candidates: Candidate[] = [];
  const claimed = new Set<string>();
  for (const { message, reading } of readings) {
    if (reading.kind === 'unanswerable') {
      const reason = reading.problems.map((problem) => problem.message).join('; ');
      logger.warn('request dead-lettered: it cannot be answered', { reason, tenant: reading.tenant, requestId: reading.requestId });
      effects.deadLetter(message, reason);
      report.deadLettered += 1;
      continue;
    }
    const tenant = reading.kind === 'valid' ? reading.request.tenant : reading.tenant;
    const requestId = reading.kind === 'valid' ? reading.request.requestId : reading.requestId;
    const contentType = reading.kind === 'valid' ? reading.request.contentType : reading.contentType;
    const reasons = reading.kind === 'invalid' ? reading.problems.map((problem) => problem.message) : [];
    if (contentType !== undefined && views.get(tenant)?.routing.isSkipped(contentType)) {
      reasons.push(skippedContentTypeMessage(contentType, tenant));
    }
    if (message.body.length > settings.maxRequestBytes) {
      reasons.push(`Request body is ${message.body.length} bytes, more than the ${settings.maxRequestBytes} bytes allowed`);
    }
    if (claimed.has(key(tenant, requestId))) reasons.push(duplicateRequestMessage(requestId));
    if (reading.kind === 'valid' && reasons.length === 0) {
      claimed.add(key(tenant, requestId));
      const { client } = { client: reading.request };
      candidates.push({ message, client, fingerprint: fingerprintOf(client, message.body) });
      continue;
    }
    report.skipped += 1;
    effects.respond({
      state: 'SKIPPED',
      tenant,
      requestId,
      ...(reading.kind === 'invalid'
        ? pick(reading, ['owner', 'session', 'contentType'])
        : { owner: reading.request.owner, session: reading.request.session, contentType: reading.request.contentType }),
      messages: reasons,
    });
  }

  const alive = await deps.liveness.aliveTypes();
  await deps.tenants.register(candidates.map((candidate) => candidate.client.tenant));
  const planned = candidates.map((candidate) => {
    const view = views.get(candidate.client.tenant);
    if (view === undefined) throw new Error(`tenant ${candidate.client.tenant} was not loaded`);
    if (!view.configured) logger.warn('request for a tenant with no configuration: it waits until one is imported', { tenant: view.tenant });
    const plan = planDispatch(newRequest(candidate, now), 'NEW', {
      routing: view.routing,
      isAlive: (type) => alive.has(type),
      now,
      waitingRecheckMs: settings.waitingRecheckSeconds * 1000,
    }, 'registered');
    return { candidate, plan };
  });

  const outcomes = await deps.requests.insertAll(planned.map(({ plan }) => plan.request));
  planned.forEach(({ candidate, plan }, index) => {
    const outcome = outcomes[index];
    if (outcome === undefined) throw new Error('the store returned fewer outcomes than requests');
    if (outcome.inserted) {
      effects.count(plan.request, { kind: 'created', after: plan.request });
      answer(effects, plan.request);
      if (plan.response === 'GRANTED') report.dispatched += 1;
      else report.delayed += 1;
      return;
    }
    const existing = outcome.existing;
    if (candidate.message.redelivered && existing.fingerprint === candidate.fingerprint) {
      // The first delivery stored it; its work item or answer may not have gone out before the
      // batch failed. Sending again is safe: workers and clients get at-least-once delivery.
      if (replayable(existing)) answer(effects, existing);
      report.replayed += 1;
      return;
    }
    report.skipped += 1;
    effects.respond({
      state: 'SKIPPED',
      tenant: candidate.client.tenant,
      requestId: candidate.client.requestId,
      owner: candidate.client.owner,
      session: candidate.client.session,
      contentType: candidate.client.contentType,
      messages: [duplicateRequestMessage(candidate.client.requestId)],
    });
  });

  await effects.flush(deps);
  logger.info('requests registered', { ...report });
  return report;
}

function answer(effects: BatchEffects, request: Request): void {
  const granted = request.status === 'DISPATCHED';
  if (granted) effects.workItem(request);
  effects.respondAbout(request, dispatchAnswer({ request, response: granted ? 'GRANTED' : 'DELAYED' }));
}

/** Still in the state intake left it in: nothing after intake has happened to it yet. */
function replayable(request: Request): boolean {
  return (request.status === 'DISPATCHED' && request.attempt === 1) || (request.status === 'NO_WORKER_AVAILABLE' && request.attempt === 0);
}

function fingerprintOf(client: ClientRequest, body: Uint8Array): string {
  return messageFingerprint([client.tenant, client.requestId, client.owner, client.session, client.contentType], body);
}

function newRequest(candidate: Candidate, now: Date): Request {
  const { client, message } = candidate;
  const at = now.toISOString();
  return {
    tenant: client.tenant,
    requestId: client.requestId,
    id: numericRequestId(client.tenant, client.requestId),
    contentType: client.contentType,
    source: client.owner,
    session: client.session,
    creationDate: at,
    status: 'TO_DISPATCH',
    statusDate: at,
    content: new Uint8Array(message.body),
    originalContent: null,
    additionalHeaders: {},
    stepNumber: null,
    stepWorkerType: null,
    dispatchedWorkerType: null,
    attempt: 0,
    stepAttempts: 0,
    error: null,
    deadline: null,
    history: [],
    version: 0,
    fingerprint: candidate.fingerprint,
  };
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const name of keys) if (source[name] !== undefined) out[name] = source[name];
  return out;
}
