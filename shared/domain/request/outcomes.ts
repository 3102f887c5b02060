import {
  errorMessage,
  invalidContentMessage,
  successMessage,
} from '../../contract/response-event.js';
import type { WorkerResponse } from '../../contract/worker-response.js';
import { decideRetry, type FailureKind } from '../config/retry-policy.js';
import { DEFAULT_DEADLINES, DEFAULT_RETRY_POLICY } from '../config/tenant-config.js';
import { dispatchAnswer, type RequestAnswer } from './answers.js';
import { planDispatch, type DispatchEnvironment, type DispatchPlan } from './dispatch.js';
import { appendHistory, type Request } from './request.js';
import type { CountedChange } from './session-counters.js';
import { transition, type RequestEvent } from './state-machine.js';

/*
 * What happens to a stored request when something reports on it: a worker's answer, a dead
 * letter, or the sweeper finding it past its deadline. Pure: the caller loads the request, applies
 * one or more outcomes in arrival order, writes the result conditionally on the version it read,
 * and only then sends the answers and work items the outcomes name.
 */

export interface OutcomeContext extends DispatchEnvironment {
  /** 0 deletes a SUCCESS at once (REGARDS); otherwise it stays visible this long. */
  successRetentionMs: number;
  /** Largest step output kept as the next step's input. */
  maxContentBytes: number;
  random: () => number;
}

export interface Outcome {
  /** The request after the event. */
  request: Request;
  /** The row must go now, with nothing left to send (an operator's deletion, a due purge). */
  remove: boolean;
  /**
   * The row must go once this outcome's answers are confirmed by the broker (SUCCESS without
   * retention, an error whose keepErrors is false). Until then it stays, finished, with a short
   * deadline: if the publish fails, a redelivered answer finds it and sends again; if the process
   * dies after the publish, the sweeper purges it.
   */
  purgeAfterPublish?: boolean;
  /** Something must be written (false: the event was only logged, e.g. a redelivered duplicate). */
  changed: boolean;
  /** Client answers, each with the request as it was when the answer was decided. */
  answers: { about: Request; answer: RequestAnswer }[];
  /** Attempts dispatched by this outcome: a work item is due for the final request if it is one of them. */
  dispatchedAttempts: number[];
  counted: CountedChange[];
  /** Why the event was not applied, when it was not. */
  ignored?: string;
}

/** The reference's own text for a workflow step that succeeded without output (reference 5). */
export function missingStepContentMessage(request: Request): string {
  return `An error occurred at step ${request.stepNumber} of the workflow "${request.contentType}". The workerResponseEvent ${request.requestId} did not return any content while it is required by the next worker. Workflow is therefore stopped at this step.`;
}

/** Some DynamoDB item room is kept for the history and the other fields. */
export const ITEM_CONTENT_BUDGET_BYTES = 360 * 1024;

/** How long a finished row waits for its answers to be published before the sweeper purges it. */
export const PURGE_GRACE_MS = 60_000;

const EMPTY_JSON = new TextEncoder().encode('{}');

function unchanged(request: Request, ignored?: string): Outcome {
  return { request, remove: false, changed: false, answers: [], dispatchedAttempts: [], counted: [], ...(ignored ? { ignored } : {}) };
}

function state(request: Request) {
  return { status: request.status, dispatchedWorkerType: request.dispatchedWorkerType };
}

/** A version bump with a history entry: the common tail of every applied change. */
function next(request: Request, changes: Partial<Request>, event: string, now: Date, messages: string[]): Request {
  const updated: Request = { ...request, ...changes, version: request.version + 1 };
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

function allowed(request: Request, event: RequestEvent): void {
  const result = transition(request.status, event);
  if (!result.allowed) throw new Error(`internal: ${request.requestId}: ${result.reason}`);
}

/** An event that must not change the request but is worth keeping in its history. */
function recordIgnored(request: Request, event: string, reason: string, now: Date): Outcome {
  const updated = next(request, {}, `ignored ${event}`, now, [reason]);
  return { ...unchanged(updated, reason), changed: true };
}

function alreadyRecorded(request: Request, event: string, attempt: number): boolean {
  return request.history.some((entry) => entry.attempt === attempt && (entry.event === event || entry.event === `ignored ${event}`));
}

const FINISHED = new Set(['SUCCESS', 'ERROR', 'INVALID_CONTENT']);

/**
 * A redelivered event that was already applied. If it is what put the request where it is now,
 * the answers and work item it caused are sent again: the first delivery's batch may have failed
 * between its store writes and its publish, and this is the only chance to send them. Otherwise
 * it is a plain duplicate and changes nothing.
 */
function replay(request: Request, event: string, attempt: number, ctx: OutcomeContext): Outcome {
  const base = unchanged(request, 'duplicate of a recorded event');
  const index = request.history.findLastIndex((entry) => entry.event === event && entry.attempt === attempt);
  if (index < 0) return base;
  const after = request.history.slice(index + 1).map((entry) => entry.event);
  if (after.length === 0 && FINISHED.has(request.status)) {
    // The row is still there only because its answer may not have gone out: it goes once it has.
    const pendingPurge = request.status === 'SUCCESS' ? ctx.successRetentionMs === 0 : request.deadline !== null;
    return { ...base, answers: [{ about: request, answer: finalAnswer(request) }], purgeAfterPublish: pendingPurge };
  }
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

function keepsErrors(request: Request, ctx: OutcomeContext): boolean {
  if (request.stepNumber !== null) return ctx.routing.keepErrors({ kind: 'workflow', workflowType: request.contentType });
  const workerType = request.dispatchedWorkerType ?? request.stepWorkerType;
  return workerType === null ? true : ctx.routing.keepErrors({ kind: 'worker', workerType });
}

const FAILURE_EVENT: Record<FailureKind, RequestEvent> = {
  ERROR: 'workerError',
  INVALID_CONTENT: 'workerInvalid',
  DEAD_LETTER: 'deadLetter',
  TIMEOUT: 'timeout',
};

/**
 * A failed attempt: dispatched again after a backoff when the worker type's retry policy says so,
 * otherwise ERROR (or INVALID_CONTENT) with the client told, and the row dropped if keepErrors is false.
 */
export function fail(request: Request, kind: FailureKind, cause: string, historyEvent: string, ctx: OutcomeContext): Outcome {
  const workerType = request.dispatchedWorkerType ?? request.stepWorkerType ?? 'unknown';
  const policy = ctx.routing.workerConfig(workerType)?.retry ?? DEFAULT_RETRY_POLICY;
  const decision = decideRetry(policy, kind, request.stepAttempts, ctx.random);
  if (decision.retry) {
    allowed(request, 'scheduleRetry');
    const due = new Date(ctx.now.getTime() + decision.delayMs);
    const retried = next(request, { status: 'TO_DISPATCH', error: cause, deadline: due.toISOString() }, historyEvent, ctx.now, [
      cause,
      `attempt ${request.stepAttempts} of ${policy.maxAttempts} failed; next attempt at ${due.toISOString()}`,
    ]);
    return {
      request: retried,
      remove: false,
      changed: true,
      answers: [],
      dispatchedAttempts: [],
      counted: [{ kind: 'changed', before: state(request), after: state(retried) }],
    };
  }
  const event = FAILURE_EVENT[kind];
  allowed(request, event);
  const status = kind === 'INVALID_CONTENT' ? 'INVALID_CONTENT' : 'ERROR';
  const purge = !keepsErrors({ ...request, status }, ctx);
  const deadline = purge ? new Date(ctx.now.getTime() + PURGE_GRACE_MS).toISOString() : null;
  const failed = next(request, { status, error: cause, deadline }, historyEvent, ctx.now, policy.maxAttempts > 1 ? [cause, decision.reason] : [cause]);
  const counted: CountedChange[] = [{ kind: 'changed', before: state(request), after: state(failed) }];
  if (purge) counted.push({ kind: 'retired', before: state(failed) });
  return { request: failed, remove: false, purgeAfterPublish: purge, changed: true, answers: [{ about: failed, answer: finalAnswer(failed) }], dispatchedAttempts: [], counted };
}

/** The answer a finished request gave its client; also what a replay sends again. */
function finalAnswer(request: Request): RequestAnswer {
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

function succeed(request: Request, output: Uint8Array | null, ctx: OutcomeContext): Outcome {
  allowed(request, 'workerSuccess');
  const content = output ?? EMPTY_JSON;
  const keep = ctx.successRetentionMs > 0;
  const original = request.originalContent ?? request.content;
  const keepOriginal = content.length + original.length <= ITEM_CONTENT_BUDGET_BYTES;
  const done = next(
    request,
    {
      status: 'SUCCESS',
      error: null,
      // The output is kept until the answer carrying it is out (and for the retention, if any).
      content: new Uint8Array(content),
      originalContent: keepOriginal ? original : null,
      deadline: new Date(ctx.now.getTime() + (keep ? ctx.successRetentionMs : PURGE_GRACE_MS)).toISOString(),
    },
    'worker:SUCCESS',
    ctx.now,
    [],
  );
  const counted: CountedChange[] = [{ kind: 'changed', before: state(request), after: state(done) }];
  if (!keep) counted.push({ kind: 'retired', before: state(done) });
  return {
    request: done,
    remove: false,
    purgeAfterPublish: !keep,
    changed: true,
    answers: [{ about: done, answer: finalAnswer(done) }],
    dispatchedAttempts: [],
    counted,
  };
}

/** SUCCESS of a step that has a next one: the output becomes the next step's input, dispatched at once. */
function advance(request: Request, response: WorkerResponse, stepNumber: number, workerType: string, ctx: OutcomeContext): Outcome {
  const output = response.content;
  if (output === null) return fail(request, 'ERROR', missingStepContentMessage(request), 'worker:SUCCESS', ctx);
  if (output.length > ctx.maxContentBytes) {
    return fail(request, 'ERROR', `Step ${request.stepNumber} returned ${output.length} bytes, more than the ${ctx.maxContentBytes} bytes a step input may hold`, 'worker:SUCCESS', ctx);
  }
  allowed(request, 'workerStepDone');
  const original = request.originalContent ?? request.content;
  // The client's body is kept for debugging while it fits next to the step output.
  const keepOriginal = original.length + output.length <= ITEM_CONTENT_BUDGET_BYTES;
  const stepped = next(
    request,
    {
      status: 'TO_DISPATCH',
      content: new Uint8Array(output),
      originalContent: keepOriginal ? original : null,
      additionalHeaders: response.additionalHeaders,
      stepNumber,
      stepWorkerType: workerType,
      dispatchedWorkerType: null,
      stepAttempts: 0,
      error: null,
      deadline: null,
    },
    'worker:SUCCESS',
    ctx.now,
    keepOriginal ? [] : ['original content dropped: too large to keep next to the step output'],
  );
  const plan = planDispatch(stepped, 'TO_DISPATCH', ctx, 'next-step');
  return dispatched(plan, [{ kind: 'changed', before: state(request), after: state(stepped) }, { kind: 'changed', before: state(stepped), after: state(plan.request) }]);
}

function dispatched(plan: DispatchPlan, counted: CountedChange[]): Outcome {
  return {
    request: plan.request,
    remove: false,
    changed: true,
    answers: [{ about: plan.request, answer: dispatchAnswer(plan) }],
    dispatchedAttempts: plan.response === 'GRANTED' ? [plan.request.attempt] : [],
    counted,
  };
}

const ACTIVE = new Set(['DISPATCHED', 'RUNNING']);

/** A worker's answer (reference 3.6), with the state guard the reference lacks. */
export function applyWorkerResponse(request: Request, response: WorkerResponse, ctx: OutcomeContext): Outcome {
  const event = `worker:${response.status}`;
  const attempt = response.dispatchAttempt ?? request.attempt;
  if (attempt !== request.attempt) {
    if (alreadyRecorded(request, event, attempt)) return replay(request, event, attempt, ctx);
    return recordIgnored(request, event, `answer for attempt ${attempt}, but the request is at attempt ${request.attempt}`, ctx.now);
  }
  const duplicateRunning = response.status === 'RUNNING' && request.status === 'RUNNING';
  if (duplicateRunning || (!ACTIVE.has(request.status) && alreadyRecorded(request, event, attempt))) {
    return replay(request, event, attempt, ctx);
  }
  if (!ACTIVE.has(request.status)) {
    return recordIgnored(request, event, `answer ${response.status} arrived while the request is ${request.status}`, ctx.now);
  }
  const cause = response.messages.join(',');
  const workerType = request.dispatchedWorkerType ?? 'unknown';
  switch (response.status) {
    case 'RUNNING': {
      allowed(request, 'workerRunning');
      const deadlines = ctx.routing.workerConfig(workerType)?.deadlines ?? DEFAULT_DEADLINES;
      const running = next(
        request,
        {
          status: 'RUNNING',
          error: cause === '' ? null : cause,
          deadline: new Date(ctx.now.getTime() + deadlines.timeToCompleteSeconds * 1000).toISOString(),
        },
        event,
        ctx.now,
        response.messages,
      );
      return { request: running, remove: false, changed: true, answers: [], dispatchedAttempts: [], counted: [{ kind: 'changed', before: state(request), after: state(running) }] };
    }
    case 'ERROR':
      return fail(request, 'ERROR', cause === '' ? 'no message from the worker' : cause, event, ctx);
    case 'INVALID_CONTENT':
      return fail(request, 'INVALID_CONTENT', cause, event, ctx);
    case 'SUCCESS': {
      if (request.stepNumber === null) return succeed(request, response.content, ctx);
      const following = ctx.routing.stepAfter(request.contentType, request.stepNumber);
      switch (following.kind) {
        case 'last':
          return succeed(request, response.content, ctx);
        case 'next':
          return advance(request, response, following.step.stepNumber, following.step.workerType, ctx);
        case 'unknown-workflow':
        case 'unknown-step':
          // Treating it as the last step (the reference) would report SUCCESS for work never done.
          return fail(request, 'ERROR', following.message, event, ctx);
      }
    }
  }
}

/** The broker dead-lettered the work item of this attempt (reference 3.8). */
export function applyDeadLetter(request: Request, attempt: number | undefined, reason: string, ctx: OutcomeContext): Outcome {
  const event = 'dead-letter';
  const of = attempt ?? request.attempt;
  if (of !== request.attempt || !ACTIVE.has(request.status)) {
    if (alreadyRecorded(request, event, of)) return replay(request, event, of, ctx);
    return recordIgnored(request, event, `dead letter of attempt ${of} while the request is ${request.status} at attempt ${request.attempt}`, ctx.now);
  }
  return fail(request, 'DEAD_LETTER', reason, event, ctx);
}

/**
 * The sweeper found the request at or past its deadline. NO_WORKER_AVAILABLE requests are the
 * re-dispatch use case's; everything else with a deadline is handled here.
 */
export function applyDeadline(request: Request, ctx: OutcomeContext): Outcome {
  if (request.deadline === null || new Date(request.deadline).getTime() > ctx.now.getTime()) {
    return unchanged(request, 'not due (any more)');
  }
  const workerType = request.dispatchedWorkerType ?? 'unknown';
  const deadlines = ctx.routing.workerConfig(workerType)?.deadlines ?? DEFAULT_DEADLINES;
  switch (request.status) {
    case 'DISPATCHED':
      return fail(request, 'TIMEOUT', `No answer from a ${workerType} worker within ${deadlines.timeToStartSeconds} s of dispatch (attempt ${request.attempt})`, 'timeout', ctx);
    case 'RUNNING':
      return fail(request, 'TIMEOUT', `The ${workerType} worker did not finish within ${deadlines.timeToCompleteSeconds} s of reporting RUNNING (attempt ${request.attempt})`, 'timeout', ctx);
    case 'TO_DISPATCH': {
      const plan = planDispatch(request, 'TO_DISPATCH', ctx, 'retry-due');
      return dispatched(plan, [{ kind: 'changed', before: state(request), after: state(plan.request) }]);
    }
    case 'SUCCESS':
    case 'ERROR':
    case 'INVALID_CONTENT':
    case 'TO_DELETE':
      // A finished request carries a deadline only when its row is due to go: its retention ended,
      // or its answer was sent and the process stopped before deleting it.
      return { ...unchanged(request), remove: true, changed: true };
    case 'NO_WORKER_AVAILABLE':
      return unchanged(request, 'waiting requests are re-dispatched by redispatch-waiting');
  }
}

const BLOCKED = new Set(['ERROR', 'INVALID_CONTENT', 'NO_WORKER_AVAILABLE']);

/**
 * An operator retries a blocked request (REST, reference 4.6): dispatched again at once at its
 * CURRENT step with that step's input, so a failed workflow resumes where it failed. The retry
 * policy's budget starts afresh: the operator decided to try again.
 */
export function applyOperatorRetry(request: Request, ctx: OutcomeContext): Outcome {
  if (!BLOCKED.has(request.status)) return unchanged(request, `only ERROR, INVALID_CONTENT and NO_WORKER_AVAILABLE requests are retried, not ${request.status}`);
  allowed(request, 'retry');
  const retried = next(request, { status: 'TO_DISPATCH', stepAttempts: 0, deadline: null }, 'operator-retry', ctx.now, []);
  const plan = planDispatch(retried, 'TO_DISPATCH', ctx, 'operator-retry');
  return dispatched(plan, [
    { kind: 'changed', before: state(request), after: state(retried) },
    { kind: 'changed', before: state(retried), after: state(plan.request) },
  ]);
}

/** An operator deletes a blocked request (REST, reference 4.6): it no longer counts anywhere. */
export function applyOperatorDelete(request: Request): Outcome {
  if (!BLOCKED.has(request.status)) return unchanged(request, `only ERROR, INVALID_CONTENT and NO_WORKER_AVAILABLE requests are deleted, not ${request.status}`);
  allowed(request, 'markForDeletion');
  const marked: Request = { ...request, status: 'TO_DELETE' };
  allowed(marked, 'purge');
  return {
    request: marked,
    remove: true,
    changed: true,
    answers: [],
    dispatchedAttempts: [],
    counted: [
      { kind: 'changed', before: state(request), after: state(marked) },
      { kind: 'deleted', before: state(marked) },
    ],
  };
}
