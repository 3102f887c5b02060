import { BLOCKED, type HistoryEntry, type RequestDetail } from '../api-types.js';
import { dataTable, formatDate, h, replace } from '../dom.js';
import type { ViewContext } from '../main.js';
import { followJob } from './job-progress.js';
import { waitingLine } from '../../../../shared/contract/waiting-line.js';

/* One request: its fields, where it is in its workflow, and its history per step and attempt. */

type ShownField = Exclude<keyof RequestDetail, 'requestId' | 'status' | 'statusDate' | 'history' | 'waitingFor'>;

/** The fields listed, in order, with their labels; the request id and status head the page, the history follows. */
const FIELDS: readonly (readonly [string, ShownField])[] = [
  ['Numeric id', 'id'],
  ['Content type', 'contentType'],
  ['Source', 'source'],
  ['Session', 'session'],
  ['Created', 'creationDate'],
  ['Worker type (dispatched)', 'dispatchedWorkerType'],
  ['Workflow step', 'stepNumber'],
  ['Step worker type', 'stepWorkerType'],
  ['Attempt (fencing token)', 'attempt'],
  ['Attempts at this step', 'stepAttempts'],
  ['Next look by the sweeper', 'deadline'],
  ['Error', 'error'],
];

/** A field's value as the page shows it: dates in its format, a dash for nothing. */
function shown(r: RequestDetail, key: ShownField): string | number {
  const value = key === 'creationDate' || key === 'deadline' ? formatDate(r[key]) : r[key];
  return value === null || value === '' ? '—' : value;
}

export async function renderRequest(ctx: ViewContext, requestId: string): Promise<void> {
  const { api, main, signal, notify } = ctx;
  const { content: r } = await api.request(requestId);
  if (signal.aborted) return;
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
    r.waitingFor === undefined ? null : h('p', { class: 'waiting', 'data-testid': 'request-waiting' }, waitingLine(r.waitingFor)),
    h(
      'dl',
      { class: 'fields' },
      FIELDS.flatMap(([label, key]) => [h('dt', {}, label), h('dd', {}, shown(r, key))]),
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
      : dataTable(
          { class: 'history' },
          'History, oldest first',
          ['When', 'Event', 'Status', 'Step', 'Worker type', 'Attempt', 'Messages'],
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
  );
}
