import { DEFAULT_DEADLINES, type Deadlines } from '../config/tenant-config.js';
import { planDispatch } from './dispatch.js';
import { fail } from './failure-outcomes.js';
import { dispatched, next, resendFinalAnswer, state, unchanged, type Outcome, type OutcomeContext } from './outcomes.js';
import type { Request } from './request.js';

/**
 * What the sweeper learnt, when a DISPATCHED request's time-to-start fell due, about whether it
 * could have started: its worker type had no live instance, its worker queue was empty (so its
 * work item was taken, or lost, and no answer came), the queue still held messages (the item may
 * be among them), or the broker could not tell.
 */
export type StartCheck =
  | { kind: 'no-live-worker' }
  | { kind: 'queue-empty'; queue: string }
  | { kind: 'queued'; queue: string; messages: number }
  | { kind: 'unknown'; reason: string };

/** The longest single push of a time-to-start: one write a day at most for a request that waits for weeks. */
export const MAX_TIME_TO_START_PUSH_MS = 86_400_000;

export const TIME_TO_START_EXTENDED_EVENT = 'time-to-start-extended';

/**
 * A time-to-start that fell due while the work item may still wait its turn: the deadline is
 * pushed forward by as long as the request has waited since its dispatch (at least the
 * time-to-start, at most a day, never past `maxQueuedSeconds` after dispatch). The pushes double,
 * so a request that waits W costs about log2(W / time-to-start) writes plus one a day, not one
 * per time-to-start. Undefined when it must expire now.
 */
function pushTimeToStart(request: Request, deadlines: Deadlines, check: StartCheck, ctx: OutcomeContext): Outcome | undefined {
  if (!deadlines.extendWhileQueued || check.kind === 'no-live-worker' || check.kind === 'queue-empty') return undefined;
  const now = ctx.now.getTime();
  const waited = now - Date.parse(request.statusDate);
  const left = deadlines.maxQueuedSeconds * 1000 - waited;
  if (left <= 0) return undefined;
  const push = Math.min(Math.max(waited, deadlines.timeToStartSeconds * 1000), MAX_TIME_TO_START_PUSH_MS, left);
  const why =
    check.kind === 'queued'
      ? `${check.messages} messages wait in ${check.queue}: the work item may be among them`
      : `the worker queue could not be checked (${check.reason})`;
  const pushed = next(request, { deadline: new Date(now + push).toISOString() }, TIME_TO_START_EXTENDED_EVENT, ctx.now, [
    `no answer ${Math.round(waited / 1000)} s after dispatch, but ${why}; time-to-start pushed by ${Math.round(push / 1000)} s`,
  ]);
  return { ...unchanged(pushed), changed: true };
}

/** Why a request that did not start in time is failed, in words the client and the operator read. */
function timeToStartMessage(request: Request, workerType: string, deadlines: Deadlines, check: StartCheck | undefined): string {
  const base = `No answer from a ${workerType} worker within ${deadlines.timeToStartSeconds} s of dispatch (attempt ${request.attempt})`;
  if (!deadlines.extendWhileQueued) return base;
  switch (check?.kind) {
    case undefined:
      return base;
    case 'no-live-worker':
      return `${base}, and no ${workerType} worker is alive`;
    case 'queue-empty':
      return `${base}, and its worker queue ${check.queue} is empty: the work item was taken and never answered`;
    case 'queued':
    case 'unknown':
      return `${base}: still unanswered ${deadlines.maxQueuedSeconds} s after dispatch (maxQueuedSeconds)`;
  }
}

/**
 * The sweeper found the request at or past its deadline. NO_WORKER_AVAILABLE requests are the
 * re-dispatch use case's; everything else with a deadline is handled here. `startCheck` is given
 * for a DISPATCHED request when the sweeper could look at its worker type and queue; without it a
 * time-to-start expires as it falls due.
 */
export function applyDeadline(request: Request, ctx: OutcomeContext, startCheck?: StartCheck): Outcome {
  if (request.deadline === null || new Date(request.deadline).getTime() > ctx.now.getTime()) {
    return unchanged(request, 'not due (any more)');
  }
  const workerType = request.dispatchedWorkerType ?? 'unknown';
  const deadlines = ctx.routing.workerConfig(workerType)?.deadlines ?? DEFAULT_DEADLINES;
  switch (request.status) {
    case 'DISPATCHED': {
      const pushed = startCheck === undefined ? undefined : pushTimeToStart(request, deadlines, startCheck, ctx);
      return pushed ?? fail(request, 'TIMEOUT', timeToStartMessage(request, workerType, deadlines, startCheck), 'timeout', ctx);
    }
    case 'RUNNING':
      return fail(
        request,
        'TIMEOUT',
        `The ${workerType} worker did not finish within ${deadlines.timeToCompleteSeconds} s of ${deadlines.runningExtends ? 'its last' : 'reporting'} RUNNING (attempt ${request.attempt})`,
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
