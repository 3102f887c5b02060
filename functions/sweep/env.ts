import type { z } from 'zod';
import { AmqpEnvSchema, BaseEnvSchema } from '../../shared/lambda/env.js';

/** Publishes the work items and responses of what it re-dispatches. */
export const SweepEnvSchema = BaseEnvSchema.extend(AmqpEnvSchema.shape);
export type SweepEnv = z.infer<typeof SweepEnvSchema>;
