import { MAX_STORED_ERROR_LENGTH } from '../../contract/limits.js';
import { truncateText } from '../../contract/truncate.js';
import { errorMessage, invalidContentMessage, successMessage } from '../../contract/response-event.js';
import { dispatchAnswer, type RequestAnswer } from './answers.js';
import type { DispatchEnvironment, DispatchPlan } from './dispatch.js';
import { appendHistory, type Request } from './request.js';
import type { CountedChange } from './session-counters.js';
import { transition, type RequestEvent } from './state-machine.js';

/*
 * What happens to a stored request when something reports on it: a worker's answer, a dead
 * letter, or the sweeper finding it past its deadline. Pure: the caller loads the request, applies
 * one or more outcomes in arrival order, writes the result conditionally on the version it read,
 * and only then sends the answers and work items the outcomes name.
 *
 * This file holds the shape of an outcome and the steps every family shares; the families are
 * worker-answer-outcomes (a worker's answer), failure-outcomes (failed attempts, retries, dead
 * letters), deadline-outcomes (the sweeper) and operator-outcomes (REST retries and deletions).
 */

export interface OutcomeContext extends DispatchEnvironment {
  /** 0 deletes a SUCCESS at once (REGARDS); otherwise it stays visible this long. */
  successRetentionMs: number;
  /** Largest step output kept as the next step's input. */
  maxContentBytes: number;
  random: () => number;
  /** Refuse answers without a dispatch token for requests dispatched with one (all workers use our SDK). */
  requireDispatchToken?: boolean;
}

export interface Outcome {
  /** The request after the event. */
  request: Request;
  /** The row must go now, with nothing left to send (an operator's deletion, a due purge). */
  remove: boolean;
  /**
   * What a kept row (retention, keepErrors) becomes once this outcome's final answer is confirmed
   * by the broker. Until then it stays finished with `answerUnconfirmed` and a short deadline: if
   * the publish fails, a redelivered answer finds it and sends again, and if nothing is redelivered
   * (the process died, the delivery limit was reached) the sweeper sends the answer again at that
   * deadline. A final answer is never lost with its row.
   */
  afterConfirm?: AfterConfirm;
  /**
   * The request finished and its row is not kept (SUCCESS without retention, an error whose
   * keepErrors is false): nothing is written, the final answer is published, and the row as it is
   * stored is deleted once the broker confirms the answer. A row about to go is never written, so
   * a 1 KB output costs no write at all. If the batch fails before the delete, its redelivery finds
   * the request as it was and applies the same answer again (the client may get it twice).
   */
  removeAfterAnswer?: boolean;
  /** Something must be written (false: the event was only logged, e.g. a redelivered duplicate). */
  changed: boolean;
  /** Client answers, each with the request as it was when the answer was decided. */
  answers: { about: Request; answer: RequestAnswer }[];
  /** Attempts dispatched by this outcome: a work item is due for the final request if it is one of them. */
  dispatchedAttempts: number[];
  counted: CountedChange[];
  /** Why the event was not applied, when it was not. */
  ignored?: string;
  /** Ignored because its dispatch token does not vouch for it (forged, or from an older dispatch): worth a warning. */
  untrusted?: boolean;
}

/**
 * Room for the content, the original content and the forwarded additional headers together; the
 * rest of the 400 KB DynamoDB item is kept for the history (MAX_HISTORY_BYTES), the error
 * (MAX_STORED_ERROR_LENGTH) and the other fields.
 */
export const ITEM_CONTENT_BUDGET_BYTES = 360 * 1024;

/** What a map of additional headers takes in the item. */
export function headerBytes(headers: Readonly<Record<string, string>>): number {
  const encoder = new TextEncoder();
  return Object.entries(headers).reduce((sum, [name, value]) => sum + encoder.encode(name).length + encoder.encode(value).length, 0);
}

/** How long a finished row waits for the confirm of its final answer before the sweeper sends it again. */
export const ANSWER_CONFIRM_GRACE_MS = 60_000;

/** A kept row once its final answer is confirmed: it stays until `keepUntil` (null: until an operator acts). */
export interface AfterConfirm {
  keepUntil: string | null;
}

/** The fields of a kept request that has just finished and whose final answer is about to be sent. */
export function finishingKept(ctx: Pick<OutcomeContext, 'now'>): Pick<Request, 'answerUnconfirmed' | 'deadline'> {
  return { answerUnconfirmed: true, deadline: new Date(ctx.now.getTime() + ANSWER_CONFIRM_GRACE_MS).toISOString() };
}

/** The deadline a kept finished request takes once its final answer is confirmed; undefined when nothing waits for a confirm. */
export function afterConfirmOf(request: Request, ctx: Pick<OutcomeContext, 'now' | 'successRetentionMs'>): AfterConfirm | undefined {
  if (request.answerUnconfirmed !== true) return undefined;
  return { keepUntil: request.status === 'SUCCESS' ? new Date(ctx.now.getTime() + ctx.successRetentionMs).toISOString() : null };
}

const FINISHED: ReadonlySet<string> = new Set(['SUCCESS', 'ERROR', 'INVALID_CONTENT']);

export function unchanged(request: Request, ignored?: string): Outcome {
  return { request, remove: false, changed: false, answers: [], dispatchedAttempts: [], counted: [], ...(ignored ? { ignored } : {}) };
}

export function state(request: Request) {
  return { status: request.status, dispatchedWorkerType: request.dispatchedWorkerType };
}

/** A version bump with a history entry: the common tail of every applied change. */
export function next(request: Request, changes: Partial<Request>, event: string, now: Date, messages: string[]): Request {
  const updated: Request = { ...request, ...changes, version: request.version + 1 };
  // Only a finished request waits for its answer's confirm; one an operator sends back to work does not.
  if (!FINISHED.has(updated.status)) delete updated.answerUnconfirmed;
  // Every error a request stores passes here, whoever wrote it: it is quoted in answers and kept in the item.
  if (updated.error !== null) updated.error = truncateText(updated.error, MAX_STORED_ERROR_LENGTH);
  if (changes.status !== undefined && changes.status !== request.status) updated.statusDate = now.toISOString();
  updated.history = appendHistory(request.history, {
    at: now.toISOString(),
    event,
    status: updated.status,
    stepNumber: updated.stepNumber,
    workerType: updated.dispatchedWorkerType ?? updated.stepWorkerType,
    attempt: updated.attempt,
    messages,
  });
  return updated;
}

export function allowed(request: Request, event: RequestEvent): void {
  const result = transition(request.status, event);
  if (!result.allowed) throw new Error(`internal: ${request.requestId}: ${result.reason}`);
}

/** An event that must not change the request but is worth keeping in its history. */
export function recordIgnored(request: Request, event: string, reason: string, now: Date): Outcome {
  const updated = next(request, {}, `ignored ${event}`, now, [reason]);
  return { ...unchanged(updated, reason), changed: true };
}

export function alreadyRecorded(request: Request, event: string, attempt: number): boolean {
  return request.history.some((entry) => entry.attempt === attempt && (entry.event === event || entry.event === `ignored ${event}`));
}

/**
 * A redelivered event that was already applied. If it is what put the request where it is now,
 * the answers and work item it caused are sent again: the first delivery's batch may have failed
 * between its store writes and its publish, and this is the only chance to send them. Otherwise
 * it is a plain duplicate and changes nothing.
 */
export function replay(request: Request, event: string, attempt: number, ctx: OutcomeContext): Outcome {
  const base = unchanged(request, 'duplicate of a recorded event');
  const index = request.history.findLastIndex((entry) => entry.event === event && entry.attempt === attempt);
  if (index < 0) return base;
  const after = request.history.slice(index + 1).map((entry) => entry.event);
  if (after.length === 0 && FINISHED.has(request.status)) return resendFinalAnswer(request, ctx) ?? base;
  if (after.length === 1 && after[0] === 'next-step' && (request.status === 'DISPATCHED' || request.status === 'NO_WORKER_AVAILABLE')) {
    const granted = request.status === 'DISPATCHED';
    return {
      ...base,
      answers: [{ about: request, answer: dispatchAnswer({ request, response: granted ? 'GRANTED' : 'DELAYED' }) }],
      dispatchedAttempts: granted ? [request.attempt] : [],
    };
  }
  return base;
}

/**
 * A kept finished request whose final answer was never confirmed: the answer is sent again, and
 * the row settled once it is confirmed. Undefined when the answer was confirmed (nothing to send).
 */
export function resendFinalAnswer(request: Request, ctx: OutcomeContext): Outcome | undefined {
  const afterConfirm = afterConfirmOf(request, ctx);
  if (afterConfirm === undefined) return undefined;
  return { ...unchanged(request, 'final answer not confirmed yet: sent again'), answers: [{ about: request, answer: finalAnswer(request) }], afterConfirm };
}

/** The answer a finished request gave its client; also what a replay sends again. */
export function finalAnswer(request: Request): RequestAnswer {
  const workerType = request.dispatchedWorkerType ?? request.stepWorkerType ?? 'unknown';
  const cause = request.error ?? '';
  switch (request.status) {
    case 'SUCCESS':
      return { state: 'SUCCESS', messages: [successMessage(workerType)], content: request.content };
    case 'INVALID_CONTENT':
      return { state: 'INVALID_CONTENT', messages: [invalidContentMessage(workerType, cause)] };
    default:
      return { state: 'ERROR', messages: [errorMessage(workerType, cause)] };
  }
}

export function dispatched(plan: DispatchPlan, counted: CountedChange[]): Outcome {
  return {
    request: plan.request,
    remove: false,
    changed: true,
    answers: [{ about: plan.request, answer: dispatchAnswer(plan) }],
    dispatchedAttempts: plan.response === 'GRANTED' ? [plan.request.attempt] : [],
    counted,
  };
}

export const ACTIVE = new Set(['DISPATCHED', 'RUNNING']);
