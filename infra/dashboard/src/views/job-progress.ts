import type { Api } from '../api.js';
import type { Job } from '../api-types.js';
import { h, replace } from '../dom.js';

/*
 * A bulk job followed live: a labelled progress bar and its counters, polled from GET /jobs/{id}
 * until the job is DONE or FAILED (or the view is left).
 */

const POLL_MS = 500;

const DONE_VERB: Record<Job['kind'], string> = { retry: 'retried', delete: 'deleted', cancel: 'cancelled' };

export function describeJob(job: Job): string {
  const total = job.total === undefined ? '' : ` of ${job.totalExact === false ? 'at least ' : ''}${job.total}`;
  return `${job.kind} ${job.status}: ${job.processed}${total} processed, ${job.succeeded} ${DONE_VERB[job.kind]}, ${job.skipped} skipped${job.error === undefined ? '' : ` (${job.error})`}`;
}

export function jobProgress(job: Job): HTMLElement {
  const id = `job-${job.id}`;
  return h(
    'div',
    { class: 'job', 'data-job-status': job.status },
    h('label', { for: id }, `Job ${job.id.slice(0, 8)}… ${job.progress} %`),
    h('progress', { id, max: 100, value: job.progress }),
    h('p', { class: job.status === 'FAILED' ? 'error' : '' }, describeJob(job)),
  );
}

/** Follows a job in `container`; resolves with the last state seen. */
export async function followJob(api: Api, first: Job, container: HTMLElement, signal: AbortSignal): Promise<Job> {
  let job = first;
  replace(container, jobProgress(job));
  while (!signal.aborted && job.status !== 'DONE' && job.status !== 'FAILED') {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await api.job(job.id);
    replace(container, jobProgress(job));
  }
  return job;
}
