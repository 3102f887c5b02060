import * as z from 'zod';
import { AmqpFieldsSchema, BaseEnvSchema, checkingAmqp } from '../../shared/lambda/env.js';

/**
 * The store and the broker: it publishes the work items and answers of what it re-dispatches.
 * With run-bulk-jobs' name, it also restarts bulk jobs that stopped moving.
 */
export const SweepEnvSchema = checkingAmqp(BaseEnvSchema.extend(AmqpFieldsSchema.shape).extend({ BULK_JOBS_FUNCTION_NAME: z.string().min(1).optional() }));
export type SweepEnv = z.infer<typeof SweepEnvSchema>;
