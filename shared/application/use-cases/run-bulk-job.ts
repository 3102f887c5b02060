import type { JobRef } from '../../ports/job-launcher.js';
import type { BulkJob, JobStore } from '../../ports/job-store.js';
import { applyOperatorCancel, applyOperatorDelete, applyOperatorRetry } from '../../domain/request/operator-outcomes.js';
import type { Outcome, OutcomeContext } from '../../domain/request/outcomes.js';
import type { Request } from '../../domain/request/request.js';
import { CANCELLABLE_STATUSES, restrictToBlocked, restrictToStatuses, toRequestSearch, type RequestSearch } from '../../domain/request/request-search.js';
import { BatchEffects } from '../services/batch-effects.js';
import { applyEventsSendingWorkItemsFirst, type RequestFlowDeps } from '../services/request-events.js';
import { isFinished } from './bulk-jobs.js';
import { countMatches, SEARCH_MAX_EXAMINED } from './search-requests.js';

// run-bulk-jobs (async invoke | local host) --> (use case) --> RequestStore.search, applyEventsSendingWorkItemsFirst, JobStore

export interface RunBulkJobDeps extends RequestFlowDeps {
  jobs: JobStore;
}

export interface RunBulkJobBudget {
  /** Pages this call handles at most before handing over to the next call. */
  maxPages: number;
  /** Time left to the caller (Lambda: getRemainingTimeInMillis); the call stops while enough is left. */
  timeLeftMs?: () => number;
  /** Time one page needs at worst, kept in reserve. */
  reserveMs?: number;
}

export type RunBulkJobOutcome =
  /** Finished (DONE or FAILED), or unknown: nothing more to do. */
  | 'finished'
  /** Budget spent with pages left: the caller starts the next call. */
  | 'more'
  /** Another runner wrote the job first: it carries on, this call stops. */
  | 'lost';

export interface RunBulkJobResult {
  outcome: RunBulkJobOutcome;
  job?: BulkJob;
  pages: number;
}

/** Requests per page: one consistent batch read, one round of conditional writes, one publish burst. */
export const BULK_PAGE_SIZE = 200;
/** Store calls spent counting the total at the first run (about 100,000 index entries). */
export const JOB_COUNT_MAX_CALLS = 50;
const DEFAULT_RESERVE_MS = 30_000;

/** Failures of the infrastructure: the job stays RUNNING with its cursor and the next call resumes. */
const RETRYABLE_ERRORS = new Set([
  'StoreUnavailableError',
  'PublishError',
  'BrokerUnreachableError',
  'ConcurrentModificationError',
  'ConnectionProviderClosedError',
]);

/** What a job of this kind does to one request: THE operator semantics, as the outcomes define them. */
function operatorAction(job: BulkJob): (request: Request, _event: BulkJob['kind'], ctx: OutcomeContext) => Outcome {
  const from = job.restartFrom;
  if (job.kind === 'cancel') return (request, _event, ctx) => applyOperatorCancel(request, ctx);
  return job.kind === 'retry' ? (request, _event, ctx) => applyOperatorRetry(request, ctx, from) : (request) => applyOperatorDelete(request);
}

export function jobSearch(job: BulkJob): RequestSearch {
  // Oldest first: requests retried and failing again keep their creation date, so they stay behind the cursor.
  const search =
    job.kind === 'cancel'
      ? restrictToStatuses(toRequestSearch(job.filter, 'asc'), new Date(job.createdBefore), CANCELLABLE_STATUSES)
      : restrictToBlocked(toRequestSearch(job.filter, 'asc'), new Date(job.createdBefore));
  return job.fromRegards === true ? { ...search, exact: true } : search;
}

/**
 * Carries a bulk retry or delete forward, page by page: each page of matching blocked requests is
 * read in full, changed through the event engine (version-conditional writes; a request changed
 * meanwhile is re-read and, no longer blocked, left alone), its effects sent, and only then the
 * job's progress and next cursor are written. A call that dies between two pages loses nothing:
 * the next one re-reads the page, and requests already changed no longer match.
 */
export async function runBulkJob(ref: JobRef, deps: RunBulkJobDeps, budget: RunBulkJobBudget): Promise<RunBulkJobResult> {
  let job = await deps.jobs.get(ref.tenant, ref.jobId);
  if (job === undefined) {
    deps.logger.warn('bulk job to run does not exist', { ...ref });
    return { outcome: 'finished', pages: 0 };
  }
  if (isFinished(job)) return { outcome: 'finished', job, pages: 0 };
  const search = jobSearch(job);
  const log = deps.logger.child({ tenant: job.tenant, jobId: job.id, kind: job.kind });
  let pages = 0;
  try {
    if (job.status === 'PENDING') {
      const counted = await countMatches(deps.requests, job.tenant, search, undefined, JOB_COUNT_MAX_CALLS);
      const written = await save(deps, job, { status: 'RUNNING', total: counted.count, totalExact: counted.exact });
      if (written === undefined) return { outcome: 'lost', job, pages };
      job = written;
      log.info('bulk job started', { total: counted.count, totalExact: counted.exact });
    }
    const apply = operatorAction(job);
    const reserve = budget.reserveMs ?? DEFAULT_RESERVE_MS;
    for (;;) {
      if (pages >= budget.maxPages || (budget.timeLeftMs !== undefined && budget.timeLeftMs() < reserve)) {
        return { outcome: 'more', job, pages };
      }
      const page = await deps.requests.search(job.tenant, search, { limit: BULK_PAGE_SIZE, cursor: job.cursor, maxExamined: SEARCH_MAX_EXAMINED });
      let written = 0;
      if (page.items.length > 0) {
        const ids = page.items.map((item) => item.requestId);
        const loaded = await deps.requests.getAll(job.tenant, ids);
        const effects = new BatchEffects(deps.settings.names, deps.clock.now(), job.fromRegards !== true);
        const kind = job.kind;
        const report = await applyEventsSendingWorkItemsFirst(
          ids.map((requestId) => ({ tenant: ref.tenant, requestId, event: kind })),
          apply,
          deps,
          effects,
          // A page changed is not read again by the next run (its requests no longer match), so
          // its work items go first: a failed send fails the page before anything is written.
          { preloaded: [...loaded.values()] },
        );
        await effects.flush(deps);
        written = report.written;
      }
      pages += 1;
      const done = page.cursor === undefined;
      const saved = await save(deps, job, {
        status: done ? 'DONE' : 'RUNNING',
        processed: job.processed + page.items.length,
        succeeded: job.succeeded + written,
        skipped: job.skipped + (page.items.length - written),
        cursor: page.cursor,
      });
      if (saved === undefined) {
        log.info('another runner carries this bulk job on; this one stops');
        return { outcome: 'lost', job, pages };
      }
      job = saved;
      deps.metrics?.count('bulkJobItems', { Action: job.kind, Outcome: 'done' }, written);
      deps.metrics?.count('bulkJobItems', { Action: job.kind, Outcome: 'skipped' }, page.items.length - written);
      if (done) {
        log.info('bulk job done', { processed: job.processed, succeeded: job.succeeded, skipped: job.skipped });
        return { outcome: 'finished', job, pages };
      }
    }
  } catch (error) {
    if (error instanceof Error && RETRYABLE_ERRORS.has(error.name)) throw error;
    // Anything else (a corrupt item, a bug) would fail again at every resume: the job says why and stops.
    log.error('bulk job failed', { error });
    const failed = await save(deps, job, { status: 'FAILED', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    return { outcome: failed === undefined ? 'lost' : 'finished', ...(failed === undefined ? { job } : { job: failed }), pages };
  }
}

/** Writes the job's next version; undefined when another runner wrote first. */
async function save(deps: RunBulkJobDeps, previous: BulkJob, changes: Partial<BulkJob>): Promise<BulkJob | undefined> {
  const next: BulkJob = { ...previous, ...changes, updatedAt: deps.clock.now().toISOString(), version: previous.version + 1 };
  if (!('cursor' in changes)) next.cursor = previous.cursor;
  if (next.cursor === undefined) delete next.cursor;
  return (await deps.jobs.update(previous, next)) === 'written' ? next : undefined;
}
