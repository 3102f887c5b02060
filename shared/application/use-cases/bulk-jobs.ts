import type { SearchRequestParameters } from '../../contract/search-request-parameters.js';
import type { Clock } from '../../ports/clock.js';
import type { JobLauncher } from '../../ports/job-launcher.js';
import type { BulkJob, JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../kernel/logger.js';
import type { Page } from '../../ports/request-store.js';
import { retryRefusal, type RestartFrom } from '../../domain/request/restart.js';
import type { RequestStore } from '../../ports/request-store.js';
import type { TenantConfigs } from '../services/tenant-configs.js';
import { JobFinishedError, JobNotFoundError, RequestNotFoundError, RetryRefusedError } from './use-case-errors.js';

// admin-api POST /requests/retry, DELETE /requests/delete, /jobs --> (use case) --> JobStore, JobLauncher

export interface BulkJobDeps {
  jobs: JobStore;
  launcher: JobLauncher;
  clock: Clock;
  logger: Logger;
}

export interface SubmitBulkJob {
  tenant: string;
  kind: BulkJob['kind'];
  filter: SearchRequestParameters;
  /** A retry's starting point (see applyOperatorRetry); absent: where each request stopped. */
  restartFrom?: RestartFrom | undefined;
  requestedBy?: string | undefined;
  /** See BulkJob.fromRegards. */
  fromRegards?: boolean;
}

/**
 * A UUIDv7: the creation time in its first 48 bits, so ids sort by creation and the store lists a
 * tenant's jobs newest first with one ordered query.
 */
export function newJobId(now: Date, random: Uint8Array = globalThis.crypto.getRandomValues(new Uint8Array(10))): string {
  const hex = (bytes: Iterable<number>) => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  const time = now.getTime().toString(16).padStart(12, '0').slice(-12);
  const rand = hex(random).padEnd(20, '0');
  const variant = ((Number.parseInt(rand.slice(3, 4), 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${rand.slice(0, 3)}-${variant}${rand.slice(4, 7)}-${rand.slice(8, 20)}`;
}

/**
 * Records the job and starts it in the background; the caller answers at once. The creation-date
 * bound is fixed now, so requests that arrive while the job runs are not part of it (they were
 * not part of what the operator saw).
 */
export async function submitBulkJob(input: SubmitBulkJob, deps: BulkJobDeps): Promise<BulkJob> {
  const now = deps.clock.now();
  const iso = now.toISOString();
  const before = input.filter.creationDate?.before;
  const job: BulkJob = {
    tenant: input.tenant,
    id: newJobId(now),
    kind: input.kind,
    filter: input.filter,
    createdBefore: (before !== undefined && before < now ? before : now).toISOString(),
    status: 'PENDING',
    createdAt: iso,
    updatedAt: iso,
    processed: 0,
    succeeded: 0,
    skipped: 0,
    version: 0,
    ...(input.requestedBy === undefined ? {} : { requestedBy: input.requestedBy }),
    ...(input.fromRegards === true ? { fromRegards: true } : {}),
    ...(input.kind === 'retry' && input.restartFrom !== undefined && input.restartFrom !== 'current' ? { restartFrom: input.restartFrom } : {}),
  };
  await deps.jobs.create(job);
  deps.logger.info('bulk job submitted', { tenant: job.tenant, jobId: job.id, kind: job.kind, restartFrom: job.restartFrom, requestedBy: job.requestedBy });
  await deps.launcher.launch({ tenant: job.tenant, jobId: job.id });
  return job;
}

/**
 * An operator's retry of ONE request, checked now (it exists, it is blocked, the restart it asks
 * for can be made under the current configuration) so a refusal is answered at once with its
 * reason, then run as a bulk job whose filter selects that request alone: its numeric id, and its
 * creation date as both bounds, so the job reads one index entry, not the tenant's blocked requests.
 */
export async function submitRequestRetry(
  input: { tenant: string; requestId: string; restartFrom: RestartFrom; requestedBy?: string | undefined },
  deps: BulkJobDeps & { requests: RequestStore; tenants: TenantConfigs },
): Promise<BulkJob> {
  const request = (await deps.requests.getAll(input.tenant, [input.requestId])).get(input.requestId);
  if (request === undefined) throw new RequestNotFoundError(`no request ${input.requestId}`);
  const refusal = retryRefusal(request, input.restartFrom, (await deps.tenants.get(input.tenant)).routing);
  if (refusal !== undefined) throw new RetryRefusedError(refusal);
  const created = new Date(request.creationDate);
  return submitBulkJob(
    {
      tenant: input.tenant,
      kind: 'retry',
      restartFrom: input.restartFrom,
      filter: { ids: { mode: 'INCLUDE', values: [request.id], matchMode: 'STRICT', ignoreCase: false }, creationDate: { after: created, before: created } },
      requestedBy: input.requestedBy,
    },
    deps,
  );
}

export async function getBulkJob(tenant: string, id: string, deps: Pick<BulkJobDeps, 'jobs'>): Promise<BulkJob> {
  const job = await deps.jobs.get(tenant, id);
  if (job === undefined) throw new JobNotFoundError(`no job ${id}`);
  return job;
}

export function listBulkJobs(tenant: string, page: { limit: number; cursor?: string | undefined }, deps: Pick<BulkJobDeps, 'jobs'>): Promise<Page<BulkJob>> {
  return deps.jobs.list(tenant, page);
}

/**
 * Starts a job again that stopped before its end (its runner died, or a relaunch was lost). Safe
 * while a runner is still at work: two runners on one job never change a request twice, and the
 * slower one stops at its next progress write.
 */
export async function resumeBulkJob(tenant: string, id: string, deps: BulkJobDeps): Promise<BulkJob> {
  const job = await getBulkJob(tenant, id, deps);
  if (job.status === 'DONE' || job.status === 'FAILED') throw new JobFinishedError(`job ${id} is ${job.status}; submit a new one`);
  await deps.launcher.launch({ tenant, jobId: id });
  return job;
}

export function isFinished(job: BulkJob): boolean {
  return job.status === 'DONE' || job.status === 'FAILED';
}

/** Percent done: 100 only once DONE; an estimate while the total is a lower bound. */
export function jobProgress(job: BulkJob): number {
  if (job.status === 'DONE') return 100;
  if (job.total === undefined) return 0;
  const total = Math.max(job.total, job.processed + (job.totalExact === false ? 1 : 0));
  if (total === 0) return 0;
  return Math.min(99, Math.floor((job.processed / total) * 100));
}
