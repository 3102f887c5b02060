import type { RequestAnswer } from './answers.js';
import { appendHistory, type Request } from './request.js';
import { TransitionRefusedError } from './dispatch.js';
import { transition, type Phase } from './state-machine.js';

/*
 * Fair dispatch (README, "Fair dispatch"): a dispatch planned for a worker type whose limit of
 * requests in flight is reached becomes a wait for a slot. The request stays TO_DISPATCH, listed
 * in its tenant's slot queue, with no deadline (nothing is due while it waits: a freed slot, or
 * the sweep's fill, takes it out), and its client is answered DELAYED.
 */

export const WAIT_FOR_SLOT_EVENT = 'waiting-for-slot';
export const SLOT_FREED_EVENT = 'slot-freed';

/** Why a request waits, as its history (and the admin API's request detail) says it. */
export function waitingForSlotMessage(workerType: string, maxInFlight: number, perTenant: number | undefined): string {
  const limits = perTenant === undefined ? `${maxInFlight} in flight` : `${maxInFlight} in flight, ${perTenant} per tenant`;
  return `waiting for a slot: worker type ${workerType} is at its limit (${limits}); dispatched as slots free, tenants in turn, higher priority first`;
}

/**
 * The request held back instead of the dispatch planned as `dispatched` (by planDispatch, which
 * added one history entry and one attempt): the route of the plan is kept, the dispatch itself
 * (attempt, token, deadline, its history entry) is not. `before` is the request as stored (or as
 * received), whose dispatch token stays; `from` its phase just before the dispatch.
 */
export function holdForSlot(before: Pick<Request, 'dispatchToken'>, from: Phase, dispatched: Request, now: Date, why: string): Request {
  const result = transition(from, 'waitForSlot');
  if (!result.allowed) throw new TransitionRefusedError(`${dispatched.requestId}: ${result.reason}`);
  const at = now.toISOString();
  const held: Request = {
    ...dispatched,
    status: 'TO_DISPATCH',
    statusDate: at,
    dispatchedWorkerType: null,
    attempt: dispatched.attempt - 1,
    stepAttempts: Math.max(0, dispatched.stepAttempts - 1),
    deadline: null,
    waitingForSlot: true,
    history: appendHistory(dispatched.history.slice(0, -1), {
      at,
      event: WAIT_FOR_SLOT_EVENT,
      status: 'TO_DISPATCH',
      stepNumber: dispatched.stepNumber,
      workerType: dispatched.stepWorkerType,
      attempt: dispatched.attempt - 1,
      messages: [why],
    }),
  };
  if (before.dispatchToken === undefined) delete held.dispatchToken;
  else held.dispatchToken = before.dispatchToken;
  return held;
}

/** The worker type whose slot the request waits for, if it waits for one (it is then listed in that slot queue). */
export function slotWaitedFor(request: Request): string | undefined {
  return request.status === 'TO_DISPATCH' && request.waitingForSlot === true && request.stepWorkerType !== null ? request.stepWorkerType : undefined;
}

/** The answer a held request's client gets. */
export function heldAnswer(why: string): RequestAnswer {
  return { state: 'DELAYED', messages: [why] };
}

/** The request as a freed slot takes it: no longer listed in the slot queue. */
export function leaveSlotQueue(request: Request): Request {
  const left = { ...request };
  delete left.waitingForSlot;
  return left;
}
