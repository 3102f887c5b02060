import { getBulkJob, listBulkJobs, resumeBulkJob, type BulkJobDeps } from '../../../shared/application/use-cases/bulk-jobs.js';
import { authorize } from '../../../shared/lambda/auth.js';
import { defineRoute, type Route } from '../../../shared/lambda/http/router.js';
import { JobIdParamsSchema, JobListQuerySchema, JobListSchema, JobSchema } from '../schema.js';
import { jobView } from '../views.js';

/** Bulk jobs: list, follow, resume. */
export function jobRoutes(deps: BulkJobDeps): Route[] {
  return [
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
        return {
          status: 200,
          body: { content: page.items.map((job) => jobView(job, request.baseUrl)), ...(page.cursor === undefined ? {} : { nextCursor: page.cursor }) },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/jobs/{jobId}',
      params: JobIdParamsSchema,
      access: 'EXPLOIT',
      operationId: 'getJob',
      tag: 'jobs',
      summary: 'One bulk job and its progress',
      responses: { 200: { description: 'the job', schema: JobSchema }, 404: { description: 'no such job in this tenant' } },
      handle: async ({ params, principal, request }) => ({
        status: 200,
        body: jobView(await getBulkJob(principal.tenant, params.jobId, deps), request.baseUrl),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/jobs/{jobId}/resume',
      params: JobIdParamsSchema,
      access: 'EXPLOIT',
      operationId: 'resumeJob',
      tag: 'jobs',
      summary: 'Start a stopped job again where it was (a delete job needs ADMIN)',
      responses: {
        202: { description: 'the job, relaunched', schema: JobSchema },
        404: { description: 'no such job' },
        409: { description: 'the job already ended' },
      },
      handle: async ({ params, principal, request }) => {
        const job = await getBulkJob(principal.tenant, params.jobId, deps);
        if (job.kind !== 'retry') authorize(principal, 'ADMIN');
        return { status: 202, body: jobView(await resumeBulkJob(principal.tenant, params.jobId, deps), request.baseUrl) };
      },
    }),
  ];
}
