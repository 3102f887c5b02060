import { EmfMetrics } from '../../shared/adapters/metrics/emf-metrics.js';
import { handleWorkerDeadLetters } from '../../shared/application/use-cases/handle-worker-dead-letters.js';
import { amazonMqSource } from '../../shared/lambda/amazon-mq-source.js';
import { defineFunction } from '../../shared/lambda/define-function.js';
import { servicesFromEnv } from '../../shared/lambda/services.js';
import { HandleWorkerDeadLettersEnvSchema } from './env.js';

// worker dead-letter queue --> (handle-worker-dead-letters) --> handleWorkerDeadLetters

export const handleWorkerDeadLettersFunction = defineFunction({
  name: 'handle-worker-dead-letters',
  envSchema: HandleWorkerDeadLettersEnvSchema,
  compose: (env) => servicesFromEnv(env, 'handle-worker-dead-letters', { metrics: EmfMetrics.create(env.METRICS_SERVICE) }),
  ...amazonMqSource(handleWorkerDeadLetters),
});

export const handler = handleWorkerDeadLettersFunction.handler;
