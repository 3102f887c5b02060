import type { WorkerSummary } from '../../contract/admin-views.js';
import type { Liveness } from '../services/liveness.js';
import type { TenantConfigs } from '../services/tenant-configs.js';

// admin-api GET /workers --> (use case) --> Liveness, TenantConfigs

// One entry of `GET /workers`: a view the admin API's clients read too, defined in the contract.
export { WorkerSummarySchema, type WorkerSummary } from '../../contract/admin-views.js';

export interface ListWorkersQuery {
  /** From the verified token, never from the query string. */
  tenant: string;
  /** Keep only the worker types the tenant's configuration maps these content types to. */
  contentTypes?: readonly string[] | undefined;
}

export interface ListWorkersDeps {
  liveness: Liveness;
  tenants: TenantConfigs;
}

/**
 * The alive worker types and their live instances (reference section 7). Without content types,
 * every alive type is listed, configured in the tenant or not, as REGARDS does (liveness is
 * global); with them, the types those content types route to, in the order asked.
 */
export async function listWorkers(query: ListWorkersQuery, deps: ListWorkersDeps): Promise<WorkerSummary[]> {
  const alive = await deps.liveness.aliveTypes();
  const summary = (workerType: string, instances: number): WorkerSummary => ({ workerType, nbInstance: instances });
  if (query.contentTypes === undefined || query.contentTypes.length === 0) {
    return [...alive.values()]
      .map((type) => summary(type.workerType, type.instances))
      .sort((a, b) => (a.workerType < b.workerType ? -1 : a.workerType > b.workerType ? 1 : 0));
  }
  const view = await deps.tenants.get(query.tenant);
  return view.routing.workerTypesForContentTypes(query.contentTypes).flatMap((workerType) => {
    const type = alive.get(workerType);
    return type === undefined ? [] : [summary(workerType, type.instances)];
  });
}
