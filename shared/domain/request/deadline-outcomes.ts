import { DEFAULT_DEADLINES } from '../config/tenant-config.js';
import { planDispatch } from './dispatch.js';
import { fail } from './failure-outcomes.js';
import { dispatched, resendFinalAnswer, state, unchanged, type Outcome, type OutcomeContext } from './outcomes.js';
import type { Request } from './request.js';

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
      return fail(
        request,
        'TIMEOUT',
        `No answer from a ${workerType} worker within ${deadlines.timeToStartSeconds} s of dispatch (attempt ${request.attempt})`,
        'timeout',
        ctx,
      );
    case 'RUNNING':
      return fail(
        request,
        'TIMEOUT',
        `The ${workerType} worker did not finish within ${deadlines.timeToCompleteSeconds} s of reporting RUNNING (attempt ${request.attempt})`,
        'timeout',
        ctx,
      );
    case 'TO_DISPATCH': {
      const plan = planDispatch(request, 'TO_DISPATCH', ctx, 'retry-due');
      return dispatched(plan, [{ kind: 'changed', before: state(request), after: state(plan.request) }]);
    }
    case 'SUCCESS':
    case 'ERROR':
    case 'INVALID_CONTENT':
      // Past the confirm grace, the answer may never have gone out (the batch that decided it
      // failed for good, or the process died): it is sent again, and the row settled once confirmed.
      // Otherwise the deadline is the end of its retention: the row goes.
      return resendFinalAnswer(request, ctx) ?? { ...unchanged(request), remove: true, changed: true };
    case 'TO_DELETE':
      return { ...unchanged(request), remove: true, changed: true };
    case 'NO_WORKER_AVAILABLE':
      return unchanged(request, 'waiting requests are re-dispatched by redispatch-waiting');
  }
}
