import { applyDeadline } from '../../domain/request/outcomes.js';
import type { RequestStatus } from '../../contract/status.js';
import { applyEvents } from '../services/request-events.js';
import type { DueHandler, DueHandlers } from './sweep.js';

// sweep --> (due handler) --> outcomes, RequestStore

/**
 * Acts on requests the sweeper found past their deadline: a DISPATCHED or RUNNING request that
 * never got its answer times out (retried by its worker type's retry policy, else ERROR with the
 * client told), a scheduled retry is dispatched, a retained SUCCESS is purged. With the waiting
 * requests' recheck, every status that has a deadline is handled: nothing waits forever.
 */
export const enforceDeadline: DueHandler = async (requests, context) => {
  const report = await applyEvents(
    requests.map((request) => ({ tenant: request.tenant, requestId: request.requestId, event: 'due' as const })),
    (request, _due, ctx) => applyDeadline(request, ctx),
    context.deps,
    context.effects,
    // A retry the sweeper dispatches has no message to replay it: its work item goes first.
    { preloaded: requests, sendWorkItemsFirst: context.deps.bus },
  );
  return { handled: report.written, dispatched: report.dispatched, conflicts: report.retriedConflicts };
};

const STATUSES_WITH_DEADLINES: readonly RequestStatus[] = ['DISPATCHED', 'RUNNING', 'TO_DISPATCH', 'SUCCESS', 'ERROR', 'INVALID_CONTENT', 'TO_DELETE'];

export const DEADLINE_HANDLERS: DueHandlers = Object.fromEntries(STATUSES_WITH_DEADLINES.map((status) => [status, enforceDeadline]));
