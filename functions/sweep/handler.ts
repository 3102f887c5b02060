import { documentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/dynamo-job-store.js';
import { AmqpQueueDepths } from '../../shared/adapters/rabbitmq/amqp-queue-depths.js';
import { LambdaJobLauncher } from '../../shared/adapters/lambda/lambda-job-launcher.js';
import { sweep, type SweepDeps } from '../../shared/application/use-cases/sweep.js';
import { resolveAmqpUrl } from '../../shared/lambda/broker-url.js';
import { defineFunction } from '../../shared/lambda/define-function.js';
import { scheduleSource } from '../../shared/lambda/schedule-source.js';
import { servicesFromEnv, sharedConnection, type ManagerServices } from '../../shared/lambda/services.js';
import { SweepEnvSchema } from './env.js';
import { publishSweepMetrics, queueDepthReader, WaitingObserver, type SweepMetricsDeps } from './metrics.js';

// schedule (EventBridge Scheduler | local schedule emulator) --> (sweep) --> sweep

export type SweepServices = ManagerServices &
  Required<Pick<SweepDeps, 'progress'>> &
  Pick<SweepDeps, 'dueHandlers' | 'bulkJobs' | 'queueDepths'> & {
    /** In Lambda only: the dead-letter depths and the oldest waiting request, published after each run (metrics.ts). */
    metrics?: SweepMetricsDeps;
  };

/**
 * The sweep's dependencies over the shared services. The progress object lives as long as the
 * warm process, so a run resumes where the previous one stopped. With the bulk jobs' store and
 * launcher, it also restarts bulk jobs whose runs all died.
 */
export function sweepServices(services: ManagerServices, bulkJobs?: SweepDeps['bulkJobs'], queueDepths?: SweepDeps['queueDepths']): SweepServices {
  return { ...services, progress: {}, ...(bulkJobs === undefined ? {} : { bulkJobs }), ...(queueDepths === undefined ? {} : { queueDepths }) };
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
    const provider = sharedConnection(await resolveAmqpUrl(env), services.logger);
    const swept = sweepServices(services, bulkJobs, new AmqpQueueDepths(provider));
    const functionName = process.env['AWS_LAMBDA_FUNCTION_NAME'];
    // The local host composes through sweepServices: no metric lines in its console.
    if (functionName === undefined) return swept;
    const observer = new WaitingObserver();
    const metrics: SweepMetricsDeps = {
      settings: services.settings,
      logger: services.logger,
      queueDepth: queueDepthReader(() => provider.get()),
      observer,
      functionName,
      write: (line) => process.stdout.write(`${line}\n`),
    };
    return { ...swept, requests: observer.observe(services.requests), metrics };
  },
  ...scheduleSource,
  run: async (_tick, deps) => {
    const report = await sweep(deps);
    if (deps.metrics !== undefined) await publishSweepMetrics(deps.metrics, deps.clock.now());
    return report;
  },
});

export const handler = sweepFunction.handler;
