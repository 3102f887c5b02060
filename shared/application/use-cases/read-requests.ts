import type { CounterStore, SessionCounters } from '../../ports/counter-store.js';
import type { RequestStore } from '../../ports/request-store.js';
import type { Request } from '../../domain/request/request.js';
import { RequestNotFoundError } from './use-case-errors.js';

// admin-api GET /requests/{requestId}, GET /sessions/counters --> (use case) --> RequestStore, CounterStore

/** One request of the tenant, in full (history included). */
export async function getRequest(tenant: string, requestId: string, deps: { requests: RequestStore }): Promise<Request> {
  const request = (await deps.requests.getAll(tenant, [requestId])).get(requestId);
  if (request === undefined) throw new RequestNotFoundError(`no request ${requestId}`);
  return request;
}

/** The session counters of one source and session; all zero (no property) for a session never seen. */
export async function getSessionCounters(tenant: string, source: string, session: string, deps: { counters: CounterStore }): Promise<SessionCounters> {
  return (await deps.counters.get(tenant, source, session)) ?? { tenant, source, session, values: {} };
}
