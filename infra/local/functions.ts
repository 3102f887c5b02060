import { adminApiFunction, type AdminApiFunctionDeps } from '../../functions/admin-api/handler.js';
import { handleWorkerDeadLettersFunction } from '../../functions/handle-worker-dead-letters/handler.js';
import { handleWorkerResponsesFunction } from '../../functions/handle-worker-responses/handler.js';
import { recordHeartbeatsFunction } from '../../functions/record-heartbeats/handler.js';
import { registerRequestsFunction } from '../../functions/register-requests/handler.js';
import { runBulkJobsWithDeps, type RunBulkJobsDeps, type RunBulkJobsHandler } from '../../functions/run-bulk-jobs/handler.js';
import { sweepFunction, sweepServices } from '../../functions/sweep/handler.js';
import type { MappedFunction } from '../../shared/contract/manager-settings.js';
import type { SweepDeps } from '../../shared/application/use-cases/sweep.js';
import type { ProxyHandler } from '../../shared/lambda/http-function.js';
import type { MqFunction } from '../../shared/lambda/mq-function.js';
import type { ScheduledHandler } from '../../shared/lambda/scheduled-function.js';
import type { ManagerServices } from '../../shared/lambda/services.js';

/** The queue-fed functions the local host runs, by the name the event source mappings use. */
export const MAPPED_FUNCTIONS: Partial<Record<MappedFunction, MqFunction<ManagerServices>>> = {
  'register-requests': registerRequestsFunction,
  'record-heartbeats': recordHeartbeatsFunction,
  'handle-worker-responses': handleWorkerResponsesFunction,
  'handle-worker-dead-letters': handleWorkerDeadLettersFunction,
};

/** The sweep handler over one set of services, as its schedule invokes it. */
export function sweepHandler(services: ManagerServices, bulkJobs?: SweepDeps['bulkJobs']): ScheduledHandler {
  return sweepFunction.withDeps(sweepServices(services, bulkJobs));
}

/** The admin API over given dependencies, as API Gateway would invoke it. */
export function adminApiHandler(deps: AdminApiFunctionDeps): ProxyHandler {
  return adminApiFunction.withDeps(deps);
}

/** run-bulk-jobs over given dependencies, as its asynchronous invoke would run it. */
export function bulkJobsHandler(deps: RunBulkJobsDeps): RunBulkJobsHandler {
  return runBulkJobsWithDeps(deps);
}
