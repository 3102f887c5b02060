import { decideRetry, type FailureKind } from '../config/retry-policy.js';
import { DEFAULT_RETRY_POLICY } from '../config/tenant-config.js';
import {
  alreadyRecorded,
  allowed,
  ACTIVE,
  finalAnswer,
  next,
  afterConfirmOf,
  finishingKept,
  recordIgnored,
  replay,
  state,
  type Outcome,
  type OutcomeContext,
} from './outcomes.js';
import type { Request } from './request.js';
import type { CountedChange } from './session-counters.js';
import type { RequestEvent } from './state-machine.js';

/* Failed attempts (a worker's ERROR or INVALID_CONTENT, a dead letter, a timeout): retried by the worker type's policy, or final. */

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
  const failed = next(
    request,
    { status, error: cause, ...(purge ? { deadline: null } : finishingKept(ctx)) },
    historyEvent,
    ctx.now,
    policy.maxAttempts > 1 ? [cause, decision.reason] : [cause],
  );
  const counted: CountedChange[] = [{ kind: 'changed', before: state(request), after: state(failed) }];
  if (purge) counted.push({ kind: 'retired', before: state(failed) });
  return {
    request: failed,
    remove: false,
    ...(purge ? { removeAfterAnswer: true } : { afterConfirm: afterConfirmOf(failed, ctx) }),
    changed: true,
    answers: [{ about: failed, answer: finalAnswer(failed) }],
    dispatchedAttempts: [],
    counted,
  };
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
