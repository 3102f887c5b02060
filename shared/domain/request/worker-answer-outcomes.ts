import type { RequestReference } from '../../contract/request-reference.js';
import type { WorkerResponse } from '../../contract/worker-response.js';
import { DEFAULT_DEADLINES } from '../config/tenant-config.js';
import { planDispatch } from './dispatch.js';
import { fail } from './failure-outcomes.js';
import {
  ACTIVE,
  alreadyRecorded,
  allowed,
  dispatched,
  finalAnswer,
  headerBytes,
  ITEM_CONTENT_BUDGET_BYTES,
  next,
  afterConfirmOf,
  finishingKept,
  recordIgnored,
  replay,
  state,
  unchanged,
  type Outcome,
  type OutcomeContext,
} from './outcomes.js';
import { clientBody, ORIGINAL_DROPPED_MESSAGE, type Request } from './request.js';
import type { CountedChange } from './session-counters.js';

/* A worker's answer: RUNNING, SUCCESS of the last step or of one with a next step, ERROR, INVALID_CONTENT. */

/** The reference's own text for a workflow step that succeeded without output (reference 5). */
export function missingStepContentMessage(request: Request): string {
  return `An error occurred at step ${request.stepNumber} of the workflow "${request.contentType}". The workerResponseEvent ${request.requestId} did not return any content while it is required by the next worker. Workflow is therefore stopped at this step.`;
}

const EMPTY_JSON = new TextEncoder().encode('{}');

function succeed(request: Request, output: Uint8Array | null, ctx: OutcomeContext): Outcome {
  const content = output ?? EMPTY_JSON;
  const room = ITEM_CONTENT_BUDGET_BYTES - headerBytes(request.additionalHeaders);
  if (content.length > room) {
    // Stored, it would break the item limit and fail the whole batch; the client still learns the outcome.
    return fail(
      request,
      'ERROR',
      `The worker returned ${content.length} bytes of content, more than the ${room} bytes an answer may carry`,
      'worker:SUCCESS',
      ctx,
    );
  }
  allowed(request, 'workerSuccess');
  const keep = ctx.successRetentionMs > 0;
  const original = clientBody(request);
  const keepOriginal = original !== undefined && content.length + original.length <= room;
  const done = next(
    request,
    {
      status: 'SUCCESS',
      error: null,
      // Kept for the retention; without one this request is never written, only answered.
      content: new Uint8Array(content),
      originalContent: keepOriginal ? original : null,
      ...(keep ? finishingKept(ctx) : { deadline: null }),
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
    ...(keep ? { afterConfirm: afterConfirmOf(done, ctx) } : { removeAfterAnswer: true }),
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
    return fail(
      request,
      'ERROR',
      `Step ${request.stepNumber} returned ${output.length} bytes, more than the ${ctx.maxContentBytes} bytes a step input may hold`,
      'worker:SUCCESS',
      ctx,
    );
  }
  if (response.additionalHeadersRefused !== undefined) {
    // Forwarding them cut, or not at all, would run the next step on input its worker did not get.
    return fail(
      request,
      'ERROR',
      `Step ${request.stepNumber} returned additional headers too large to forward: ${response.additionalHeadersRefused}`,
      'worker:SUCCESS',
      ctx,
    );
  }
  allowed(request, 'workerStepDone');
  const original = clientBody(request);
  // The client's body is kept (for debugging, and to restart from the first step) while it fits next to the step output and its headers.
  const keepOriginal = original !== undefined && original.length + output.length + headerBytes(response.additionalHeaders) <= ITEM_CONTENT_BUDGET_BYTES;
  const stepped = next(
    request,
    {
      status: 'TO_DISPATCH',
      content: new Uint8Array(output),
      originalContent: keepOriginal ? original : null,
      ...(keepOriginal ? {} : { originalContentDropped: true as const }),
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
    keepOriginal || original === undefined ? [] : [ORIGINAL_DROPPED_MESSAGE],
  );
  const plan = planDispatch(stepped, 'TO_DISPATCH', ctx, 'next-step');
  return dispatched(plan, [
    { kind: 'changed', before: state(request), after: state(stepped) },
    { kind: 'changed', before: state(stepped), after: state(plan.request) },
  ]);
}

/**
 * Why a message about a dispatch (a worker's answer, a dead-lettered work item) cannot be trusted to
 * come from whoever received the request's current dispatch, or undefined when it can. A token is
 * only ever sent with the work item, so a wrong one is a forgery or an answer to an older dispatch
 * (whose token was replaced). No token at all is today's REGARDS behaviour and passes, unless the
 * installation requires tokens and the request was dispatched with one.
 */
export function dispatchTokenProblem(request: Request, reference: RequestReference, ctx: Pick<OutcomeContext, 'requireDispatchToken'>): string | undefined {
  if (reference.dispatchToken === undefined) {
    if (ctx.requireDispatchToken === true && request.dispatchToken !== undefined) return 'no dispatch token, and requireDispatchToken is set';
    return undefined;
  }
  if (reference.dispatchToken !== request.dispatchToken) return "its dispatch token is not the current dispatch's";
  return undefined;
}

/**
 * Checks the token of a message about a request before it is applied: undefined when it may go
 * on, otherwise the outcome. An untrusted message never changes the stored request, not even its
 * history (forged messages must not push the real history out); it is only counted and logged. A
 * redelivery of an older dispatch's message that was recorded still replays: replaying only sends
 * again what the request's recorded state already decided, and is what makes a failed publish good.
 */
export function refuseUntrusted(request: Request, reference: RequestReference, event: string, ctx: OutcomeContext): Outcome | undefined {
  const problem = dispatchTokenProblem(request, reference, ctx);
  if (problem === undefined) return undefined;
  const attempt = reference.dispatchAttempt ?? request.attempt;
  // An answer to an attempt the stored request has not reached yet: a timer's dispatch sends its
  // work item before writing it, and a fast worker can answer before the write lands. It is left
  // to the attempt check, which records it: that write makes the dispatch's own write lose its
  // race, so the request is dispatched again. Dropped unwritten, the dispatch would win and the
  // request wait for an answer already spent, until its time-to-start.
  if (attempt > request.attempt) return undefined;
  if (reference.dispatchToken !== undefined && attempt !== request.attempt && alreadyRecorded(request, event, attempt)) {
    return replay(request, event, attempt, ctx);
  }
  return { ...unchanged(request, `${event} not applied: ${problem}`), untrusted: true };
}

/**
 * Moves a RUNNING request's deadline forward by less than this share of its time-to-complete is
 * not worth a write: a worker that reports RUNNING every few seconds costs at most ten writes per
 * time-to-complete, each priced on the whole item (its content included).
 */
const HEARTBEAT_GRANULARITY = 0.1;

/**
 * A RUNNING of a request already RUNNING, the worker's progress heartbeat (as Temporal's activity
 * heartbeat): time-to-complete starts again from now. Undefined when the worker type's deadlines
 * say otherwise or the push is too small to be worth its write. Only the deadline and version
 * change: no history entry (a heartbeat every minute would push the useful ones out), and the
 * store may leave the due index entry where it is (a RUNNING that moves its deadline later does
 * not need it moved, see RequestStore.refreshDue).
 */
function extendTimeToComplete(request: Request, ctx: OutcomeContext): Outcome | undefined {
  const deadlines = ctx.routing.workerConfig(request.dispatchedWorkerType ?? 'unknown')?.deadlines ?? DEFAULT_DEADLINES;
  if (!deadlines.runningExtends || request.deadline === null) return undefined;
  const timeToCompleteMs = deadlines.timeToCompleteSeconds * 1000;
  const deadline = ctx.now.getTime() + timeToCompleteMs;
  if (deadline - Date.parse(request.deadline) < Math.max(1000, timeToCompleteMs * HEARTBEAT_GRANULARITY)) return undefined;
  const extended: Request = { ...request, deadline: new Date(deadline).toISOString(), version: request.version + 1 };
  return { ...unchanged(extended), changed: true };
}

/** A worker's answer (reference 3.6), with the state guard the reference lacks. */
export function applyWorkerResponse(request: Request, response: WorkerResponse, ctx: OutcomeContext): Outcome {
  const event = `worker:${response.status}`;
  const refused = refuseUntrusted(request, response, event, ctx);
  if (refused !== undefined) return refused;
  const attempt = response.dispatchAttempt ?? request.attempt;
  if (attempt !== request.attempt) {
    if (alreadyRecorded(request, event, attempt)) return replay(request, event, attempt, ctx);
    return recordIgnored(request, event, `answer for attempt ${attempt}, but the request is at attempt ${request.attempt}`, ctx.now);
  }
  const duplicateRunning = response.status === 'RUNNING' && request.status === 'RUNNING';
  if (duplicateRunning) return extendTimeToComplete(request, ctx) ?? replay(request, event, attempt, ctx);
  if (!ACTIVE.has(request.status) && alreadyRecorded(request, event, attempt)) {
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
      return {
        request: running,
        remove: false,
        changed: true,
        answers: [],
        dispatchedAttempts: [],
        counted: [{ kind: 'changed', before: state(request), after: state(running) }],
      };
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
