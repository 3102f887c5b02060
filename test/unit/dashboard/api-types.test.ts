import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import type * as api from '../../../functions/admin-api/schema.js';
import {
  BLOCKED,
  STATUSES,
  type ApiErrorBody,
  type Counters,
  type Job,
  type JobList,
  type RequestDetail,
  type RequestPage,
  type WorkerSummary,
} from '../../../infra/dashboard/src/api-types.js';
import { BLOCKED_STATUSES, REQUEST_STATUSES } from '../../../shared/contract/status.js';
import type { ErrorBody } from '../../../shared/lambda/http/http-errors.js';

/*
 * The dashboard may import the wire contract only (a browser page carries no domain code), so it
 * writes the admin API's answers as plain types. Here they meet the zod schemas the API answers
 * with: every answer the API can write must be readable as the dashboard's type. The type checks
 * fail `npm run typecheck` (tsc checks the tests); the lists are compared when the test runs.
 */

type Answer<S extends z.ZodType> = z.output<S>;

describe('the dashboard reads the admin API as its schemas write it', () => {
  it('lists the statuses of the contract, and the blocked ones, in the same order', () => {
    expect([...STATUSES]).toEqual([...REQUEST_STATUSES]);
    expect([...BLOCKED]).toEqual([...BLOCKED_STATUSES]);
  });

  it("types every answer it reads as a supertype of the API's", () => {
    expectTypeOf<Answer<typeof api.RequestPageSchema>>().toExtend<RequestPage>();
    expectTypeOf<Answer<typeof api.RequestDetailModelSchema>>().toExtend<{ content: RequestDetail }>();
    expectTypeOf<Answer<typeof api.JobSchema>>().toExtend<Job>();
    expectTypeOf<Answer<typeof api.JobListSchema>>().toExtend<JobList>();
    expectTypeOf<Answer<typeof api.WorkersSchema>>().toExtend<WorkerSummary[]>();
    expectTypeOf<Answer<typeof api.CountersSchema>>().toExtend<Counters>();
    expectTypeOf<ErrorBody>().toExtend<ApiErrorBody>();
    // And the other way round for the answers it names field by field: a field the API drops fails here.
    expectTypeOf<RequestDetail>().toExtend<Answer<typeof api.RequestDetailSchema>>();
    expectTypeOf<Job>().toExtend<Answer<typeof api.JobSchema>>();
  });
});
