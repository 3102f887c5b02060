import { BLOCKED, type HistoryEntry } from '../api-types.js';
import { formatDate, h, replace } from '../dom.js';
import type { ViewContext } from '../main.js';
import { followJob } from './job-progress.js';

/* One request: its fields, where it is in its workflow, and its history per step and attempt. */

export async function renderRequest(ctx: ViewContext, requestId: string): Promise<void> {
  const { api, main, signal, notify } = ctx;
  const { content: r } = await api.request(requestId);
  if (signal.aborted) return;
  const field = (label: string, value: string | number | null) => [h('dt', {}, label), h('dd', {}, value === null || value === '' ? '—' : value)];
  const jobBox = h('div', { class: 'job-box' });
  const blocked = BLOCKED.includes(r.status);
  const retry = h('button', { type: 'button', disabled: !blocked }, 'Retry this request');
  retry.addEventListener('click', () => {
    void (async () => {
      const job = await api.retry({ ids: { mode: 'INCLUDE', values: [r.id] } });
      const last = await followJob(api, job, jobBox, signal);
      if (signal.aborted) return;
      notify(last.succeeded === 1 ? `${r.requestId} was dispatched again.` : `${r.requestId} was not retried (${last.skipped} skipped).`);
      await renderRequest(ctx, requestId);
    })().catch((error: unknown) => notify(error instanceof Error ? error.message : String(error), 'error'));
  });

  // Oldest first, with a heading row each time the step or the attempt changes: where a workflow
  // spent its retries reads at a glance.
  const history = [...r.history].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const groupOf = (entry: HistoryEntry) => `${entry.stepNumber === null ? 'Request' : `Step ${entry.stepNumber}`}, attempt ${entry.attempt}`;
  replace(
    main,
    h('p', {}, h('a', { href: '#/requests' }, '← Requests')),
    h('h1', {}, 'Request ', h('code', {}, r.requestId)),
    h('p', {}, h('span', { class: `status s-${r.status}`, 'data-testid': 'request-status' }, r.status), ` since ${formatDate(r.statusDate)}`),
    h(
      'dl',
      { class: 'fields' },
      field('Numeric id', r.id),
      field('Content type', r.contentType),
      field('Source', r.source),
      field('Session', r.session),
      field('Created', formatDate(r.creationDate)),
      field('Worker type (dispatched)', r.dispatchedWorkerType),
      field('Workflow step', r.stepNumber),
      field('Step worker type', r.stepWorkerType),
      field('Attempt (fencing token)', r.attempt),
      field('Attempts at this step', r.stepAttempts),
      field('Next look by the sweeper', formatDate(r.deadline)),
      field('Error', r.error),
    ),
    h(
      'section',
      { class: 'actions', 'aria-label': 'Actions' },
      retry,
      blocked ? null : h('span', { class: 'muted' }, ` only ${BLOCKED.join(', ')} requests can be retried`),
      jobBox,
    ),
    h('h2', {}, 'History'),
    history.length === 0
      ? h('p', { class: 'muted' }, 'No history recorded.')
      : h(
          'table',
          { class: 'history' },
          h('caption', { class: 'visually-hidden' }, 'History, oldest first'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['When', 'Event', 'Status', 'Step', 'Worker type', 'Attempt', 'Messages'].map((title) => h('th', { scope: 'col' }, title)),
            ),
          ),
          h(
            'tbody',
            {},
            history.flatMap((entry, i) => [
              i > 0 && groupOf(entry) === groupOf(history[i - 1] as HistoryEntry)
                ? null
                : h(
                    'tr',
                    { class: 'group' },
                    h('th', { colspan: 7, scope: 'rowgroup' }, `${groupOf(entry)}${entry.workerType === null ? '' : ` — ${entry.workerType}`}`),
                  ),
              h(
                'tr',
                {},
                h('td', {}, formatDate(entry.at)),
                h('td', {}, entry.event),
                h('td', {}, h('span', { class: `status s-${entry.status}` }, entry.status)),
                h('td', { class: 'num' }, entry.stepNumber ?? '—'),
                h('td', {}, entry.workerType ?? '—'),
                h('td', { class: 'num' }, entry.attempt),
                h(
                  'td',
                  {},
                  entry.messages.length === 0
                    ? ''
                    : h(
                        'ul',
                        { class: 'messages' },
                        entry.messages.map((message) => h('li', {}, message)),
                      ),
                ),
              ),
            ]),
          ),
        ),
  );
}
