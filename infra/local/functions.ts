import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { adminApiFunction, type AdminApiFunctionDeps } from '../../functions/admin-api/handler.js';
import { handleWorkerDeadLettersFunction } from '../../functions/handle-worker-dead-letters/handler.js';
import { handleWorkerResponsesFunction } from '../../functions/handle-worker-responses/handler.js';
import { recordHeartbeatsFunction } from '../../functions/record-heartbeats/handler.js';
import { registerRequestsFunction } from '../../functions/register-requests/handler.js';
import { runBulkJobsFunction, type RunBulkJobsDeps } from '../../functions/run-bulk-jobs/handler.js';
import { sweepFunction, sweepServices } from '../../functions/sweep/handler.js';
import type { SweepDeps } from '../../shared/application/use-cases/sweep.js';
import type { RunBulkJobResult } from '../../shared/application/use-cases/run-bulk-job.js';
import type { MappedFunction } from '../../shared/contract/manager-settings.js';
import type { FunctionHandler, LambdaFunction } from '../../shared/lambda/define-function.js';
import type { ManagerServices } from '../../shared/lambda/services.js';

/** A queue-fed function: an Amazon MQ event in, nothing out. */
export type MqFunction = LambdaFunction<ManagerServices, unknown, void>;

/** The queue-fed functions the local host runs, by the name the event source mappings use. */
export const MAPPED_FUNCTIONS: Partial<Record<MappedFunction, MqFunction>> = {
  'register-requests': registerRequestsFunction,
  'record-heartbeats': recordHeartbeatsFunction,
  'handle-worker-responses': handleWorkerResponsesFunction,
  'handle-worker-dead-letters': handleWorkerDeadLettersFunction,
};

/** The sweep handler over one set of services, as its schedule invokes it. */
export function sweepHandler(
  services: ManagerServices,
  bulkJobs?: SweepDeps['bulkJobs'],
  queueDepths?: SweepDeps['queueDepths'],
): FunctionHandler<object | void, unknown> {
  return sweepFunction.withDeps(sweepServices(services, bulkJobs, queueDepths));
}

/** The admin API over given dependencies, as API Gateway would invoke it. */
export function adminApiHandler(deps: AdminApiFunctionDeps): FunctionHandler<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return adminApiFunction.withDeps(deps);
}

/** run-bulk-jobs over given dependencies, as its asynchronous invoke would run it. */
export function bulkJobsHandler(deps: RunBulkJobsDeps): FunctionHandler<unknown, RunBulkJobResult> {
  return runBulkJobsFunction.withDeps(deps);
}
