import { CANCELLABLE_STATUSES } from './request-search.js';
import { planDispatch } from './dispatch.js';
import { afterConfirmOf, allowed, dispatched, finalAnswer, finishingKept, next, state, unchanged, type Outcome, type OutcomeContext } from './outcomes.js';
import type { Request } from './request.js';

const BLOCKED = new Set(['ERROR', 'INVALID_CONTENT', 'NO_WORKER_AVAILABLE']);

/**
 * An operator retries a blocked request (REST, reference 4.6): dispatched again at once at its
 * CURRENT step with that step's input, so a failed workflow resumes where it failed. The retry
 * policy's budget starts afresh: the operator decided to try again.
 */
export function applyOperatorRetry(request: Request, ctx: OutcomeContext): Outcome {
  if (!BLOCKED.has(request.status))
    return unchanged(request, `only ERROR, INVALID_CONTENT and NO_WORKER_AVAILABLE requests are retried, not ${request.status}`);
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
  if (!BLOCKED.has(request.status))
    return unchanged(request, `only ERROR, INVALID_CONTENT and NO_WORKER_AVAILABLE requests are deleted, not ${request.status}`);
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

const CANCELLABLE: ReadonlySet<string> = new Set(CANCELLABLE_STATUSES);

export const OPERATOR_CANCEL_EVENT = 'operator-cancel';
export const CANCELLED_MESSAGE = 'Cancelled by an operator';

/**
 * An operator cancels a request that is not finished. It ends at once in ERROR, its client
 * answered ERROR with the reason (REGARDS clients know no other final state), and its slot of a
 * limited worker type is freed. The row is kept whatever keepErrors says, so that a worker still
 * holding its work item finds it finished: that late answer is recorded in its history, never
 * applied.
 */
export function applyOperatorCancel(request: Request, ctx: OutcomeContext): Outcome {
  if (!CANCELLABLE.has(request.status)) return unchanged(request, `only waiting and in-flight requests are cancelled, not ${request.status}`);
  allowed(request, 'cancel');
  const ended = next(request, { status: 'ERROR', error: CANCELLED_MESSAGE, ...finishingKept(ctx) }, OPERATOR_CANCEL_EVENT, ctx.now, [CANCELLED_MESSAGE]);
  delete ended.waitingForSlot;
  const afterConfirm = afterConfirmOf(ended, ctx);
  return {
    request: ended,
    remove: false,
    changed: true,
    ...(afterConfirm === undefined ? {} : { afterConfirm }),
    answers: [{ about: ended, answer: finalAnswer(ended) }],
    dispatchedAttempts: [],
    counted: [{ kind: 'changed', before: state(request), after: state(ended) }],
  };
}
