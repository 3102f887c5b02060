import { handleWorkerDeadLetters } from '../../shared/application/use-cases/handle-worker-dead-letters.js';
import { defineMqFunction } from '../../shared/lambda/mq-function.js';
import { servicesFromEnv } from '../../shared/lambda/services.js';
import { HandleWorkerDeadLettersEnvSchema } from './env.js';

// worker dead-letter queue --> (handle-worker-dead-letters) --> handleWorkerDeadLetters

export const handleWorkerDeadLettersFunction = defineMqFunction({
  name: 'handle-worker-dead-letters',
  envSchema: HandleWorkerDeadLettersEnvSchema,
  compose: (env) => servicesFromEnv(env, 'handle-worker-dead-letters'),
  run: handleWorkerDeadLetters,
});

export const handler = handleWorkerDeadLettersFunction.handler;
