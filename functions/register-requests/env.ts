import type { z } from 'zod';
import { AmqpEnvSchema, BaseEnvSchema } from '../../shared/lambda/env.js';

export const RegisterRequestsEnvSchema = BaseEnvSchema.extend(AmqpEnvSchema.shape);
export type RegisterRequestsEnv = z.infer<typeof RegisterRequestsEnvSchema>;
