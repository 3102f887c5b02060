import { formatDate, h, replace } from '../dom.js';
import type { ViewContext } from '../main.js';
import { jobProgress } from './job-progress.js';

/* The tenant's bulk jobs, newest first, refreshed often while one runs; a stalled one can be resumed. */

const REFRESH_RUNNING_MS = 2_000;
const REFRESH_IDLE_MS = 15_000;

export async function renderJobs(ctx: ViewContext): Promise<void> {
  const { api, main, signal, notify } = ctx;
  const list = h('div', { class: 'jobs' });
  replace(main, h('h1', {}, 'Bulk jobs'), list);
  const load = async () => {
    const { content } = await api.jobs();
    if (signal.aborted) return;
    replace(
      list,
      content.length === 0
        ? h('p', { class: 'muted' }, 'No bulk job yet: start one from the Requests view.')
        : content.map((job) => {
            const resume = h('button', { type: 'button' }, 'Resume');
            resume.addEventListener(
              'click',
              () =>
                void api.resumeJob(job.id).then(
                  () => notify(`Job ${job.id} relaunched.`),
                  (error: unknown) => notify(String(error), 'error'),
                ),
            );
            return h(
              'article',
              { class: 'job-card' },
              h('h2', {}, `${job.kind} — ${formatDate(job.createdAt)}`),
              jobProgress(job),
              h('p', { class: 'muted' }, `filter ${JSON.stringify(job.filter)}; by ${job.requestedBy ?? 'unknown'}; updated ${formatDate(job.updatedAt)}`),
              job.status === 'DONE' ? null : resume,
            );
          }),
    );
    return content.some((job) => job.status === 'PENDING' || job.status === 'RUNNING');
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const next = (running: boolean | undefined) => {
    if (!signal.aborted) timer = setTimeout(() => void load().then(next, fail), running ? REFRESH_RUNNING_MS : REFRESH_IDLE_MS);
  };
  const fail = (error: unknown) => {
    notify(error instanceof Error ? error.message : String(error), 'error');
    next(false);
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  next(await load());
}
