import type { RequestStatus } from '../../../shared/contract/status.js';
import type { SearchRequestParametersInput } from '../../../shared/contract/search-request-parameters.js';

/*
 * What the dashboard reads and sends, typed from the wire contract (shared/contract): the admin
 * API's views of requests, jobs, counters and workers come from shared/contract/admin-views.ts, the
 * schemas the API answers with. The few answers defined outside the contract are written here,
 * and test/unit/dashboard/api-types.test.ts fails when they and the API's schemas drift apart.
 * Type imports only: zod itself never reaches the page.
 */

export type { RequestStatus };
export type { Counters, JobList, JobView as Job, LightRequest, Link, RequestDetail, RequestPage, WorkerSummary } from '../../../shared/contract/admin-views.js';
export type { HistoryEntry } from '../../../shared/contract/request-history.js';

/** The body of POST /requests, /requests/retry and DELETE /requests/delete. */
export type SearchFilter = SearchRequestParametersInput;

export const STATUSES = [
  'TO_DISPATCH',
  'DISPATCHED',
  'NO_WORKER_AVAILABLE',
  'RUNNING',
  'SUCCESS',
  'ERROR',
  'INVALID_CONTENT',
  'TO_DELETE',
] as const satisfies readonly RequestStatus[];

/** What a bulk retry or delete touches (the reference's blocked statuses). */
export const BLOCKED: readonly RequestStatus[] = ['ERROR', 'NO_WORKER_AVAILABLE', 'INVALID_CONTENT'];
/** Waiting for a worker: what "the oldest waiting request" looks at. */
export const WAITING: readonly RequestStatus[] = ['TO_DISPATCH', 'NO_WORKER_AVAILABLE', 'DISPATCHED'];

export interface ConfigError {
  code: string;
  path: string;
  message: string;
}

/** Every error the API answers, from one table (shared/lambda/http/http-errors.ts). */
export interface ApiErrorBody {
  status: number;
  error: string;
  message: string;
  messages: string[];
  issues?: { path: string; message: string }[] | undefined;
  errors?: ConfigError[] | undefined;
}
