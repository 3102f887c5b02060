import { CANCELLABLE_STATUSES } from './request-search.js';
import { planDispatch } from './dispatch.js';
import { afterConfirmOf, allowed, dispatched, finalAnswer, finishingKept, next, state, unchanged, type Outcome, type OutcomeContext } from './outcomes.js';
import type { Request } from './request.js';
import { BLOCKED, restartPlan, type RestartFrom } from './restart.js';

/**
 * An operator retries a blocked request (REST, reference 4.6): dispatched again at once, by
 * default at its CURRENT step with that step's input, so a failed workflow resumes where it
 * failed; `from` may instead restart it from its first step (the client's original body, no
 * forwarded headers) or from a chosen step whose input is kept. The retry policy's budget starts
 * afresh: the operator decided to try again. A restart the request cannot make is refused with
 * the reason and the request left as it is.
 */
export function applyOperatorRetry(request: Request, ctx: OutcomeContext, from: RestartFrom = 'current'): Outcome {
  const plan = restartPlan(request, from, ctx.routing);
  if ('refused' in plan) return unchanged(request, plan.refused);
  allowed(request, 'retry');
  const retried = next(
    request,
    { ...plan.changes, status: 'TO_DISPATCH', stepAttempts: 0, deadline: null },
    from === 'current' ? 'operator-retry' : 'operator-restart',
    ctx.now,
    plan.message === undefined ? [] : [plan.message],
  );
  if (plan.changes.originalContent === null) delete retried.originalContentDropped;
  const dispatchPlan = planDispatch(retried, 'TO_DISPATCH', ctx, 'operator-retry');
  return dispatched(dispatchPlan, [
    { kind: 'changed', before: state(request), after: state(retried) },
    { kind: 'changed', before: state(retried), after: state(dispatchPlan.request) },
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
