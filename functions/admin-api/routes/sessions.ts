import { getSessionCounters } from '../../../shared/application/use-cases/read-requests.js';
import { defineRoute, type Route } from '../../../shared/lambda/http/router.js';
import type { CounterStore } from '../../../shared/ports/counter-store.js';
import { CountersQuerySchema, CountersSchema } from '../schema.js';

/** The REGARDS session counters. */
export function sessionRoutes(deps: { counters: CounterStore }): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/sessions/counters',
      access: 'EXPLOIT',
      operationId: 'getSessionCounters',
      tag: 'sessions',
      summary: 'The REGARDS session counters of one source and session',
      query: CountersQuerySchema,
      responses: { 200: { description: 'counters (empty for a session never seen)', schema: CountersSchema } },
      handle: async ({ query, principal }) => {
        const counters = await getSessionCounters(principal.tenant, query.source, query.session, deps);
        return { status: 200, body: { source: counters.source, session: counters.session, values: counters.values } };
      },
    }),
  ];
}
