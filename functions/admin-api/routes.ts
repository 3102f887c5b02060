import { SearchRequestParametersSchema } from '../../shared/contract/search-request-parameters.js';
import { REGARDS_MODULE_ID } from '../../shared/contract/config-file.js';
import { getBulkJob, listBulkJobs, resumeBulkJob, submitBulkJob } from '../../shared/application/use-cases/bulk-jobs.js';
import { checkHealth } from '../../shared/application/use-cases/check-health.js';
import {
  exportConfiguration,
  getSettings,
  importConfiguration,
  isTenantSetting,
  TENANT_SETTINGS,
  updateSetting,
  type ConfigureTenantDeps,
  type TenantSettingName,
} from '../../shared/application/use-cases/configure-tenant.js';
import { listWorkers } from '../../shared/application/use-cases/list-workers.js';
import { getRequest, getSessionCounters } from '../../shared/application/use-cases/read-requests.js';
import { searchRequests } from '../../shared/application/use-cases/search-requests.js';
import { SettingNotFoundError } from '../../shared/application/use-cases/use-case-errors.js';
import { authorize } from '../../shared/lambda/auth.js';
import { openApiDocument } from '../../shared/lambda/http/openapi.js';
import { defineRoute, type Route } from '../../shared/lambda/http/router.js';
import type { ManagerServices } from '../../shared/lambda/services.js';
import type { HealthProbe } from '../../shared/ports/health-probe.js';
import type { JobLauncher } from '../../shared/ports/job-launcher.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import {
  ConfigFileInputSchema,
  CountersQuerySchema,
  CountersSchema,
  HealthSchema,
  ImportReportSchema,
  JobListQuerySchema,
  JobListSchema,
  JobSchema,
  NativeConfigFileOutputSchema,
  NativeImportResultSchema,
  OpenApiSchema,
  RegardsConfigFileOutputSchema,
  RequestDetailModelSchema,
  RequestPageSchema,
  SearchQuerySchema,
  SettingsListSchema,
  SettingsQuerySchema,
  SettingUpdateSchema,
  DynamicTenantSettingModelSchema,
  WorkersQuerySchema,
  WorkersSchema,
} from './schema.js';
import { decodeSearchCursor, jobView, requestDetail, requestLinks, requestPage, settingModel, sortOrder } from './views.js';

// API Gateway (proxy) --> router --> (these thin handlers) --> one use case each --> shaped result

export interface AdminApiDeps extends ManagerServices, ConfigureTenantDeps {
  jobs: JobStore;
  launcher: JobLauncher;
  probes: readonly HealthProbe[];
}

export const API_INFO = {
  title: 'Worker manager admin API',
  version: '1.0.0',
  description: 'REGARDS rs-worker-manager compatible administration API (requests, workers, configuration, settings), plus bulk jobs, counters and health.',
};

const REGARDS_MODULE = { id: REGARDS_MODULE_ID, name: 'Worker Manager module' };

export function adminRoutes(deps: AdminApiDeps): Route[] {
  const routes: Route[] = [
    // --- Requests (REGARDS) -----------------------------------------------------------------------
    defineRoute({
      method: 'POST',
      path: '/requests',
      access: 'EXPLOIT',
      operationId: 'searchRequests',
      tag: 'requests',
      summary: 'Search requests (SearchRequestParameters), one page',
      description: 'Paged by number (REGARDS, bounded offset) or by nextCursor (any depth, cheapest). totalElements is counted from the index up to a bound; totalElementsExact says whether it was reached.',
      query: SearchQuerySchema,
      body: SearchRequestParametersSchema,
      responses: { 200: { description: 'a page of LightRequests', schema: RequestPageSchema } },
      handle: async ({ query, body, principal, request }) => {
        const order = sortOrder(query.sort);
        const resume = query.cursor === undefined ? undefined : decodeSearchCursor(query.cursor);
        const result = await searchRequests({ tenant: principal.tenant, parameters: body, order, size: query.size, page: query.page, resume }, deps);
        return { status: 200, body: requestPage(result, request, `creationDate,${order.toUpperCase()}`) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/requests/retry',
      access: 'EXPLOIT',
      operationId: 'retryRequests',
      tag: 'requests',
      summary: 'Retry the blocked requests matching the filter (bulk job)',
      description: 'Answered at once with the job (202; REGARDS answers 200 with no body). Only ERROR, NO_WORKER_AVAILABLE and INVALID_CONTENT requests created before now are retried.',
      body: SearchRequestParametersSchema,
      responses: { 202: { description: 'the job, to follow at GET /jobs/{jobId}', schema: JobSchema } },
      handle: async ({ body, principal, request }) => {
        const job = await submitBulkJob({ tenant: principal.tenant, kind: 'retry', filter: body, requestedBy: principal.subject }, deps);
        const view = jobView(job, request.baseUrl);
        return { status: 202, body: view, headers: { Location: `${request.baseUrl}/jobs/${job.id}` } };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/requests/delete',
      access: 'ADMIN',
      operationId: 'deleteRequests',
      tag: 'requests',
      summary: 'Delete the blocked requests matching the filter (bulk job)',
      description: 'Answered at once with the job (202; REGARDS answers 200 with no body). Only ERROR, NO_WORKER_AVAILABLE and INVALID_CONTENT requests are deleted.',
      body: SearchRequestParametersSchema,
      responses: { 202: { description: 'the job, to follow at GET /jobs/{jobId}', schema: JobSchema } },
      handle: async ({ body, principal, request }) => {
        const job = await submitBulkJob({ tenant: principal.tenant, kind: 'delete', filter: body, requestedBy: principal.subject }, deps);
        return { status: 202, body: jobView(job, request.baseUrl), headers: { Location: `${request.baseUrl}/jobs/${job.id}` } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/requests/{requestId}',
      access: 'EXPLOIT',
      operationId: 'getRequest',
      tag: 'requests',
      summary: 'One request: its LightRequest, its step, attempt, deadline and history',
      responses: { 200: { description: 'the request', schema: RequestDetailModelSchema }, 404: { description: 'no such request in this tenant' } },
      handle: async ({ params, principal, request }) => {
        const found = await getRequest(principal.tenant, params.requestId, deps);
        return { status: 200, body: { content: requestDetail(found), links: requestLinks(request.baseUrl, found) } };
      },
    }),

    // --- Workers, counters --------------------------------------------------------------------------
    defineRoute({
      method: 'GET',
      path: '/workers',
      access: 'EXPLOIT',
      operationId: 'listWorkers',
      tag: 'workers',
      summary: 'Alive worker types and their instances',
      query: WorkersQuerySchema,
      responses: { 200: { description: 'REGARDS WorkerTypeAliveDto list', schema: WorkersSchema } },
      handle: async ({ query, principal }) => ({ status: 200, body: await listWorkers({ tenant: principal.tenant, contentTypes: query.contentTypes }, deps) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/sessions/counters',
      access: 'EXPLOIT',
      operationId: 'getSessionCounters',
      tag: 'sessions',
      summary: 'The REGARDS session counters of one source and session',
      query: CountersQuerySchema,
      responses: { 200: { description: 'counters (empty for a session never seen)', schema: CountersSchema } },
      handle: async ({ query, principal }) => {
        const counters = await getSessionCounters(principal.tenant, query.source, query.session, deps);
        return { status: 200, body: { source: counters.source, session: counters.session, values: counters.values } };
      },
    }),

    // --- Bulk jobs -----------------------------------------------------------------------------------
    defineRoute({
      method: 'GET',
      path: '/jobs',
      access: 'EXPLOIT',
      operationId: 'listJobs',
      tag: 'jobs',
      summary: "The tenant's bulk jobs, newest first",
      query: JobListQuerySchema,
      responses: { 200: { description: 'a page of jobs', schema: JobListSchema } },
      handle: async ({ query, principal, request }) => {
        const page = await listBulkJobs(principal.tenant, { limit: query.limit, cursor: query.cursor }, deps);
        return { status: 200, body: { content: page.items.map((job) => jobView(job, request.baseUrl)), ...(page.cursor === undefined ? {} : { nextCursor: page.cursor }) } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/jobs/{jobId}',
      access: 'EXPLOIT',
      operationId: 'getJob',
      tag: 'jobs',
      summary: 'One bulk job and its progress',
      responses: { 200: { description: 'the job', schema: JobSchema }, 404: { description: 'no such job in this tenant' } },
      handle: async ({ params, principal, request }) => ({ status: 200, body: jobView(await getBulkJob(principal.tenant, params.jobId, deps), request.baseUrl) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/jobs/{jobId}/resume',
      access: 'EXPLOIT',
      operationId: 'resumeJob',
      tag: 'jobs',
      summary: 'Start a stopped job again where it was (a delete job needs ADMIN)',
      responses: { 202: { description: 'the job, relaunched', schema: JobSchema }, 404: { description: 'no such job' }, 409: { description: 'the job already ended' } },
      handle: async ({ params, principal, request }) => {
        const job = await getBulkJob(principal.tenant, params.jobId, deps);
        if (job.kind === 'delete') authorize(principal, 'ADMIN');
        return { status: 202, body: jobView(await resumeBulkJob(principal.tenant, params.jobId, deps), request.baseUrl) };
      },
    }),

    // --- Configuration ---------------------------------------------------------------------------------
    defineRoute({
      method: 'GET',
      path: '/microservice/configuration',
      access: 'PROJECT_ADMIN',
      operationId: 'exportConfiguration',
      tag: 'configuration',
      summary: 'Export the tenant configuration as a REGARDS microservice configuration file',
      responses: { 200: { description: 'the file (attachment)', schema: RegardsConfigFileOutputSchema } },
      handle: async ({ principal }) => ({
        status: 200,
        body: await exportConfiguration(principal.tenant, 'regards', deps),
        headers: { 'Content-Disposition': 'attachment; filename="rs-worker-manager-configuration.json"' },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/microservice/configuration',
      access: 'PROJECT_ADMIN',
      operationId: 'importConfiguration',
      tag: 'configuration',
      summary: 'Import a configuration file, all or nothing (REGARDS multipart field "file", or a JSON body; either format)',
      description: 'On success the tenant cache is dropped and its waiting requests are routed again. Refused (409) with every error and its path; nothing is imported then.',
      bodyKind: 'config-file',
      documentedBody: ConfigFileInputSchema,
      responses: {
        201: { description: 'imported (REGARDS ModuleImportReport list, no error)', schema: ImportReportSchema },
        409: { description: 'refused: every error with its path in the file; nothing was imported' },
      },
      handle: async ({ body, principal }) => {
        await importConfiguration({ tenant: principal.tenant, file: body }, deps);
        return { status: 201, body: [{ moduleInformation: REGARDS_MODULE, importErrors: [], onlyErrors: false }] };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/configuration/native',
      access: 'PROJECT_ADMIN',
      operationId: 'exportNativeConfiguration',
      tag: 'configuration',
      summary: 'Export the tenant configuration in the native format (worker-manager/v1)',
      responses: { 200: { description: 'the native file', schema: NativeConfigFileOutputSchema } },
      handle: async ({ principal }) => ({ status: 200, body: await exportConfiguration(principal.tenant, 'native', deps) }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/configuration/native',
      access: 'PROJECT_ADMIN',
      operationId: 'importNativeConfiguration',
      tag: 'configuration',
      summary: 'Import a native configuration file, all or nothing',
      bodyKind: 'config-file',
      documentedBody: ConfigFileInputSchema,
      responses: {
        200: { description: 'the configuration now in force, and what became of the waiting requests', schema: NativeImportResultSchema },
        409: { description: 'refused: every error with its path; nothing was imported' },
      },
      handle: async ({ body, principal }) => {
        const result = await importConfiguration({ tenant: principal.tenant, file: body, format: 'native' }, deps);
        const { redispatch } = result;
        return {
          status: 200,
          body: {
            version: result.config.version,
            configuration: await exportConfiguration(principal.tenant, 'native', deps),
            redispatch: { examined: redispatch.examined, dispatched: redispatch.dispatched, rerouted: redispatch.rerouted, complete: redispatch.continuation === undefined },
          },
        };
      },
    }),

    // --- Settings (REGARDS DynamicTenantSetting) ------------------------------------------------------
    defineRoute({
      method: 'GET',
      path: '/settings',
      access: 'ADMIN',
      operationId: 'listSettings',
      tag: 'settings',
      summary: 'The tenant settings (skipContentTypes)',
      query: SettingsQuerySchema,
      responses: { 200: { description: 'DynamicTenantSettingDto list', schema: SettingsListSchema } },
      handle: async ({ query, principal, request }) => {
        const settings = await getSettings(principal.tenant, deps);
        const names = (Object.keys(TENANT_SETTINGS) as TenantSettingName[]).filter((name) => query.names === undefined || query.names.includes(name));
        return { status: 200, body: names.map((name) => settingModel(name, settings, request.baseUrl)) };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/settings/{name}',
      access: 'ADMIN',
      operationId: 'updateSetting',
      tag: 'settings',
      summary: 'Change a tenant setting (refused with 409 when a configured worker or workflow uses a skipped content type)',
      body: SettingUpdateSchema,
      responses: { 200: { description: 'the setting as it now is', schema: DynamicTenantSettingModelSchema }, 404: { description: 'no such setting' } },
      handle: async ({ params, body, principal, request }) => {
        const name = knownSetting(params.name);
        const settings = await updateSetting({ tenant: principal.tenant, name, value: body.value }, deps);
        return { status: 200, body: settingModel(name, settings, request.baseUrl) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/settings/{name}',
      access: 'ADMIN',
      operationId: 'resetSetting',
      tag: 'settings',
      summary: 'Reset a tenant setting to its default',
      responses: { 200: { description: 'the setting as it now is', schema: DynamicTenantSettingModelSchema }, 404: { description: 'no such setting' } },
      handle: async ({ params, principal, request }) => {
        const name = knownSetting(params.name);
        const settings = await updateSetting({ tenant: principal.tenant, name, value: undefined }, deps);
        return { status: 200, body: settingModel(name, settings, request.baseUrl) };
      },
    }),

    // --- Service -----------------------------------------------------------------------------------------
    defineRoute({
      method: 'GET',
      path: '/health',
      access: 'public',
      operationId: 'health',
      tag: 'service',
      summary: 'Whether the store and the broker answer (no token needed)',
      responses: { 200: { description: 'UP', schema: HealthSchema }, 503: { description: 'DOWN', schema: HealthSchema } },
      handle: async () => {
        const report = await checkHealth(deps.probes);
        return { status: report.status === 'UP' ? 200 : 503, body: report };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      access: 'public',
      operationId: 'openApi',
      tag: 'service',
      summary: 'This document',
      responses: { 200: { description: 'OpenAPI 3.1', schema: OpenApiSchema } },
      handle: async ({ request }) => ({ status: 200, body: openApiDocument(routes, API_INFO, request.baseUrl) }),
    }),
  ];
  return routes;
}

function knownSetting(name: string): TenantSettingName {
  if (!isTenantSetting(name)) throw new SettingNotFoundError(`no tenant setting "${name}"`);
  return name;
}
