import * as z from 'zod';
import { decodeCursor, encodeCursor } from '../../shared/adapters/dynamodb/cursor.js';
import { toSearchParametersInput } from '../../shared/contract/search-request-parameters.js';
import type { TenantSettings } from '../../shared/domain/config/tenant-config.js';
import type { Request } from '../../shared/domain/request/request.js';
import type { RequestSummary } from '../../shared/domain/request/request-search.js';
import { BLOCKED_STATUSES, type RequestStatus } from '../../shared/contract/status.js';
import { jobProgress } from '../../shared/application/use-cases/bulk-jobs.js';
import { TENANT_SETTINGS, type TenantSettingName } from '../../shared/application/use-cases/configure-tenant.js';
import type { SearchRequestsResult, SearchResume } from '../../shared/application/use-cases/search-requests.js';
import { BadRequestError } from '../../shared/lambda/http/http-errors.js';
import type { HttpRequest } from '../../shared/lambda/http/router.js';
import type { BulkJob } from '../../shared/ports/job-store.js';
import type { JobView, LightRequest, Link, RequestPage } from './schema.js';

/* How use-case results are shown: REGARDS shapes (EntityModel, PagedModel, links) and our cursors. */

const BLOCKED: ReadonlySet<RequestStatus> = new Set(BLOCKED_STATUSES);

export function lightRequest(summary: RequestSummary): LightRequest {
  return {
    id: summary.id,
    requestId: summary.requestId,
    creationDate: summary.creationDate,
    contentType: summary.contentType,
    source: summary.source,
    session: summary.session,
    status: summary.status,
    dispatchedWorkerType: summary.dispatchedWorkerType,
    error: summary.error,
  };
}

/** self and list always; retry and delete when an operator may do them (reference section 7). */
export function requestLinks(baseUrl: string, summary: Pick<RequestSummary, 'requestId' | 'status'>): Link[] {
  const links: Link[] = [
    { rel: 'self', href: `${baseUrl}/requests/${encodeURIComponent(summary.requestId)}` },
    { rel: 'list', href: `${baseUrl}/requests` },
  ];
  if (BLOCKED.has(summary.status)) {
    links.push({ rel: 'retry', href: `${baseUrl}/requests/retry` }, { rel: 'delete', href: `${baseUrl}/requests/delete` });
  }
  return links;
}

export function requestDetail(request: Request) {
  return {
    ...lightRequest(request),
    statusDate: request.statusDate,
    stepNumber: request.stepNumber,
    stepWorkerType: request.stepWorkerType,
    attempt: request.attempt,
    stepAttempts: request.stepAttempts,
    deadline: request.deadline,
    history: request.history,
  };
}

/**
 * `sort` as REGARDS sends it. The index orders by creation date only; REGARDS' default
 * `requestId,ASC` is read as creation order rather than refused, so its clients work unchanged.
 */
export function sortOrder(sort: string | string[] | undefined): 'asc' | 'desc' {
  const first = (Array.isArray(sort) ? sort[0] : sort)?.trim();
  if (first === undefined || first === '') return 'asc';
  const [property = '', direction = 'ASC', ...rest] = first.split(',').map((part) => part.trim());
  if (rest.length > 0 || !['creationDate', 'requestId'].includes(property) || !/^(asc|desc)$/i.test(direction)) {
    throw new BadRequestError('sort must be creationDate,ASC or creationDate,DESC (the order of the index)', [
      { path: 'query.sort', message: `unsupported sort "${first}"` },
    ]);
  }
  return direction.toLowerCase() === 'desc' ? 'desc' : 'asc';
}

const ApiCursorSchema = z.object({
  v: z.literal(1),
  s: z.string(),
  n: z.number().int().nonnegative(),
  t: z.number().int().nonnegative(),
  x: z.boolean(),
});

/** The search cursor given to clients: the store's cursor plus the page number and the total counted once. */
export function encodeSearchCursor(next: SearchResume): string {
  return encodeCursor({ v: 1, s: next.storeCursor, n: next.pageNumber, t: next.total, x: next.totalExact });
}

export function decodeSearchCursor(cursor: string): SearchResume {
  const decoded = decodeCursor(cursor, ApiCursorSchema);
  return { storeCursor: decoded.s, pageNumber: decoded.n, total: decoded.t, totalExact: decoded.x };
}

function pageHref(request: HttpRequest, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return `${request.baseUrl}/requests?${query.toString()}`;
}

export function requestPage(result: SearchRequestsResult, request: HttpRequest, sort: string): RequestPage {
  const size = String(result.size);
  const nextCursor = result.next === undefined ? undefined : encodeSearchCursor(result.next);
  const links: Link[] = [{ rel: 'self', href: pageHref(request, { page: String(result.pageNumber), size, sort }) }];
  if (nextCursor !== undefined) links.push({ rel: 'next', href: pageHref(request, { size, sort, cursor: nextCursor }) });
  if (result.pageNumber > 0) links.push({ rel: 'prev', href: pageHref(request, { page: String(result.pageNumber - 1), size, sort }) });
  return {
    content: result.items.map((summary) => ({ content: lightRequest(summary), links: requestLinks(request.baseUrl, summary) })),
    metadata: {
      size: result.size,
      totalElements: result.totalElements,
      totalPages: Math.ceil(result.totalElements / result.size),
      number: result.pageNumber,
    },
    links,
    ...(nextCursor === undefined ? {} : { nextCursor }),
    totalElementsExact: result.totalExact,
  };
}

export function jobView(job: BulkJob, baseUrl: string): JobView {
  const finished = job.status === 'DONE' || job.status === 'FAILED';
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    filter: toSearchParametersInput(job.filter) as Record<string, unknown>,
    createdBefore: job.createdBefore,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    processed: job.processed,
    succeeded: job.succeeded,
    skipped: job.skipped,
    ...(job.total === undefined ? {} : { total: job.total }),
    ...(job.totalExact === undefined ? {} : { totalExact: job.totalExact }),
    progress: jobProgress(job),
    ...(job.requestedBy === undefined ? {} : { requestedBy: job.requestedBy }),
    ...(job.restartFrom === undefined || job.restartFrom === 'current' ? {} : { restartFrom: job.restartFrom }),
    ...(job.error === undefined ? {} : { error: job.error }),
    links: [{ rel: 'self', href: `${baseUrl}/jobs/${job.id}` }, ...(finished ? [] : [{ rel: 'resume', href: `${baseUrl}/jobs/${job.id}/resume` }])],
  };
}

export function settingModel(name: TenantSettingName, settings: TenantSettings, baseUrl: string) {
  return {
    content: {
      name,
      description: TENANT_SETTINGS[name].description,
      value: [...settings[name]],
      defaultValue: [...TENANT_SETTINGS[name].defaultValue],
    },
    links: [{ rel: 'self', href: `${baseUrl}/settings/${encodeURIComponent(name)}` }],
  };
}
