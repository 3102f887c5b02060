import { MqFunctionEnvSchema, type MqFunctionEnv } from '../../shared/lambda/env.js';

/** The store and the broker: it publishes the work items and answers of what it re-dispatches. */
export const SweepEnvSchema = MqFunctionEnvSchema;
export type SweepEnv = MqFunctionEnv;
