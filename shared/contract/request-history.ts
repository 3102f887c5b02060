import * as z from 'zod';
import { RequestStatusSchema } from './status.js';

/**
 * Each entry is one thing that happened to a request, including answers that were not applied.
 * Stored with the request (domain) and shown as it is by the admin API: defined here so the API's
 * clients can type themselves from the contract.
 */
export const HistoryEntrySchema = z.object({
  at: z.iso.datetime(),
  event: z.string().min(1),
  status: RequestStatusSchema,
  stepNumber: z.number().int().nullable(),
  workerType: z.string().nullable(),
  attempt: z.number().int().nonnegative(),
  messages: z.array(z.string()),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
