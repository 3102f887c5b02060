import { EmfMetrics } from '../../shared/adapters/metrics/emf-metrics.js';
import { recordHeartbeats } from '../../shared/application/use-cases/record-heartbeats.js';
import { amazonMqSource } from '../../shared/lambda/amazon-mq-source.js';
import { defineFunction } from '../../shared/lambda/define-function.js';
import { servicesFromEnv } from '../../shared/lambda/services.js';
import { RecordHeartbeatsEnvSchema } from './env.js';

// heartbeat queue --> (record-heartbeats) --> recordHeartbeats

export const recordHeartbeatsFunction = defineFunction({
  name: 'record-heartbeats',
  envSchema: RecordHeartbeatsEnvSchema,
  compose: (env) => servicesFromEnv(env, 'record-heartbeats', { metrics: EmfMetrics.create(env.METRICS_SERVICE) }),
  ...amazonMqSource(recordHeartbeats),
});

export const handler = recordHeartbeatsFunction.handler;
