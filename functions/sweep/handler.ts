import { documentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/dynamo-job-store.js';
import { AmqpQueueDepths } from '../../shared/adapters/rabbitmq/amqp-queue-depths.js';
import { LambdaJobLauncher } from '../../shared/adapters/lambda/lambda-job-launcher.js';
import { EmfMetrics } from '../../shared/adapters/metrics/emf-metrics.js';
import type { AmqpConnectionProvider } from '../../shared/amqp-kit/connection.js';
import { sweep, type SweepDeps } from '../../shared/application/use-cases/sweep.js';
import { resolveAmqpUrl } from '../../shared/lambda/broker-url.js';
import { defineFunction } from '../../shared/lambda/define-function.js';
import { scheduleSource } from '../../shared/lambda/schedule-source.js';
import { servicesFromEnv, sharedConnection, type ManagerServices } from '../../shared/lambda/services.js';
import { SweepEnvSchema } from './env.js';
import { recordSweepGauges, WaitingObserver, type SweepGauges } from './metrics.js';

// schedule (EventBridge Scheduler | local schedule emulator) --> (sweep) --> sweep

export type SweepServices = ManagerServices &
  Required<Pick<SweepDeps, 'progress'>> &
  Pick<SweepDeps, 'dueHandlers' | 'bulkJobs' | 'queueDepths'> & {
    /** The dead-letter depths and the oldest waiting request, recorded after each run when metrics are (metrics.ts). */
    gauges?: SweepGauges;
  };

/**
 * The sweep's dependencies over the shared services. The progress object lives as long as the
 * warm process, so a run resumes where the previous one stopped. With the bulk jobs' store and
 * launcher, it also restarts bulk jobs whose runs all died. With the broker connection, it reads
 * its gauges: the requests it loads are watched for the oldest waiting one.
 */
export function sweepServices(services: ManagerServices, bulkJobs?: SweepDeps['bulkJobs'], broker?: AmqpConnectionProvider): SweepServices {
  const swept: SweepServices = { ...services, progress: {}, ...(bulkJobs === undefined ? {} : { bulkJobs }) };
  if (broker === undefined) return swept;
  const observer = new WaitingObserver();
  const queueDepths = new AmqpQueueDepths(broker);
  return { ...swept, queueDepths, requests: observer.observe(services.requests), gauges: { observer, queueDepths } };
}

export const sweepFunction = defineFunction({
  name: 'sweep',
  envSchema: SweepEnvSchema,
  compose: async (env) => {
    const services = await servicesFromEnv(env, 'sweep', { metrics: EmfMetrics.create(env.METRICS_SERVICE) });
    const bulkJobs =
      env.BULK_JOBS_FUNCTION_NAME === undefined
        ? undefined
        : {
            jobs: new DynamoJobStore(documentClient({ endpoint: env.DYNAMODB_ENDPOINT, region: env.AWS_REGION }), env.TABLE_NAME),
            launcher: new LambdaJobLauncher(env.BULK_JOBS_FUNCTION_NAME),
          };
    return sweepServices(services, bulkJobs, sharedConnection(await resolveAmqpUrl(env), services.logger));
  },
  ...scheduleSource,
  run: async (_tick, deps) => {
    const report = await sweep(deps);
    const { metrics, gauges } = deps;
    if (metrics !== undefined && gauges !== undefined) await recordSweepGauges({ ...deps, metrics, gauges }, deps.clock.now());
    return report;
  },
});

export const handler = sweepFunction.handler;
