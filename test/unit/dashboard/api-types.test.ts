import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../../../functions/admin-api/schema.js';
import { BLOCKED, STATUSES, type ApiErrorBody } from '../../../infra/dashboard/src/api-types.js';
import * as views from '../../../shared/contract/admin-views.js';
import { BLOCKED_STATUSES, REQUEST_STATUSES } from '../../../shared/contract/status.js';
import type { ErrorBody } from '../../../shared/lambda/http/http-errors.js';

/*
 * The dashboard may import the wire contract only (a browser page carries no domain code). The
 * views of requests, jobs, counters and workers it takes from the contract (shared/contract/admin-views.ts),
 * where the API's schemas are defined; the error body, whose schema lives outside the contract, it
 * writes as a plain type, and here it meets that schema: every error the API can write must be
 * readable as the dashboard's type. The type checks fail `npm run typecheck` (tsc checks the
 * tests); the lists are compared when the test runs.
 */

describe('the dashboard reads the admin API as its schemas write it', () => {
  it('lists the statuses of the contract, and the blocked ones, in the same order', () => {
    expect([...STATUSES]).toEqual([...REQUEST_STATUSES]);
    expect([...BLOCKED]).toEqual([...BLOCKED_STATUSES]);
  });

  it('reads the views the API answers with: the same schemas, not copies', () => {
    for (const name of ['LightRequestSchema', 'RequestPageSchema', 'RequestDetailModelSchema', 'JobSchema', 'JobListSchema', 'CountersSchema'] as const)
      expect(api[name], name).toBe(views[name]);
    expect(api.WorkersSchema.element).toBe(views.WorkerSummarySchema);
  });

  it("types every answer it reads as a supertype of the API's", () => {
    expectTypeOf<ErrorBody>().toExtend<ApiErrorBody>();
  });
});
