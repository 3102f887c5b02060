import { handleWorkerResponses } from '../../shared/application/use-cases/handle-worker-responses.js';
import { defineMqFunction } from '../../shared/lambda/mq-function.js';
import { servicesFromEnv } from '../../shared/lambda/services.js';
import { HandleWorkerResponsesEnvSchema } from './env.js';

// worker response queue --> (handle-worker-responses) --> handleWorkerResponses

export const handleWorkerResponsesFunction = defineMqFunction({
  name: 'handle-worker-responses',
  envSchema: HandleWorkerResponsesEnvSchema,
  compose: (env) => servicesFromEnv(env, 'handle-worker-responses'),
  run: handleWorkerResponses,
});

export const handler = handleWorkerResponsesFunction.handler;
