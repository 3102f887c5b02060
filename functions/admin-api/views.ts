import * as z from 'zod';
import { decodeCursor, encodeCursor } from '../../shared/adapters/dynamodb/cursor.js';
import { parseSort, SearchRequestParametersSchema, toSearchParametersInput, type SearchSort } from '../../shared/contract/search-request-parameters.js';
import type { TenantSettings } from '../../shared/domain/config/tenant-config.js';
import type { Request } from '../../shared/domain/request/request.js';
import type { RequestSummary } from '../../shared/domain/request/request-search.js';
import { BLOCKED_STATUSES, type RequestStatus } from '../../shared/contract/status.js';
import type { SlotWait } from '../../shared/application/use-cases/read-requests.js';
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

export function requestDetail(request: Request, slotWait?: SlotWait) {
  return {
    ...(slotWait === undefined ? {} : { waitingFor: slotWait }),
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

const FILTER_FIELDS = new Set(Object.keys(SearchRequestParametersSchema.shape));

/**
 * A `Warning` header naming the filter fields the body had and the filter ignored (REGARDS ignores
 * them too), so a misspelt filter is visible; no header when there were none. The body was
 * already parsed by the router: this reads its top-level keys again.
 */
export function ignoredFilterFields(request: HttpRequest): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body?.toString('utf8') ?? '{}');
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const unknown = Object.keys(parsed).filter((key) => !FILTER_FIELDS.has(key));
  // A header value is printable ASCII without quotes, and short: field names are the caller's text.
  const names = unknown
    .join(', ')
    .replace(/[^\x20-\x7e]|["\\]/g, '?')
    .slice(0, 500);
  return unknown.length === 0 ? {} : { Warning: `299 - "unknown fields ignored: ${names}"` };
}

/** `sort` as Spring reads it (`property[,ASC|DESC]`, repeatable); an unknown property is a 400 naming the sortable ones. */
export function searchSort(sort: string | string[] | undefined): SearchSort[] {
  const parsed = parseSort(sort === undefined ? [] : [sort].flat());
  if (typeof parsed === 'string') throw new BadRequestError(parsed, [{ path: 'query.sort', message: parsed }]);
  return parsed;
}

const ApiCursorSchema = z.object({
  v: z.literal(1),
  s: z.string(),
  g: z.number().int().nonnegative().optional(),
  n: z.number().int().nonnegative(),
  t: z.number().int().nonnegative(),
  x: z.boolean(),
});

/** The search cursor given to clients: the store's cursor plus the page number and the total counted once. */
export function encodeSearchCursor(next: SearchResume): string {
  return encodeCursor({ v: 1, s: next.storeCursor, g: next.segment, n: next.pageNumber, t: next.total, x: next.totalExact });
}

export function decodeSearchCursor(cursor: string): SearchResume {
  const decoded = decodeCursor(cursor, ApiCursorSchema);
  return { storeCursor: decoded.s, segment: decoded.g, pageNumber: decoded.n, total: decoded.t, totalExact: decoded.x };
}

function pageHref(request: HttpRequest, params: Record<string, string | string[] | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).flatMap(([name, value]) => [value ?? []].flat().map((one): [string, string] => [name, one])));
  return `${request.baseUrl}/requests?${query.toString()}`;
}

export function requestPage(result: SearchRequestsResult, request: HttpRequest, sort: readonly SearchSort[]): RequestPage {
  const sortParameter = sort.length === 0 ? 'creationDate,ASC' : sort.map((key) => `${key.property},${key.direction.toUpperCase()}`);
  const size = String(result.size);
  const nextCursor = result.next === undefined ? undefined : encodeSearchCursor(result.next);
  const links: Link[] = [{ rel: 'self', href: pageHref(request, { page: String(result.pageNumber), size, sort: sortParameter }) }];
  if (nextCursor !== undefined) links.push({ rel: 'next', href: pageHref(request, { size, sort: sortParameter, cursor: nextCursor }) });
  if (result.pageNumber > 0) links.push({ rel: 'prev', href: pageHref(request, { page: String(result.pageNumber - 1), size, sort: sortParameter }) });
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
