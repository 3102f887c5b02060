import { applyOperatorCancel } from '../../domain/request/operator-outcomes.js';
import type { Request } from '../../domain/request/request.js';
import { BatchEffects } from '../services/batch-effects.js';
import { applyEventsSendingWorkItemsFirst, type RequestFlowDeps } from '../services/request-events.js';
import { RequestNotCancellableError, RequestNotFoundError } from './use-case-errors.js';

// admin-api POST /requests/{requestId}/cancel --> (use case) --> outcomes, RequestStore, MessageBus

/**
 * Cancels one request (see applyOperatorCancel): it ends in ERROR now, its client is answered,
 * and a slot it held is freed (the next worker answer's fill, or the sweep, gives it away).
 * Returns the request as cancelled.
 */
export async function cancelRequest(tenant: string, requestId: string, deps: RequestFlowDeps): Promise<Request> {
  const effects = new BatchEffects(deps.settings.names, deps.clock.now());
  const report = await applyEventsSendingWorkItemsFirst(
    [{ tenant, requestId, event: 'cancel' }],
    (request, _event, ctx) => applyOperatorCancel(request, ctx),
    deps,
    effects,
  );
  await effects.flush(deps);
  const after = (await deps.requests.getAll(tenant, [requestId])).get(requestId);
  if (report.unknown > 0 || after === undefined) throw new RequestNotFoundError(`no request ${requestId}`);
  if (report.written === 0) throw new RequestNotCancellableError(`request ${requestId} is ${after.status}: only waiting and in-flight requests are cancelled`);
  deps.logger.info('request cancelled by an operator', { tenant, requestId });
  return after;
}
