import { MqFunctionEnvSchema, type MqFunctionEnv } from '../../shared/lambda/env.js';

/** Fed by an Amazon MQ event source: the store, the broker and the shared settings. */
export const RegisterRequestsEnvSchema = MqFunctionEnvSchema;
export type RegisterRequestsEnv = MqFunctionEnv;
