import { EmfMetrics } from '../../shared/adapters/metrics/emf-metrics.js';
import { handleWorkerResponses } from '../../shared/application/use-cases/handle-worker-responses.js';
import { amazonMqSource } from '../../shared/lambda/amazon-mq-source.js';
import { defineFunction } from '../../shared/lambda/define-function.js';
import { servicesFromEnv } from '../../shared/lambda/services.js';
import { HandleWorkerResponsesEnvSchema } from './env.js';

// worker response queue --> (handle-worker-responses) --> handleWorkerResponses

export const handleWorkerResponsesFunction = defineFunction({
  name: 'handle-worker-responses',
  envSchema: HandleWorkerResponsesEnvSchema,
  compose: (env) => servicesFromEnv(env, 'handle-worker-responses', { metrics: EmfMetrics.create(env.METRICS_SERVICE) }),
  ...amazonMqSource(handleWorkerResponses),
});

export const handler = handleWorkerResponsesFunction.handler;
