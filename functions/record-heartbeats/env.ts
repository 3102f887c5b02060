import type { z } from 'zod';
import { AmqpEnvSchema, BaseEnvSchema } from '../../shared/lambda/env.js';

/** Publishes work items and GRANTED responses when a revival re-dispatches waiting requests. */
export const RecordHeartbeatsEnvSchema = BaseEnvSchema.extend(AmqpEnvSchema.shape);
export type RecordHeartbeatsEnv = z.infer<typeof RecordHeartbeatsEnvSchema>;
