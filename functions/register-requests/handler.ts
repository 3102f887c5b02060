import { EmfMetrics } from '../../shared/adapters/metrics/emf-metrics.js';
import { registerRequests } from '../../shared/application/use-cases/register-requests.js';
import { amazonMqSource } from '../../shared/lambda/amazon-mq-source.js';
import { defineFunction } from '../../shared/lambda/define-function.js';
import { servicesFromEnv } from '../../shared/lambda/services.js';
import { RegisterRequestsEnvSchema } from './env.js';

// client request queue --> (register-requests) --> registerRequests

export const registerRequestsFunction = defineFunction({
  name: 'register-requests',
  envSchema: RegisterRequestsEnvSchema,
  compose: (env) => servicesFromEnv(env, 'register-requests', { metrics: EmfMetrics.create(env.METRICS_SERVICE) }),
  ...amazonMqSource(registerRequests),
});

export const handler = registerRequestsFunction.handler;
