import type { TenantConfigs } from '../../../shared/application/services/tenant-configs.js';
import { submitBulkJob, submitRequestRetry, type BulkJobDeps } from '../../../shared/application/use-cases/bulk-jobs.js';
import type { BulkJob } from '../../../shared/ports/job-store.js';
import { describeSlotWait, getRequest } from '../../../shared/application/use-cases/read-requests.js';
import { cancelRequest } from '../../../shared/application/use-cases/cancel-request.js';
import type { RequestFlowDeps } from '../../../shared/application/services/request-events.js';
import { searchRequests, type SearchRequestsDeps } from '../../../shared/application/use-cases/search-requests.js';
import { defineRoute, type HttpRequest, type Route } from '../../../shared/lambda/http/router.js';
import {
  JobSchema,
  RequestDetailModelSchema,
  RequestIdParamsSchema,
  RequestPageSchema,
  RetryQuerySchema,
  SearchBodySchema,
  SearchQuerySchema,
} from '../schema.js';
import { decodeSearchCursor, jobView, requestDetail, requestLinks, requestPage, searchSort, ignoredFilterFields } from '../views.js';

/** 202 with the job and where to follow it. */
function jobAccepted(job: BulkJob, request: HttpRequest) {
  return {
    status: 202 as const,
    body: jobView(job, request.baseUrl),
    headers: { Location: `${request.baseUrl}/jobs/${job.id}`, ...ignoredFilterFields(request) },
  };
}

/** An ADMIN route that runs a bulk job of `kind` on the requests a SearchRequestParameters body matches. */
function bulkJobRoute(
  deps: BulkJobDeps,
  route: { method: 'POST' | 'DELETE'; path: string; kind: 'delete' | 'cancel'; operationId: string; summary: string; description: string },
): Route {
  const { kind, ...documented } = route;
  return defineRoute({
    ...documented,
    access: 'ADMIN',
    tag: 'requests',
    body: SearchBodySchema,
    responses: { 202: { description: 'the job, to follow at GET /jobs/{jobId}', schema: JobSchema } },
    handle: async ({ body, principal, request }) => {
      const job = await submitBulkJob({ tenant: principal.tenant, kind, filter: body, requestedBy: principal.subject }, deps);
      return jobAccepted(job, request);
    },
  });
}

/** Requests (REGARDS): search, one request, and the bulk retry and delete, which run as jobs. */
export function requestRoutes(deps: SearchRequestsDeps & BulkJobDeps & RequestFlowDeps & { tenants: TenantConfigs }): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/requests',
      access: 'EXPLOIT',
      operationId: 'searchRequests',
      tag: 'requests',
      summary: 'Search requests (SearchRequestParameters), one page',
      description:
        'Paged by number (REGARDS, bounded offset) or by nextCursor (any depth, cheapest). totalElements is counted from the index up to a bound; totalElementsExact says whether it was reached.',
      query: SearchQuerySchema,
      body: SearchBodySchema,
      responses: { 200: { description: 'a page of LightRequests', schema: RequestPageSchema } },
      handle: async ({ query, body, principal, request }) => {
        const sort = searchSort(query.sort);
        const resume = query.cursor === undefined ? undefined : decodeSearchCursor(query.cursor);
        const result = await searchRequests(
          { tenant: principal.tenant, parameters: body, order: 'asc', sort, size: query.size, page: query.page, resume },
          deps,
        );
        return { status: 200, body: requestPage(result, request, sort), headers: ignoredFilterFields(request) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/requests/retry',
      access: 'EXPLOIT',
      operationId: 'retryRequests',
      tag: 'requests',
      summary: 'Retry the blocked requests matching the filter (bulk job)',
      description:
        'Answered at once with the job (202; REGARDS answers 200 with no body). Only ERROR, NO_WORKER_AVAILABLE and INVALID_CONTENT requests created before now are retried. restartFrom: see README, "Restart a workflow".',
      query: RetryQuerySchema,
      body: SearchBodySchema,
      responses: { 202: { description: 'the job, to follow at GET /jobs/{jobId}', schema: JobSchema } },
      handle: async ({ query, body, principal, request }) => {
        const job = await submitBulkJob(
          { tenant: principal.tenant, kind: 'retry', filter: body, restartFrom: query.restartFrom, requestedBy: principal.subject },
          deps,
        );
        return jobAccepted(job, request);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/requests/{requestId}/retry',
      access: 'EXPLOIT',
      params: RequestIdParamsSchema,
      operationId: 'retryRequest',
      tag: 'requests',
      summary: 'Retry one blocked request (a job of one), checked at once',
      query: RetryQuerySchema,
      responses: {
        202: { description: 'the job, to follow at GET /jobs/{jobId}', schema: JobSchema },
        404: { description: 'no such request in this tenant' },
        409: { description: 'cannot be retried that way' },
      },
      handle: async ({ params, query, principal, request }) => {
        const job = await submitRequestRetry(
          { tenant: principal.tenant, requestId: params.requestId, restartFrom: query.restartFrom, requestedBy: principal.subject },
          deps,
        );
        return jobAccepted(job, request);
      },
    }),
    bulkJobRoute(deps, {
      method: 'DELETE',
      path: '/requests/delete',
      kind: 'delete',
      operationId: 'deleteRequests',
      summary: 'Delete the blocked requests matching the filter (bulk job)',
      description:
        'Answered at once with the job (202; REGARDS answers 200 with no body). Only ERROR, NO_WORKER_AVAILABLE and INVALID_CONTENT requests are deleted.',
    }),
    bulkJobRoute(deps, {
      method: 'POST',
      path: '/requests/cancel',
      kind: 'cancel',
      operationId: 'cancelRequests',
      summary: 'Cancel the waiting and in-flight requests matching the filter (bulk job)',
      description:
        'Answered at once with the job (202). Only TO_DISPATCH, NO_WORKER_AVAILABLE, DISPATCHED and RUNNING requests created before now are cancelled, as POST /requests/{requestId}/cancel does.',
    }),
    defineRoute({
      method: 'GET',
      path: '/requests/{requestId}',
      access: 'EXPLOIT',
      params: RequestIdParamsSchema,
      operationId: 'getRequest',
      tag: 'requests',
      summary: 'One request: its LightRequest, its step, attempt, deadline and history',
      description:
        "A request waiting for a slot of a limited worker type (fair dispatch) also shows waitingFor: the limits, the requests in flight, the tenants waiting, and its place in its tenant's queue (counted up to 1,000 ahead; positionExact false past that).",
      responses: { 200: { description: 'the request', schema: RequestDetailModelSchema }, 404: { description: 'no such request in this tenant' } },
      handle: async ({ params, principal, request }) => {
        const found = await getRequest(principal.tenant, params.requestId, deps);
        const slotWait = await describeSlotWait(found, deps);
        return { status: 200, body: { content: requestDetail(found, slotWait), links: requestLinks(request.baseUrl, found) } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/requests/{requestId}/cancel',
      access: 'ADMIN',
      params: RequestIdParamsSchema,
      operationId: 'cancelRequest',
      tag: 'requests',
      summary: 'Cancel one waiting or in-flight request',
      description:
        'It ends at once in ERROR ("Cancelled by an operator"), its client answered ERROR; a slot it held is freed. A worker answer that comes later is recorded in its history, never applied. 409 when the request is already finished.',
      responses: {
        200: { description: 'the request, cancelled', schema: RequestDetailModelSchema },
        404: { description: 'no such request in this tenant' },
        409: { description: 'the request is already finished' },
      },
      handle: async ({ params, principal, request }) => {
        const cancelled = await cancelRequest(principal.tenant, params.requestId, deps);
        return { status: 200, body: { content: requestDetail(cancelled), links: requestLinks(request.baseUrl, cancelled) } };
      },
    }),
  ];
}
