import { recordHeartbeats } from '../../shared/application/use-cases/record-heartbeats.js';
import { defineMqFunction } from '../../shared/lambda/mq-function.js';
import { servicesFromEnv } from '../../shared/lambda/services.js';
import { RecordHeartbeatsEnvSchema } from './env.js';

// heartbeat queue --> (record-heartbeats) --> recordHeartbeats

export const recordHeartbeatsFunction = defineMqFunction({
  name: 'record-heartbeats',
  envSchema: RecordHeartbeatsEnvSchema,
  compose: (env) => servicesFromEnv(env, 'record-heartbeats'),
  run: recordHeartbeats,
});

export const handler = recordHeartbeatsFunction.handler;
