import { documentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/dynamo-job-store.js';
import { EmfMetrics } from '../../shared/adapters/metrics/emf-metrics.js';
import { LambdaJobLauncher } from '../../shared/adapters/lambda/lambda-job-launcher.js';
import { handleSessionDeletions, type HandleSessionDeletionsDeps } from '../../shared/application/use-cases/handle-session-deletions.js';
import { amazonMqSource } from '../../shared/lambda/amazon-mq-source.js';
import { defineFunction } from '../../shared/lambda/define-function.js';
import { servicesFromEnv } from '../../shared/lambda/services.js';
import { HandleSessionDeletionsEnvSchema } from './env.js';

// rs-admin SessionDeleteEvent | SourceDeleteEvent queue --> (handle-session-deletions) --> handleSessionDeletions

export type HandleSessionDeletionsFunctionDeps = HandleSessionDeletionsDeps & Awaited<ReturnType<typeof servicesFromEnv>>;

export const handleSessionDeletionsFunction = defineFunction({
  name: 'handle-session-deletions',
  envSchema: HandleSessionDeletionsEnvSchema,
  compose: async (env): Promise<HandleSessionDeletionsFunctionDeps> => ({
    ...(await servicesFromEnv(env, 'handle-session-deletions', { metrics: EmfMetrics.create(env.METRICS_SERVICE) })),
    jobs: new DynamoJobStore(documentClient({ endpoint: env.DYNAMODB_ENDPOINT, region: env.AWS_REGION }), env.TABLE_NAME),
    launcher: new LambdaJobLauncher(env.BULK_JOBS_FUNCTION_NAME),
  }),
  ...amazonMqSource(handleSessionDeletions),
});

export const handler = handleSessionDeletionsFunction.handler;
