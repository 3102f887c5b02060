import type { ManagerSettings } from '../../contract/manager-settings.js';
import type { WireNames } from '../../contract/wire-names.js';
import type { Clock } from '../../ports/clock.js';
import type { CounterStore } from '../../ports/counter-store.js';
import type { MessageBus } from '../../ports/message-bus.js';
import type { Metrics } from '../../ports/metrics.js';
import type { Logger } from '../../kernel/logger.js';
import type { RequestStore, RequestUpdate, StoreValidationError, WriteOutcome } from '../../ports/request-store.js';
import type { Outcome, OutcomeContext } from '../../domain/request/outcomes.js';
import type { Request } from '../../domain/request/request.js';
import { sendWorkItemsFirst, type BatchEffects } from './batch-effects.js';
import { newDispatchToken } from './dispatch-token.js';
import type { Liveness } from './liveness.js';
import type { TenantConfigs } from './tenant-configs.js';
import { AppError } from '../../kernel/errors.js';
import type { SlotStore } from '../../ports/slot-store.js';
import { holdOutcome, SlotGate, type SlotChange } from './slot-gate.js';

/*
 * Applies events (worker answers, dead letters, deadlines) to stored requests: load them in one
 * batched read, fold each request's events in arrival order, write every changed request with one
 * version-conditional write, and only for the writes that won queue their answers, work items and
 * counters. A write that lost a race is re-read and its events folded again on the fresh state.
 */

export interface TargetedEvent<E> {
  tenant: string;
  requestId: string;
  event: E;
}

export type ApplyEvent<E> = (request: Request, event: E, ctx: OutcomeContext) => Outcome;

export interface ApplyEventsDeps {
  requests: RequestStore;
  tenants: TenantConfigs;
  liveness: Liveness;
  clock: Clock;
  logger: Logger;
  settings: ManagerSettings;
  /** Jitter source of retry backoffs; tests pin it. */
  random?: () => number;
  /** Source of dispatch tokens (default: 128 random bits); tests pin it. */
  newToken?: () => string;
  /** The in-flight counters of fair dispatch; absent, or no limit set: dispatch is never held back. */
  slots?: SlotStore | undefined;
}

/** What every use case that changes requests and tells clients and workers about it needs. */
export interface RequestFlowDeps extends ApplyEventsDeps {
  bus: MessageBus;
  counters: CounterStore;
  /** Answers, dispatches and dead letters are counted once their publish is confirmed (BatchEffects). */
  metrics?: Metrics;
}

export interface ApplyEventsReport {
  /** Requests written (updated or removed). */
  written: number;
  removed: number;
  /** Events about requests the store does not hold (finished and deleted, or never known). */
  unknown: number;
  /** Events recorded or logged without changing the request (stale, duplicate, out of order). */
  ignored: number;
  /** Lost write races that were re-read and applied again. */
  retriedConflicts: number;
  /** Work items queued (first dispatches, next steps, retries). */
  dispatched: number;
  /** Requests whose write the store refused (StoreValidationError): left as they were, their events reported to onRefused. */
  refused: number;
  /** Finished requests not kept: nothing written, their row deleted once their final answer is confirmed. */
  removedAfterAnswer: number;
}

/** A request whose write the store refused: only the events about it fail. */
export interface RefusedWrite {
  tenant: string;
  requestId: string;
  error: StoreValidationError;
}

export interface ApplyEventsOptions {
  /** Requests the caller just read (consistently): the first round uses them instead of reading again. */
  preloaded?: readonly Request[];
  /**
   * Told of each request whose write the store refused, so the caller can fail the messages that
   * were about it alone; without it the refusal is only logged, and the next run meets it again.
   */
  onRefused?: (refused: RefusedWrite) => void;
}

export class ConcurrentModificationError extends AppError {
  public override readonly name = 'ConcurrentModificationError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

const MAX_ROUNDS = 4;
const key = (tenant: string, requestId: string) => `${tenant}\u0000${requestId}`;

/** When the work items of a round's dispatches go out relative to its writes. */
interface Ordering {
  /** Runs before a round's writes, with the requests those writes would dispatch. */
  beforeWrites: (dispatching: readonly Request[]) => Promise<void>;
  /** The work items of the won writes went out in beforeWrites: they are not queued again. */
  workItemsSent: boolean;
}

const WRITE_THEN_PUBLISH: Ordering = { beforeWrites: async () => {}, workItemsSent: false };

function publishThenWrite(names: WireNames, bus: MessageBus, now: Date, metrics?: Metrics): Ordering {
  return { beforeWrites: (dispatching) => sendWorkItemsFirst(names, bus, dispatching, now, metrics), workItemsSent: true };
}

/**
 * For events a redelivery replays (worker answers, dead letters): the requests are written first
 * and their work items queued on `effects`, flushed by the caller after the writes. If the batch
 * fails between the two, its redelivery finds the written request and sends them again.
 */
export function applyEvents<E>(
  events: readonly TargetedEvent<E>[],
  apply: ApplyEvent<E>,
  deps: ApplyEventsDeps,
  effects: BatchEffects,
  options: ApplyEventsOptions = {},
): Promise<ApplyEventsReport> {
  return applyInRounds(events, apply, deps, effects, options, WRITE_THEN_PUBLISH);
}

/**
 * For events no redelivery will replay (timers, bulk jobs): the work items of a round's
 * dispatches are sent through `deps.bus` BEFORE its writes (see sendWorkItemsFirst); answers and
 * counters still go on `effects`, after the writes.
 */
export function applyEventsSendingWorkItemsFirst<E>(
  events: readonly TargetedEvent<E>[],
  apply: ApplyEvent<E>,
  deps: ApplyEventsDeps & { bus: MessageBus; metrics?: Metrics },
  effects: BatchEffects,
  options: ApplyEventsOptions = {},
): Promise<ApplyEventsReport> {
  return applyInRounds(events, apply, deps, effects, options, publishThenWrite(deps.settings.names, deps.bus, deps.clock.now(), deps.metrics));
}

interface EventGroup<E> {
  tenant: string;
  requestId: string;
  events: E[];
}

/** What one round decided to write: the changed requests to update, and those to delete. */
interface RoundWrites {
  updates: { id: string; update: RequestUpdate; outcome: Outcome }[];
  removals: { id: string; original: Request; outcome: Outcome }[];
  /** Finished requests not written (their row goes after the answer): they leave flight now. */
  finished: Request[];
}

/** Load, fold, write; a request whose write lost a race is read and folded again, a few rounds at most. */
async function applyInRounds<E>(
  events: readonly TargetedEvent<E>[],
  apply: ApplyEvent<E>,
  deps: ApplyEventsDeps,
  effects: BatchEffects,
  { preloaded = [], onRefused }: ApplyEventsOptions,
  ordering: Ordering,
): Promise<ApplyEventsReport> {
  const report: ApplyEventsReport = { written: 0, removed: 0, unknown: 0, ignored: 0, retriedConflicts: 0, dispatched: 0, refused: 0, removedAfterAnswer: 0 };
  const refused = (write: RefusedWrite) => {
    report.refused += 1;
    deps.logger.error('the store refused a request write: the events about it fail, the rest of the batch goes on', {
      tenant: write.tenant,
      requestId: write.requestId,
      error: write.error,
    });
    onRefused?.(write);
  };
  if (events.length === 0) return report;
  const grouped = groupByRequest(events);
  const contextOf = await outcomeContexts(
    [...grouped.values()].map((group) => group.tenant),
    deps,
  );

  let pending = [...grouped.keys()];
  let given: Map<string, Request> | undefined = new Map(preloaded.map((request) => [key(request.tenant, request.requestId), request]));
  for (let round = 1; pending.length > 0; round += 1) {
    if (round > MAX_ROUNDS) {
      throw new ConcurrentModificationError(`${pending.length} requests kept changing under this batch; it will be redelivered`);
    }
    const loaded = await loadRound(deps.requests, pending, grouped, given);
    // Only the first round may trust what the caller read; a conflict means it is out of date.
    given = undefined;
    const writes = foldRound(pending, grouped, loaded, { apply, contextOf, effects, report, logger: deps.logger });
    const gate = new SlotGate(deps.slots, deps.settings.fairDispatch);
    const held = await holdPastLimits(writes, gate, deps.clock.now());
    await ordering.beforeWrites(writes.updates.filter((entry) => dispatches(entry.outcome)).map((entry) => entry.update.next));
    const won = new Set<string>();
    pending = await writeRound(writes, deps.requests, { effects, report, workItemsSent: ordering.workItemsSent, refused, won });
    await settleSlots(writes, won, held, gate);
    report.retriedConflicts += pending.length;
  }
  return report;
}

function groupByRequest<E>(events: readonly TargetedEvent<E>[]): Map<string, EventGroup<E>> {
  const grouped = new Map<string, EventGroup<E>>();
  for (const { tenant, requestId, event } of events) {
    const id = key(tenant, requestId);
    const group = grouped.get(id) ?? { tenant, requestId, events: [] };
    group.events.push(event);
    grouped.set(id, group);
  }
  return grouped;
}

/** Loads each tenant's configuration and the live worker types once, for every event of the batch. */
async function outcomeContexts(tenants: readonly string[], deps: ApplyEventsDeps): Promise<(tenant: string) => OutcomeContext> {
  const now = deps.clock.now();
  const views = await deps.tenants.getAll(tenants);
  const alive = await deps.liveness.aliveTypes();
  return (tenant) => {
    const view = views.get(tenant);
    if (view === undefined) throw new Error(`tenant ${tenant} was not loaded`);
    return {
      routing: view.routing,
      isAlive: (type) => alive.has(type),
      now,
      waitingRecheckMs: deps.settings.waitingRecheckSeconds * 1000,
      successRetentionMs: deps.settings.successRetentionSeconds * 1000,
      maxContentBytes: deps.settings.maxRequestBytes,
      random: deps.random ?? Math.random,
      newToken: deps.newToken ?? newDispatchToken,
      requireDispatchToken: deps.settings.requireDispatchToken,
    };
  };
}

/** The pending requests as stored, taking those the caller gave instead of reading them again. */
async function loadRound<E>(
  store: RequestStore,
  pending: readonly string[],
  grouped: ReadonlyMap<string, EventGroup<E>>,
  given: ReadonlyMap<string, Request> | undefined,
): Promise<Map<string, Request>> {
  const toRead = pending.filter((id) => !given?.has(id));
  const loaded = await loadAll(
    store,
    toRead.map((id) => grouped.get(id)!),
  );
  for (const id of pending) {
    const known = given?.get(id);
    if (known !== undefined) loaded.set(id, known);
  }
  return loaded;
}

/**
 * Folds each pending request's events into one outcome. A request the store does not hold is
 * counted unknown; an unchanged one only has its owed effects queued; the rest are to be written.
 */
function foldRound<E>(
  pending: readonly string[],
  grouped: ReadonlyMap<string, EventGroup<E>>,
  loaded: ReadonlyMap<string, Request>,
  {
    apply,
    contextOf,
    effects,
    report,
    logger,
  }: { apply: ApplyEvent<E>; contextOf: (tenant: string) => OutcomeContext; effects: BatchEffects; report: ApplyEventsReport; logger: Logger },
): RoundWrites {
  const writes: RoundWrites = { updates: [], removals: [], finished: [] };
  for (const id of pending) {
    const group = grouped.get(id)!;
    const original = loaded.get(id);
    if (original === undefined) {
      report.unknown += group.events.length;
      logger.warn('event about a request the store does not hold: ignored', { tenant: group.tenant, requestId: group.requestId });
      continue;
    }
    const outcome = fold(original, group.events, apply, contextOf(group.tenant), report);
    if (outcome.removeAfterAnswer === true) {
      // Finished and not kept: nothing is written; the stored row goes once the answer is confirmed.
      for (const { about, answer } of outcome.answers) effects.respondAbout(about, answer);
      effects.deleteAfterAnswer(original, outcome.counted);
      writes.finished.push(original);
      report.removedAfterAnswer += 1;
      continue;
    }
    if (!outcome.changed) {
      // A replayed event may still owe its answers or work item: they are sent, nothing is written.
      if (queueEffects(original, outcome, effects, false, original)) report.dispatched += 1;
      continue;
    }
    if (outcome.remove) writes.removals.push({ id, original, outcome });
    else writes.updates.push({ id, outcome, update: { previous: original, next: { ...outcome.request, version: original.version + 1 } } });
  }
  return writes;
}

/** Writes a round's changes, queues the effects of the writes that won, and returns the ids that lost. */
async function writeRound(
  { updates, removals }: RoundWrites,
  store: RequestStore,
  {
    effects,
    report,
    workItemsSent,
    refused,
    won: wonIds,
  }: { effects: BatchEffects; report: ApplyEventsReport; workItemsSent: boolean; refused: (write: RefusedWrite) => void; won: Set<string> },
): Promise<string[]> {
  const [updated, removed] = await Promise.all([
    updates.length > 0 ? store.updateAll(updates.map((entry) => entry.update)) : Promise.resolve([]),
    removals.length > 0 ? store.deleteAll(removals.map((entry) => entry.original)) : Promise.resolve([]),
  ]);
  const conflicted: string[] = [];
  /** False when the write did not win: a lost race is folded again, a refusal is reported and dropped. */
  const won = (outcome: WriteOutcome | undefined, id: string, request: Request): boolean => {
    if (outcome?.written) {
      wonIds.add(id);
      return true;
    }
    if (outcome?.reason === 'refused') refused({ tenant: request.tenant, requestId: request.requestId, error: outcome.error });
    else conflicted.push(id);
    return false;
  };
  updates.forEach((entry, index) => {
    if (!won(updated[index], entry.id, entry.update.next)) return;
    report.written += 1;
    if (queueEffects(entry.update.previous, { ...entry.outcome, request: entry.update.next }, effects, workItemsSent)) report.dispatched += 1;
  });
  removals.forEach((entry, index) => {
    if (!won(removed[index], entry.id, entry.original)) return;
    report.written += 1;
    report.removed += 1;
    queueEffects(entry.original, entry.outcome, effects);
  });
  return conflicted;
}

/**
 * Takes a slot for each update that dispatches to a limited worker type; one that gets none is
 * held in the slot queue instead (fair dispatch). Returns the ids of the updates held.
 */
async function holdPastLimits(writes: RoundWrites, gate: SlotGate, now: Date): Promise<Set<string>> {
  const held = new Set<string>();
  if (!gate.active) return held;
  const admitted = await gate.admit(writes.updates.map(({ update }) => update));
  writes.updates.forEach((entry, index) => {
    if (admitted[index] === true) return;
    const workerType = entry.update.next.dispatchedWorkerType ?? '';
    const outcome = holdOutcome(entry.outcome, entry.update.previous, now, gate.why(workerType));
    entry.outcome = outcome;
    entry.update = { previous: entry.update.previous, next: { ...outcome.request, version: entry.update.previous.version + 1 } };
    held.add(entry.id);
  });
  return held;
}

/** After a round's writes: slots of requests that left flight go back, slots taken for writes that lost are returned. */
async function settleSlots(writes: RoundWrites, won: ReadonlySet<string>, held: ReadonlySet<string>, gate: SlotGate): Promise<void> {
  if (!gate.active) return;
  const left: SlotChange[] = writes.finished.map((original) => ({ previous: original, next: undefined }));
  const lost: SlotChange[] = [];
  for (const { id, update } of writes.updates) (won.has(id) ? left : lost).push(update);
  for (const { id, original } of writes.removals) if (won.has(id)) left.push({ previous: original, next: undefined });
  await gate.release(left);
  await gate.unused(lost);
  await gate.noteHeld(writes.updates.filter(({ id }) => won.has(id) && held.has(id)).map(({ update }) => update.next));
}

function fold<E>(original: Request, events: readonly E[], apply: ApplyEvent<E>, ctx: OutcomeContext, report: ApplyEventsReport): Outcome {
  let outcome: Outcome = { request: original, remove: false, changed: false, answers: [], dispatchedAttempts: [], counted: [] };
  for (const event of events) {
    if (outcome.remove || outcome.removeAfterAnswer === true) {
      report.ignored += 1;
      continue;
    }
    const step = apply(outcome.request, event, ctx);
    if (step.ignored !== undefined) report.ignored += 1;
    outcome = {
      request: step.request,
      remove: step.remove,
      ...(step.afterConfirm === undefined ? {} : { afterConfirm: step.afterConfirm }),
      ...(step.removeAfterAnswer === true ? { removeAfterAnswer: true } : {}),
      changed: outcome.changed || step.changed,
      answers: [...outcome.answers, ...step.answers],
      dispatchedAttempts: [...outcome.dispatchedAttempts, ...step.dispatchedAttempts],
      counted: [...outcome.counted, ...step.counted],
    };
  }
  return outcome;
}

function dispatches(outcome: Outcome): boolean {
  const final = outcome.request;
  return !outcome.remove && final.status === 'DISPATCHED' && outcome.dispatchedAttempts.includes(final.attempt);
}

/**
 * Queues what a won write (or an outcome that writes nothing) must send and count; true when that
 * includes a work item (queued, or already sent). `stored` is the row as the store holds it after
 * this round, which an after-confirm delete or settle is conditional on: the written version, or
 * the one read when nothing was written.
 */
function queueEffects(original: Request, outcome: Outcome, effects: BatchEffects, workItemSent = false, stored: Request = outcome.request): boolean {
  for (const change of outcome.counted) effects.count(original, change);
  const dispatch = dispatches(outcome);
  for (const { about, answer } of outcome.answers) {
    // Sent with the work item, before the write (see sendWorkItemsFirst).
    if (dispatch && workItemSent && answer.state === 'GRANTED' && about.attempt === outcome.request.attempt) continue;
    effects.respondAbout(about, answer);
  }
  if (dispatch && !workItemSent) effects.workItem(outcome.request);
  if (outcome.afterConfirm !== undefined && !outcome.remove) effects.afterConfirm(stored, outcome.afterConfirm);
  return dispatch;
}

async function loadAll(store: RequestStore, groups: readonly { tenant: string; requestId: string }[]): Promise<Map<string, Request>> {
  const byTenant = new Map<string, string[]>();
  for (const { tenant, requestId } of groups) byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), requestId]);
  const loaded = new Map<string, Request>();
  await Promise.all(
    [...byTenant].map(async ([tenant, ids]) => {
      for (const [requestId, request] of await store.getAll(tenant, ids)) loaded.set(key(tenant, requestId), request);
    }),
  );
  return loaded;
}
