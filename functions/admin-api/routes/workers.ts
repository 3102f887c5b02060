import { listWorkers, type ListWorkersDeps } from '../../../shared/application/use-cases/list-workers.js';
import { defineRoute, type Route } from '../../../shared/lambda/http/router.js';
import { WorkersQuerySchema, WorkersSchema } from '../schema.js';

/** Alive worker types and their instances. */
export function workerRoutes(deps: ListWorkersDeps): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/workers',
      access: 'EXPLOIT',
      operationId: 'listWorkers',
      tag: 'workers',
      summary: 'Alive worker types and their instances',
      query: WorkersQuerySchema,
      responses: { 200: { description: 'REGARDS WorkerTypeAliveDto list', schema: WorkersSchema } },
      handle: async ({ query, principal }) => ({ status: 200, body: await listWorkers({ tenant: principal.tenant, contentTypes: query.contentTypes }, deps) }),
    }),
  ];
}
