import { registerRequests } from '../../shared/application/use-cases/register-requests.js';
import { defineMqFunction } from '../../shared/lambda/mq-function.js';
import { servicesFromEnv } from '../../shared/lambda/services.js';
import { RegisterRequestsEnvSchema } from './env.js';

// client request queue --> (register-requests) --> registerRequests

export const registerRequestsFunction = defineMqFunction({
  name: 'register-requests',
  envSchema: RegisterRequestsEnvSchema,
  compose: (env) => servicesFromEnv(env, 'register-requests'),
  run: registerRequests,
});

export const handler = registerRequestsFunction.handler;
