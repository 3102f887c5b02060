import type { InboundMessage, NormalizedBatch } from '../../contract/amazon-mq-event.js';
import { readClientRequestHeaders, type ClientRequest, type ClientRequestReading } from '../../contract/client-request.js';
import { NoticeTitle } from '../../contract/regards-notifications.js';
import { duplicateRequestMessage, skippedContentTypeMessage } from '../../contract/response-event.js';
import { dispatchAnswer } from '../../domain/request/answers.js';
import { planDispatch, type DispatchPlan } from '../../domain/request/dispatch.js';
import { messageFingerprint, numericRequestId, type Request } from '../../domain/request/request.js';
import { BatchEffects } from '../services/batch-effects.js';
import { newDispatchToken } from '../services/dispatch-token.js';
import type { InsertOutcome, StoreValidationError } from '../../ports/request-store.js';
import type { RequestFlowDeps } from '../services/request-events.js';
import type { TenantView } from '../services/tenant-configs.js';
import type { Logger } from '../../kernel/logger.js';
import { SlotGate } from '../services/slot-gate.js';
import { heldAnswer, holdForSlot } from '../../domain/request/slot-wait.js';
import { fillFreeSlots } from './fill-slots.js';

// register-requests handler --> (use case) --> domain, RequestStore, MessageBus, CounterStore

export type RegisterRequestsDeps = RequestFlowDeps;

export interface RegisterRequestsReport {
  received: number;
  dispatched: number;
  delayed: number;
  skipped: number;
  /**
   * Redeliveries of requests already stored (their work item and answer were sent again if nothing
   * had happened to them since) or already finished and removed (nothing was sent).
   */
  replayed: number;
  /** No tenant or no request id: nobody to answer, so they went to the request queue's dead-letter queue. */
  deadLettered: number;
  /** Refused by the store (a limit missed at the door): dead-lettered with the reason and answered SKIPPED. */
  refused: number;
  /** Of the skipped, those naming a tenant nobody declared (`declared` tenants mode): nothing was stored for them. */
  unknownTenant: number;
}

interface Candidate {
  message: InboundMessage;
  client: ClientRequest;
  fingerprint: string;
}

/** A candidate with the request it becomes, routed and dispatched (or parked) by the rules. */
interface Planned {
  candidate: Candidate;
  plan: DispatchPlan;
}

/** What the triage kept for storing, and how many it turned away. */
interface Triage {
  candidates: Candidate[];
  skipped: number;
  deadLettered: number;
  /** Distinct undeclared tenants named, and how many messages named them. */
  unknownTenants: Set<string>;
  unknownTenant: number;
}

/** Undeclared tenants named in the warning of one batch; the count says how many there were. */
const LOGGED_UNKNOWN_TENANTS = 10;
/** Finished requests named in the line about their replays; the count says how many there were. */
const LOGGED_FINISHED_REPLAYS = 10;

/** The SKIPPED reason for a tenant nobody declared (`declared` tenants mode). */
export function unknownTenantMessage(tenant: string): string {
  return `Tenant ${tenant} is unknown to this worker manager: an administrator declares it (PUT /tenants/{tenant}) or imports its configuration`;
}

type AnswerTally = Pick<RegisterRequestsReport, 'dispatched' | 'delayed' | 'replayed' | 'skipped' | 'refused'>;

const key = (tenant: string, requestId: string) => `${tenant}\u0000${requestId}`;

/**
 * Registers one batch of client requests (reference 4.3): validate, store each new request with a
 * conditional write, dispatch those whose worker type is alive, answer every client, count.
 * Throws only when the store or the broker fails; the event source then redelivers the batch, and
 * the replay stores nothing twice and re-sends what may not have been sent.
 */
export async function registerRequests(batch: NormalizedBatch, deps: RegisterRequestsDeps): Promise<RegisterRequestsReport> {
  const now = deps.clock.now();
  deps.metrics?.count('requestsReceived', {}, batch.messages.length);
  const effects = new BatchEffects(deps.settings.names, now);
  const readings = batch.messages.map((message) => ({ message, reading: readClientRequestHeaders(message.headers) }));
  const views = await deps.tenants.getAll(readings.flatMap(({ reading }) => answerableTenant(reading)));
  const triage = triageBatch(readings, views, deps, effects);

  const alive = await deps.liveness.aliveTypes();
  // Only the `open` mode lets traffic name tenants into existence (each one costs every sweep work).
  if (deps.settings.tenants === 'open') await deps.tenants.register(triage.candidates.map((candidate) => candidate.client.tenant));
  const gate = new SlotGate(deps.slots, deps.settings.fairDispatch);
  const planned = await holdPastLimits(applyRules(triage.candidates, views, { isAlive: (type) => alive.has(type), now, deps }), gate, now);
  const inserted = await deps.requests.insertAll(
    planned.map(({ plan }) => plan.request),
    { redelivered: planned.map(({ candidate }) => candidate.message.redelivered) },
  );
  const tally = answerAll(planned, inserted, effects);
  logFinishedReplays(planned, inserted, deps.logger);
  const held = await settleSlots(planned, inserted, gate);

  await effects.flush(deps);
  // Held behind requests already waiting while a slot may be free (a release whose fill has not run
  // yet): the fill gives the free slots out in turn, these included, after their DELAYED went out.
  if (held.length > 0) await fillFreeSlots(deps, { workerTypes: held });
  const report: RegisterRequestsReport = {
    received: batch.messages.length,
    dispatched: tally.dispatched,
    delayed: tally.delayed,
    skipped: triage.skipped + tally.skipped,
    replayed: tally.replayed,
    deadLettered: triage.deadLettered,
    refused: tally.refused,
    unknownTenant: triage.unknownTenant,
  };
  if (triage.unknownTenant > 0) {
    // One line per batch whatever it holds: a flood of invented tenants must not flood the logs.
    deps.logger.warn('requests for undeclared tenants answered SKIPPED; nothing stored', {
      count: triage.unknownTenant,
      distinctTenants: triage.unknownTenants.size,
      tenants: [...triage.unknownTenants].slice(0, LOGGED_UNKNOWN_TENANTS),
    });
  }
  deps.logger.info('requests registered', { ...report });
  return report;
}

/** The tenant a reading can be answered in, if any: only those tenants' configurations are loaded. */
function answerableTenant(reading: ClientRequestReading): string[] {
  if (reading.kind === 'valid') return [reading.request.tenant];
  return reading.kind === 'invalid' ? [reading.tenant] : [];
}

/**
 * Sorts the batch: an unanswerable message is dead-lettered, one that breaks a rule (bad headers,
 * skipped content type, body too large, a request id already used earlier in the batch) is
 * answered SKIPPED, and the rest become candidates for storing.
 */
function triageBatch(
  readings: readonly { message: InboundMessage; reading: ClientRequestReading }[],
  views: ReadonlyMap<string, TenantView>,
  { settings, logger }: Pick<RegisterRequestsDeps, 'settings' | 'logger'>,
  effects: BatchEffects,
): Triage {
  const triage: Triage = { candidates: [], skipped: 0, deadLettered: 0, unknownTenants: new Set(), unknownTenant: 0 };
  const claimed = new Set<string>();
  for (const { message, reading } of readings) {
    if (reading.kind === 'unanswerable') {
      const reason = reading.problems.map((problem) => problem.message).join('; ');
      logger.warn('request dead-lettered: it cannot be answered', { reason, tenant: reading.tenant, requestId: reading.requestId });
      effects.deadLetter(message, reason);
      triage.deadLettered += 1;
      continue;
    }
    // An invalid reading carries the fields it could read; owner, session or content type may be missing.
    const fields = reading.kind === 'valid' ? reading.request : reading;
    const { tenant, requestId, contentType } = fields;
    const reasons = reading.kind === 'invalid' ? reading.problems.map((problem) => problem.message) : [];
    if (settings.tenants === 'declared' && views.get(tenant)?.declared !== true) {
      reasons.push(unknownTenantMessage(tenant));
      effects.notify(tenant, NoticeTitle.unknownTenant);
      triage.unknownTenant += 1;
      triage.unknownTenants.add(tenant);
    }
    if (contentType !== undefined && views.get(tenant)?.routing.isSkipped(contentType)) {
      reasons.push(skippedContentTypeMessage(contentType, tenant));
    }
    if (message.body.length > settings.maxRequestBytes) {
      reasons.push(`Request body is ${message.body.length} bytes, more than the ${settings.maxRequestBytes} bytes allowed`);
    }
    if (claimed.has(key(tenant, requestId))) reasons.push(duplicateRequestMessage(requestId));
    if (reading.kind === 'valid' && reasons.length === 0) {
      claimed.add(key(tenant, requestId));
      triage.candidates.push({ message, client: reading.request, fingerprint: fingerprintOf(reading.request, message.body) });
      continue;
    }
    triage.skipped += 1;
    effects.respond({ state: 'SKIPPED', tenant, requestId, ...pick(fields, ['owner', 'session', 'contentType']), messages: reasons });
  }
  return triage;
}

/** Routes each candidate with its tenant's configuration and dispatches it if its worker type is alive. */
function applyRules(
  candidates: readonly Candidate[],
  views: ReadonlyMap<string, TenantView>,
  { isAlive, now, deps }: { isAlive: (workerType: string) => boolean; now: Date; deps: Pick<RegisterRequestsDeps, 'settings' | 'logger' | 'newToken'> },
): Planned[] {
  return candidates.map((candidate) => {
    const view = views.get(candidate.client.tenant);
    if (view === undefined) throw new Error(`tenant ${candidate.client.tenant} was not loaded`);
    if (!view.configured) deps.logger.warn('request for a tenant with no configuration: it waits until one is imported', { tenant: view.tenant });
    const plan = planDispatch(
      newRequest(candidate, now),
      'NEW',
      {
        routing: view.routing,
        isAlive,
        now,
        waitingRecheckMs: deps.settings.waitingRecheckSeconds * 1000,
        newToken: deps.newToken ?? newDispatchToken,
      },
      'registered',
    );
    return { candidate, plan };
  });
}

/** Fair dispatch: a request planned DISPATCHED to a limited worker type takes a slot, or waits for one (TO_DISPATCH). */
async function holdPastLimits(planned: Planned[], gate: SlotGate, now: Date): Promise<Planned[]> {
  if (!gate.active) return planned;
  const admitted = await gate.admit(planned.map(({ plan }) => ({ previous: undefined, next: plan.request })));
  return planned.map((entry, index) => {
    if (admitted[index] === true) return entry;
    const why = gate.why(entry.plan.request.dispatchedWorkerType ?? '');
    return { candidate: entry.candidate, plan: { request: holdForSlot({}, 'NEW', entry.plan.request, now, why), response: 'DELAYED' } };
  });
}

/**
 * Slots taken for requests not stored (a redelivery, a duplicate id, a refusal) go back; the
 * tenants of those held are noted. Returns the worker types whose slot queues got requests.
 */
async function settleSlots(planned: readonly Planned[], inserted: readonly InsertOutcome[], gate: SlotGate): Promise<string[]> {
  if (!gate.active) return [];
  const stored = planned.filter((_, index) => inserted[index]?.inserted === true).map(({ plan }) => plan.request);
  await gate.unused(planned.filter((_, index) => inserted[index]?.inserted !== true).map(({ plan }) => ({ previous: undefined, next: plan.request })));
  const held = stored.filter((request) => request.waitingForSlot === true);
  await gate.noteHeld(held);
  return [...new Set(held.flatMap((request) => request.stepWorkerType ?? []))];
}

/**
 * Answers each planned request from its insert's outcome: a new one gets its work item and
 * GRANTED (or DELAYED); a redelivery of a stored one gets them again; a redelivery of one that
 * finished gets nothing; any other request whose id is taken is SKIPPED.
 */
function answerAll(planned: readonly Planned[], inserted: readonly InsertOutcome[], effects: BatchEffects): AnswerTally {
  const tally: AnswerTally = { dispatched: 0, delayed: 0, replayed: 0, skipped: 0, refused: 0 };
  planned.forEach(({ candidate, plan }, index) => {
    const outcome = inserted[index];
    if (outcome === undefined) throw new Error('the store returned fewer outcomes than requests');
    if (outcome.inserted) {
      effects.count(plan.request, { kind: 'created', after: plan.request });
      answer(effects, plan.request);
      if (plan.response === 'GRANTED') tally.dispatched += 1;
      else tally.delayed += 1;
      return;
    }
    if ('finished' in outcome) {
      // It ran and its row was removed, after its final answer was confirmed (or by an operator): nothing to send.
      tally.replayed += 1;
      return;
    }
    if ('refused' in outcome) {
      // Every size is checked at the door, so this is a limit we missed: the message alone goes
      // to the dead-letter queue, where an operator can replay it, and its client learns why.
      refuse(effects, candidate, outcome.refused);
      tally.refused += 1;
      return;
    }
    const existing = outcome.existing;
    if (candidate.message.redelivered && existing.fingerprint === candidate.fingerprint) {
      // The first delivery stored it; its work item or answer may not have gone out before the
      // batch failed. Sending again is safe: workers and clients get at-least-once delivery.
      if (replayable(existing)) answer(effects, existing);
      tally.replayed += 1;
      return;
    }
    tally.skipped += 1;
    skip(effects, candidate.client, duplicateRequestMessage(candidate.client.requestId));
  });
  return tally;
}

/** Replays of finished requests, one line per batch: a redelivered batch may hold hundreds. */
function logFinishedReplays(planned: readonly Planned[], inserted: readonly InsertOutcome[], logger: Logger): void {
  const finished = planned.filter((_, index) => {
    const outcome = inserted[index];
    return outcome !== undefined && 'finished' in outcome;
  });
  if (finished.length === 0) return;
  logger.info('redelivered requests that already finished: nothing stored or sent', {
    count: finished.length,
    requests: finished.slice(0, LOGGED_FINISHED_REPLAYS).map(({ candidate }) => `${candidate.client.tenant}/${candidate.client.requestId}`),
  });
}

function refuse(effects: BatchEffects, { message, client }: Candidate, error: StoreValidationError): void {
  const reason = `the store refused to record this request: ${error.message}`;
  effects.deadLetter(message, reason);
  skip(effects, client, `Request not recorded: ${reason}; it was kept in the dead-letter queue`);
}

function skip(effects: BatchEffects, client: ClientRequest, message: string): void {
  const { tenant, requestId, owner, session, contentType } = client;
  effects.respond({ state: 'SKIPPED', tenant, requestId, owner, session, contentType, messages: [message] });
}

function answer(effects: BatchEffects, request: Request): void {
  if (request.waitingForSlot === true) {
    effects.respondAbout(request, heldAnswer(request.history.at(-1)?.messages[0] ?? 'waiting for a slot'));
    return;
  }
  const granted = request.status === 'DISPATCHED';
  if (granted) effects.workItem(request);
  effects.respondAbout(request, dispatchAnswer({ request, response: granted ? 'GRANTED' : 'DELAYED' }));
}

/** Still in the state intake left it in: nothing after intake has happened to it yet. */
function replayable(request: Request): boolean {
  return (
    (request.status === 'DISPATCHED' && request.attempt === 1) ||
    (request.attempt === 0 && (request.status === 'NO_WORKER_AVAILABLE' || (request.status === 'TO_DISPATCH' && request.waitingForSlot === true)))
  );
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
    ...clientPriority(message.properties.priority),
  };
}

/** The client's AMQP priority, when it gave one the worker queues can honour (0 to 255). */
function clientPriority(priority: number | undefined): Pick<Request, 'priority'> {
  return priority !== undefined && Number.isInteger(priority) && priority >= 0 && priority <= 255 ? { priority } : {};
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const name of keys) if (source[name] !== undefined) out[name] = source[name];
  return out;
}
