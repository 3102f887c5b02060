import * as z from 'zod';
import { AmqpEnvSchema, BaseEnvSchema } from '../../shared/lambda/env.js';

/** Retries publish work items; the function re-invokes itself (Lambda sets its own name) to go on. */
export const RunBulkJobsEnvSchema = BaseEnvSchema.extend(AmqpEnvSchema.shape).extend({
  AWS_LAMBDA_FUNCTION_NAME: z.string().min(1),
  /** Pages (200 requests each) one invocation handles at most, whatever time it has left. */
  BULK_JOB_MAX_PAGES: z.coerce.number().int().min(1).default(500),
});
export type RunBulkJobsEnv = z.infer<typeof RunBulkJobsEnvSchema>;
