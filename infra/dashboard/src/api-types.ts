import type { RequestStatus } from '../../../shared/contract/status.js';
import type { SearchRequestParametersInput } from '../../../shared/contract/search-request-parameters.js';

/*
 * What the dashboard reads and sends, typed from the wire contract (shared/contract) and, for the
 * admin API's answers, written as the shapes of functions/admin-api/schema.ts: the front end may
 * import the contract only, and test/unit/dashboard/api-types.test.ts fails when the API's zod
 * schemas and these types drift apart. Type imports only: zod itself never reaches the page.
 */

export type { RequestStatus };
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

export interface Link {
  rel: string;
  href: string;
}

export interface LightRequest {
  id: number;
  requestId: string;
  creationDate: string;
  contentType: string;
  source: string;
  session: string;
  status: RequestStatus;
  dispatchedWorkerType: string | null;
  error: string | null;
}

export interface RequestPage {
  content: { content: LightRequest; links: Link[] }[];
  metadata: { size: number; totalElements: number; totalPages: number; number: number };
  links: Link[];
  nextCursor?: string | undefined;
  totalElementsExact: boolean;
}

export interface HistoryEntry {
  at: string;
  event: string;
  status: RequestStatus;
  stepNumber: number | null;
  workerType: string | null;
  attempt: number;
  messages: string[];
}

export interface RequestDetail extends LightRequest {
  statusDate: string;
  stepNumber: number | null;
  stepWorkerType: string | null;
  attempt: number;
  stepAttempts: number;
  deadline: string | null;
  history: HistoryEntry[];
}

export interface Job {
  id: string;
  kind: 'retry' | 'delete' | 'cancel';
  status: 'PENDING' | 'RUNNING' | 'DONE' | 'FAILED';
  filter: Record<string, unknown>;
  createdBefore: string;
  createdAt: string;
  updatedAt: string;
  processed: number;
  succeeded: number;
  skipped: number;
  total?: number | undefined;
  totalExact?: boolean | undefined;
  progress: number;
  requestedBy?: string | undefined;
  error?: string | undefined;
  links: Link[];
}

export interface JobList {
  content: Job[];
  nextCursor?: string | undefined;
}

export interface WorkerSummary {
  workerType: string;
  nbInstance: number;
}

export interface Counters {
  source: string;
  session: string;
  values: Record<string, number>;
}

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
