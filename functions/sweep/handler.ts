import { documentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/dynamo-job-store.js';
import { LambdaJobLauncher } from '../../shared/adapters/lambda/lambda-job-launcher.js';
import { sweep, type SweepDeps } from '../../shared/application/use-cases/sweep.js';
import { defineFunction } from '../../shared/lambda/define-function.js';
import { scheduleSource } from '../../shared/lambda/schedule-source.js';
import { servicesFromEnv, type ManagerServices } from '../../shared/lambda/services.js';
import { SweepEnvSchema } from './env.js';

// schedule (EventBridge Scheduler | local schedule emulator) --> (sweep) --> sweep

export type SweepServices = ManagerServices & Required<Pick<SweepDeps, 'progress'>> & Pick<SweepDeps, 'dueHandlers' | 'bulkJobs'>;

/**
 * The sweep's dependencies over the shared services. The progress object lives as long as the
 * warm process, so a run resumes where the previous one stopped. With the bulk jobs' store and
 * launcher, it also restarts bulk jobs whose runs all died.
 */
export function sweepServices(services: ManagerServices, bulkJobs?: SweepDeps['bulkJobs']): SweepServices {
  return { ...services, progress: {}, ...(bulkJobs === undefined ? {} : { bulkJobs }) };
}

export const sweepFunction = defineFunction({
  name: 'sweep',
  envSchema: SweepEnvSchema,
  compose: async (env) => {
    const services = await servicesFromEnv(env, 'sweep');
    const bulkJobs =
      env.BULK_JOBS_FUNCTION_NAME === undefined
        ? undefined
        : {
            jobs: new DynamoJobStore(documentClient({ endpoint: env.DYNAMODB_ENDPOINT, region: env.AWS_REGION }), env.TABLE_NAME),
            launcher: new LambdaJobLauncher(env.BULK_JOBS_FUNCTION_NAME),
          };
    return sweepServices(services, bulkJobs);
  },
  ...scheduleSource,
  run: (_tick, deps) => sweep(deps),
});

export const handler = sweepFunction.handler;
