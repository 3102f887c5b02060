import * as z from 'zod';
import { AmqpFieldsSchema, BaseEnvSchema, checkingAmqp } from '../../shared/lambda/env.js';

/** Fed by an Amazon MQ event source like its peers, and starts bulk delete jobs as the admin API does. */
export const HandleSessionDeletionsEnvSchema = checkingAmqp(
  BaseEnvSchema.extend(AmqpFieldsSchema.shape).extend({
    /** The run-bulk-jobs function, invoked asynchronously to carry the delete jobs out. */
    BULK_JOBS_FUNCTION_NAME: z.string().min(1),
  }),
);
export type HandleSessionDeletionsEnv = z.infer<typeof HandleSessionDeletionsEnvSchema>;
