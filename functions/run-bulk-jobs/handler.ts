import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { documentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/dynamo-job-store.js';
import { LambdaJobLauncher } from '../../shared/adapters/lambda/lambda-job-launcher.js';
import { runBulkJob, type RunBulkJobResult } from '../../shared/application/use-cases/run-bulk-job.js';
import { parseEnv } from '../../shared/lambda/env.js';
import { localContext } from '../../shared/lambda/mq-function.js';
import { servicesFromEnv, type ManagerServices } from '../../shared/lambda/services.js';
import type { JobLauncher } from '../../shared/ports/job-launcher.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import { RunBulkJobsEnvSchema } from './env.js';
import { RunBulkJobEventSchema } from './schema.js';

// Lambda async invoke (admin API, or itself) | local host in process --> (run-bulk-jobs) --> runBulkJob

export interface RunBulkJobsDeps extends ManagerServices {
  jobs: JobStore;
  /** Starts the next run when this one spent its budget. */
  launcher: JobLauncher;
  maxPages: number;
}

export type RunBulkJobsHandler = (event: unknown, context?: Context) => Promise<RunBulkJobResult>;

/**
 * One bounded run of a job: pages until the budget (pages, or the invocation's time) is spent,
 * then the next run is launched. An infrastructure failure throws, so Lambda retries the event;
 * the job item keeps the cursor, and the retried run resumes from it.
 */
export function runBulkJobsWithDeps(deps: RunBulkJobsDeps): RunBulkJobsHandler {
  const base = async (event: unknown, context: Context): Promise<RunBulkJobResult> => {
    const ref = RunBulkJobEventSchema.parse(event);
    const result = await runBulkJob(ref, deps, { maxPages: deps.maxPages, timeLeftMs: () => context.getRemainingTimeInMillis() });
    if (result.outcome === 'more') await deps.launcher.launch(ref);
    return result;
  };
  const wrapped = middy<unknown, RunBulkJobResult>(base, { timeoutEarlyInMillis: 0 }).onError((request) => {
    deps.logger.error('bulk job run failed; it is retried from its last saved page', { fn: 'run-bulk-jobs', error: request.error });
  });
  return (event, context) => wrapped(event, context ?? localContext('run-bulk-jobs'));
}

let composed: Promise<RunBulkJobsHandler> | undefined;

export const handler: RunBulkJobsHandler = async (event, context) => {
  composed ??= (async () => {
    const env = parseEnv(RunBulkJobsEnvSchema, process.env);
    const services = await servicesFromEnv(env, 'run-bulk-jobs');
    const client = documentClient({ endpoint: env.DYNAMODB_ENDPOINT, region: env.AWS_REGION });
    return runBulkJobsWithDeps({
      ...services,
      jobs: new DynamoJobStore(client, env.TABLE_NAME),
      launcher: new LambdaJobLauncher(env.AWS_LAMBDA_FUNCTION_NAME),
      maxPages: env.BULK_JOB_MAX_PAGES,
    });
  })();
  composed.catch(() => {
    composed = undefined;
  });
  return (await composed)(event, context);
};
