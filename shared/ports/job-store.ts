import * as z from 'zod';
import { SearchRequestParametersSchema } from '../contract/search-request-parameters.js';
import { RestartFromSchema } from '../domain/request/restart.js';
import type { Page, PageQuery } from './request-store.js';

// use case --> (port) --> adapters/dynamodb | adapters/memory

/**
 * An operator's retry or delete over a filter, carried out page by page by run-bulk-jobs. The job
 * item holds its progress and the cursor of the next page, so a run that stops (Lambda time limit,
 * host restart) resumes where it was and never touches a request twice.
 */
export const BulkJobSchema = z.object({
  tenant: z.string().min(1),
  id: z.string().min(1),
  kind: z.enum(['retry', 'delete', 'cancel']),
  /** A retry's starting point: the step each request stopped at when absent (REGARDS). */
  restartFrom: RestartFromSchema.optional(),
  filter: SearchRequestParametersSchema,
  /** The filter's creation-date upper bound fixed at submission. */
  createdBefore: z.iso.datetime(),
  status: z.enum(['PENDING', 'RUNNING', 'DONE', 'FAILED']),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /**
   * Matching requests counted by the first run, up to a bound; past it, a lower bound
   * (`totalExact` false) and the progress is an estimate until the job is DONE.
   */
  total: z.number().int().nonnegative().optional(),
  totalExact: z.boolean().optional(),
  /**
   * A deletion rs-admin asked for (SessionDeleteEvent, SourceDeleteEvent): source and session
   * match exactly, not as the REST filter's contains-match, and the sessions it empties are not
   * reported back to rs-admin, which has just deleted them.
   */
  fromRegards: z.boolean().optional(),
  /** Who asked for it: the token's subject, for the audit trail. */
  requestedBy: z.string().optional(),
  /** Requests looked at, and what became of them. */
  processed: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  /** Changed by someone else between the page read and the write: left alone. */
  skipped: z.number().int().nonnegative(),
  cursor: z.string().optional(),
  error: z.string().optional(),
  version: z.number().int().nonnegative(),
});
export type BulkJob = z.infer<typeof BulkJobSchema>;

export abstract class JobStore {
  public abstract create(job: BulkJob): Promise<void>;
  public abstract get(tenant: string, id: string): Promise<BulkJob | undefined>;
  /** Conditional on `previous.version`; `next.version` is `previous.version + 1`. */
  public abstract update(previous: BulkJob, next: BulkJob): Promise<'written' | 'conflict'>;
  /** A tenant's jobs, newest first. */
  public abstract list(tenant: string, page: PageQuery): Promise<Page<BulkJob>>;
}
