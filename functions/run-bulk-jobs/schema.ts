import * as z from 'zod';

/** The asynchronous invocation's payload: the job to carry on (the admin API or the previous run sends it). */
export const RunBulkJobEventSchema = z.object({
  tenant: z.string().min(1),
  jobId: z.string().min(1),
});
export type RunBulkJobEvent = z.infer<typeof RunBulkJobEventSchema>;
