import { MqFunctionEnvSchema, type MqFunctionEnv } from '../../shared/lambda/env.js';

/** Fed by an Amazon MQ event source; publishes work items and GRANTED when a revival re-dispatches. */
export const RecordHeartbeatsEnvSchema = MqFunctionEnvSchema;
export type RecordHeartbeatsEnv = MqFunctionEnv;
