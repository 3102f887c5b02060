import { EmfMetrics } from '../../shared/adapters/metrics/emf-metrics.js';
import { documentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/dynamo-job-store.js';
import { LambdaJobLauncher } from '../../shared/adapters/lambda/lambda-job-launcher.js';
import { runBulkJob } from '../../shared/application/use-cases/run-bulk-job.js';
import { defineFunction } from '../../shared/lambda/define-function.js';
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

/**
 * One bounded run of a job: pages until the budget (pages, or the invocation's time) is spent,
 * then the next run is launched. An infrastructure failure throws, so Lambda retries the event;
 * the job item keeps the cursor, and the retried run resumes from it.
 */
export const runBulkJobsFunction = defineFunction({
  name: 'run-bulk-jobs',
  envSchema: RunBulkJobsEnvSchema,
  compose: async (env): Promise<RunBulkJobsDeps> => {
    const services = await servicesFromEnv(env, 'run-bulk-jobs', { metrics: EmfMetrics.create(env.METRICS_SERVICE) });
    const client = documentClient({ endpoint: env.DYNAMODB_ENDPOINT, region: env.AWS_REGION });
    return {
      ...services,
      jobs: new DynamoJobStore(client, env.TABLE_NAME),
      launcher: new LambdaJobLauncher(env.AWS_LAMBDA_FUNCTION_NAME),
      maxPages: env.BULK_JOB_MAX_PAGES,
    };
  },
  decode: (event: unknown) => RunBulkJobEventSchema.parse(event),
  run: async (ref, deps, context) => {
    const result = await runBulkJob(ref, deps, { maxPages: deps.maxPages, timeLeftMs: () => context.getRemainingTimeInMillis() });
    if (result.outcome === 'more') await deps.launcher.launch(ref);
    return result;
  },
  onError: { message: 'bulk job run failed; it is retried from its last saved page' },
});

export const handler = runBulkJobsFunction.handler;
