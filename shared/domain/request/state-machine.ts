import { REQUEST_STATUSES, type RequestStatus, type ResponseState } from '../../contract/status.js';

/*
 * The request life cycle as ONE table. Every status change in the code goes through `transition`,
 * so a change that is not in this table cannot happen, and the table names the response the client
 * receives for it (null: none, as the reference sends none for RUNNING, retries or deletions).
 *
 * NEW is a request that is not stored yet; GONE is a request that is no longer stored.
 */
export type Phase = RequestStatus | 'NEW' | 'GONE';

export type RequestEvent =
  /** A worker of the routed type is alive: the work item is sent. */
  | 'dispatch'
  /** No alive worker (or no route yet): the request waits. */
  | 'delay'
  /** A worker is alive but its type's limit of requests in flight is reached: the request waits for a slot (fair dispatch). */
  | 'waitForSlot'
  /** Invalid headers, skipped content type or duplicate id: never stored. */
  | 'skip'
  | 'workerRunning'
  /** SUCCESS of the only or last step. */
  | 'workerSuccess'
  /** SUCCESS of a workflow step that has a next step: the next step is dispatched at once. */
  | 'workerStepDone'
  | 'workerError'
  | 'workerInvalid'
  /** The work item was dead-lettered by the broker (rejected, expired, delivery limit). */
  | 'deadLetter'
  /** The sweeper found a DISPATCHED or RUNNING request past its deadline. */
  | 'timeout'
  /** A failure the worker type's retry policy retries: dispatched again after a backoff. */
  | 'scheduleRetry'
  /** An operator retries a blocked request (REST). */
  | 'retry'
  /** An operator cancels a waiting or in-flight request (REST): it ends in ERROR, its client told why. */
  | 'cancel'
  /** An operator deletes a blocked request (REST); the bulk job removes it. */
  | 'markForDeletion'
  /** The row is removed: SUCCESS at once, errors when keepErrors is false, TO_DELETE by the job. */
  | 'purge';

export interface TransitionRule {
  event: RequestEvent;
  from: readonly Phase[];
  to: Phase;
  response: ResponseState | null;
}

const ACTIVE = ['DISPATCHED', 'RUNNING'] as const;
const BLOCKED = ['ERROR', 'INVALID_CONTENT', 'NO_WORKER_AVAILABLE'] as const;

export const TRANSITIONS: readonly TransitionRule[] = [
  { event: 'dispatch', from: ['NEW', 'TO_DISPATCH', 'NO_WORKER_AVAILABLE'], to: 'DISPATCHED', response: 'GRANTED' },
  { event: 'delay', from: ['NEW', 'TO_DISPATCH'], to: 'NO_WORKER_AVAILABLE', response: 'DELAYED' },
  { event: 'waitForSlot', from: ['NEW', 'TO_DISPATCH', 'NO_WORKER_AVAILABLE'], to: 'TO_DISPATCH', response: 'DELAYED' },
  { event: 'skip', from: ['NEW'], to: 'GONE', response: 'SKIPPED' },
  { event: 'workerRunning', from: ['DISPATCHED'], to: 'RUNNING', response: null },
  { event: 'workerSuccess', from: ACTIVE, to: 'SUCCESS', response: 'SUCCESS' },
  { event: 'workerStepDone', from: ACTIVE, to: 'TO_DISPATCH', response: null },
  { event: 'workerError', from: ACTIVE, to: 'ERROR', response: 'ERROR' },
  { event: 'workerInvalid', from: ACTIVE, to: 'INVALID_CONTENT', response: 'INVALID_CONTENT' },
  { event: 'deadLetter', from: ACTIVE, to: 'ERROR', response: 'ERROR' },
  { event: 'timeout', from: ACTIVE, to: 'ERROR', response: 'ERROR' },
  { event: 'scheduleRetry', from: ACTIVE, to: 'TO_DISPATCH', response: null },
  { event: 'retry', from: BLOCKED, to: 'TO_DISPATCH', response: null },
  { event: 'cancel', from: ['TO_DISPATCH', 'NO_WORKER_AVAILABLE', 'DISPATCHED', 'RUNNING'], to: 'ERROR', response: 'ERROR' },
  { event: 'markForDeletion', from: BLOCKED, to: 'TO_DELETE', response: null },
  { event: 'purge', from: ['SUCCESS', 'ERROR', 'INVALID_CONTENT', 'TO_DELETE'], to: 'GONE', response: null },
];

export const PHASES: readonly Phase[] = ['NEW', ...REQUEST_STATUSES, 'GONE'];

export type TransitionResult = { allowed: true; to: Phase; response: ResponseState | null } | { allowed: false; reason: string };

const RULES = new Map<RequestEvent, TransitionRule>(TRANSITIONS.map((rule) => [rule.event, rule]));

export function transition(from: Phase, event: RequestEvent): TransitionResult {
  const rule = RULES.get(event);
  if (rule === undefined) return { allowed: false, reason: `unknown event ${event}` };
  if (!rule.from.includes(from)) {
    return { allowed: false, reason: `${event} is not allowed from ${from} (only from ${rule.from.join(', ')})` };
  }
  return { allowed: true, to: rule.to, response: rule.response };
}

/** Statuses after which nothing but a purge, a retry or a deletion may happen. */
export const FINISHED_STATUSES: readonly RequestStatus[] = ['SUCCESS', 'ERROR', 'INVALID_CONTENT', 'TO_DELETE'];

export function isFinished(status: RequestStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}
