import * as z from 'zod';
import { HistoryEntrySchema } from './request-history.js';
import { RequestStatusSchema } from './status.js';

/*
 * The admin API's views of requests, jobs, counters and workers, as it answers them: one definition for
 * the API (functions/admin-api/schema.ts validates and documents with these schemas) and for its
 * clients, the web dashboard and `wm`, which import the types only (zod never reaches the page).
 * Shapes follow REGARDS rs-worker-manager (reference section 7).
 */

/** A Spring HATEOAS link, as REGARDS writes them. */
export const LinkSchema = z.object({ rel: z.string(), href: z.string() });
export type Link = z.infer<typeof LinkSchema>;

/** REGARDS LightRequest: what a search lists. */
export const LightRequestSchema = z.object({
  id: z.number().int().describe('numeric id (REGARDS DB id); what the ids filter matches'),
  requestId: z.string(),
  creationDate: z.string(),
  contentType: z.string(),
  source: z.string(),
  session: z.string(),
  status: RequestStatusSchema,
  dispatchedWorkerType: z.string().nullable(),
  error: z.string().nullable(),
});
export type LightRequest = z.infer<typeof LightRequestSchema>;

export const LightRequestModelSchema = z.object({ content: LightRequestSchema, links: z.array(LinkSchema) });

export const PageMetadataSchema = z.object({
  size: z.number().int(),
  totalElements: z.number().int(),
  totalPages: z.number().int(),
  number: z.number().int(),
});

export const RequestPageSchema = z.object({
  content: z.array(LightRequestModelSchema),
  metadata: PageMetadataSchema,
  links: z.array(LinkSchema),
  /** Ours: the cursor of the next page (absent on the last one). */
  nextCursor: z.string().optional(),
  /** Ours: false when totalElements is a lower bound (the count stopped at its bound). */
  totalElementsExact: z.boolean(),
});
export type RequestPage = z.infer<typeof RequestPageSchema>;

/** GET /requests/{requestId}: the LightRequest and what REGARDS does not show. */
export const RequestDetailSchema = LightRequestSchema.extend({
  statusDate: z.string(),
  stepNumber: z.number().int().nullable(),
  stepWorkerType: z.string().nullable(),
  attempt: z.number().int().describe('dispatch attempt (fencing token echoed by workers)'),
  stepAttempts: z.number().int(),
  deadline: z.string().nullable().describe('when the sweeper looks at the request again'),
  history: z.array(HistoryEntrySchema),
  /** Ours: why a request waiting for a slot (fair dispatch) waits, and its place. */
  waitingFor: z
    .object({
      reason: z.literal('slot'),
      workerType: z.string(),
      maxInFlight: z.number().int().nullable().describe('null: the limit was removed; the next sweep dispatches it'),
      maxInFlightPerTenant: z.number().int().nullable(),
      inFlight: z.number().int(),
      inFlightOfTenant: z.number().int(),
      position: z.number().int().describe("1 = the next of its tenant's requests to go (tenants take turns)"),
      positionExact: z.boolean().describe('false: more than 1,000 wait ahead, position is a lower bound'),
      tenantsWaiting: z.number().int(),
    })
    .optional(),
});
export type RequestDetail = z.infer<typeof RequestDetailSchema>;
export const RequestDetailModelSchema = z.object({ content: RequestDetailSchema, links: z.array(LinkSchema) });

export const JobSchema = z.object({
  id: z.string(),
  kind: z.enum(['retry', 'delete', 'cancel']),
  status: z.enum(['PENDING', 'RUNNING', 'DONE', 'FAILED']),
  /** The filter as submitted (statuses are forced to the blocked ones when it runs). */
  filter: z.record(z.string(), z.unknown()),
  createdBefore: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  processed: z.number().int(),
  succeeded: z.number().int(),
  skipped: z.number().int(),
  total: z.number().int().optional(),
  totalExact: z.boolean().optional(),
  progress: z.number().int().min(0).max(100),
  requestedBy: z.string().optional(),
  /** A retry's starting point, when not the step each request stopped at. */
  restartFrom: z.union([z.literal('first'), z.int()]).optional(),
  error: z.string().optional(),
  links: z.array(LinkSchema),
});
export type JobView = z.infer<typeof JobSchema>;

export const JobListSchema = z.object({ content: z.array(JobSchema), nextCursor: z.string().optional() });
export type JobList = z.infer<typeof JobListSchema>;

export const CountersSchema = z.object({
  source: z.string(),
  session: z.string(),
  values: z.record(z.string(), z.number()).describe('REGARDS session properties: workers.requests, workers.<type>.dispatched, ...'),
});
export type Counters = z.infer<typeof CountersSchema>;

/** One entry of `GET /workers` (REGARDS WorkerTypeAliveDto). */
export const WorkerSummarySchema = z.object({
  workerType: z.string().min(1),
  nbInstance: z.number().int().nonnegative(),
});
export type WorkerSummary = z.infer<typeof WorkerSummarySchema>;
