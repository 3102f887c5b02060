import type { Job, LightRequest, RequestPage, SearchFilter } from '../api-types.js';
import { STATUSES } from '../api-types.js';
import { dataTable, formatDate, h, replace } from '../dom.js';
import type { ViewContext } from '../main.js';
import { followJob } from './job-progress.js';

/*
 * The request search: the filter lives in the hash (#/requests?status=ERROR&source=x), so a
 * filtered view is a link and the back button works; pages follow the API's nextCursor (a stack
 * of cursors for "previous"); selected rows or the whole filter can be retried or deleted, each
 * a bulk job followed live.
 */

const TEXT_FIELDS = [
  { name: 'source', label: 'Source (contains)' },
  { name: 'session', label: 'Session (contains)' },
  { name: 'dispatchedWorkerType', label: 'Worker type (contains)' },
  { name: 'contentType', label: 'Content types (comma-separated)' },
] as const;

function queryOfHash(): URLSearchParams {
  const index = location.hash.indexOf('?');
  return new URLSearchParams(index < 0 ? '' : location.hash.slice(index + 1));
}

/** datetime-local gives local time without a zone; the API wants an offset date-time. */
function toIso(local: string | null): string | undefined {
  if (local === null || local === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function filterOf(query: URLSearchParams): SearchFilter {
  const statuses = query.getAll('status');
  const contentTypes = (query.get('contentType') ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  const after = toIso(query.get('after'));
  const before = toIso(query.get('before'));
  const text = (name: string) => {
    const value = query.get(name)?.trim();
    return value === undefined || value === '' ? {} : { [name]: value };
  };
  return {
    ...text('source'),
    ...text('session'),
    ...text('dispatchedWorkerType'),
    ...(statuses.length === 0 ? {} : { statuses: { mode: 'INCLUDE', values: statuses as (typeof STATUSES)[number][] } }),
    ...(contentTypes.length === 0 ? {} : { contentTypes: { mode: 'INCLUDE', values: contentTypes } }),
    ...(after === undefined && before === undefined ? {} : { creationDate: { ...(after ? { after } : {}), ...(before ? { before } : {}) } }),
  };
}

export async function renderRequests(ctx: ViewContext): Promise<void> {
  const { api, main, signal, notify } = ctx;
  const query = queryOfHash();
  const filter = filterOf(query);
  const sort = query.get('sort') === 'creationDate,DESC' ? 'creationDate,DESC' : 'creationDate,ASC';
  const size = Number(query.get('size') ?? 20) || 20;

  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Search filters' },
    h(
      'fieldset',
      { class: 'statuses' },
      h('legend', {}, 'Status'),
      STATUSES.map((status) =>
        h(
          'label',
          { class: 'check' },
          h('input', { type: 'checkbox', name: 'status', value: status, checked: query.getAll('status').includes(status) }),
          ` ${status}`,
        ),
      ),
    ),
    TEXT_FIELDS.map((field) =>
      h(
        'div',
        { class: 'field' },
        h('label', { for: `f-${field.name}` }, field.label),
        h('input', { id: `f-${field.name}`, name: field.name, type: 'text', value: query.get(field.name) ?? '' }),
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'f-after' }, 'Created after'),
      h('input', { id: 'f-after', name: 'after', type: 'datetime-local', step: 1, value: query.get('after') ?? '' }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'f-before' }, 'Created before'),
      h('input', { id: 'f-before', name: 'before', type: 'datetime-local', step: 1, value: query.get('before') ?? '' }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'f-sort' }, 'Order'),
      h(
        'select',
        { id: 'f-sort', name: 'sort' },
        h('option', { value: 'creationDate,ASC', selected: sort === 'creationDate,ASC' }, 'Oldest first'),
        h('option', { value: 'creationDate,DESC', selected: sort === 'creationDate,DESC' }, 'Newest first'),
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'f-size' }, 'Per page'),
      h(
        'select',
        { id: 'f-size', name: 'size' },
        [10, 20, 50, 100, 500].map((n) => h('option', { value: n, selected: n === size }, n)),
      ),
    ),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Search'), h('a', { href: '#/requests', class: 'button secondary' }, 'Clear')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (typeof value === 'string' && value.trim() !== '') params.append(name, value.trim());
    const next = `#/requests?${params}`;
    // The same filter again still searches again (a hashchange would not fire).
    if (next === location.hash) void load(undefined);
    else location.hash = next;
  });

  const summary = h('p', { class: 'summary', role: 'status' });
  const table = h('div', { class: 'table-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const jobBox = h('div', { class: 'job-box' });
  const selected = new Map<number, LightRequest>();
  const retrySelected = h('button', { type: 'button', disabled: true }, 'Retry selected');
  const deleteSelected = h('button', { type: 'button', class: 'danger', disabled: true }, 'Delete selected');
  const retryAll = h('button', { type: 'button' }, 'Retry all matching');
  const deleteAll = h('button', { type: 'button', class: 'danger' }, 'Delete all matching');
  const actions = h(
    'section',
    { class: 'actions', 'aria-label': 'Actions' },
    h('p', { class: 'muted' }, 'Retry and delete touch blocked requests only (ERROR, NO_WORKER_AVAILABLE, INVALID_CONTENT).'),
    retrySelected,
    deleteSelected,
    retryAll,
    deleteAll,
    jobBox,
  );
  replace(main, h('h1', {}, 'Requests'), form, actions, summary, table, pager);

  const updateSelection = () => {
    const n = selected.size;
    retrySelected.disabled = n === 0;
    deleteSelected.disabled = n === 0;
    retrySelected.textContent = `Retry selected (${n})`;
    deleteSelected.textContent = `Delete selected (${n})`;
  };

  const cursors: (string | undefined)[] = [undefined];
  let position = 0;

  const rows = (page: RequestPage) =>
    page.content.map(({ content: r }) => {
      const box = h('input', { type: 'checkbox', id: `sel-${r.id}`, checked: selected.has(r.id) });
      box.addEventListener('change', () => {
        if (box.checked) selected.set(r.id, r);
        else selected.delete(r.id);
        updateSelection();
      });
      return h(
        'tr',
        { 'data-request-id': r.requestId },
        h('td', {}, box, h('label', { for: `sel-${r.id}`, class: 'visually-hidden' }, `Select ${r.requestId}`)),
        h('td', {}, h('a', { href: `#/requests/${encodeURIComponent(r.requestId)}` }, r.requestId)),
        h('td', {}, h('span', { class: `status s-${r.status}` }, r.status)),
        h('td', {}, r.contentType),
        h('td', {}, r.source),
        h('td', {}, r.session),
        h('td', {}, r.dispatchedWorkerType ?? ''),
        h('td', {}, formatDate(r.creationDate)),
        h('td', { class: 'error-text' }, r.error ?? ''),
      );
    });

  async function load(cursor: string | undefined): Promise<void> {
    summary.textContent = 'Searching…';
    const page = await api.search(filter, { size, sort, ...(cursor === undefined ? {} : { cursor }) });
    if (signal.aborted) return;
    const total = `${page.totalElementsExact ? '' : 'at least '}${page.metadata.totalElements}`;
    summary.textContent = `${total} requests match; page ${position + 1}, ${page.content.length} shown.`;
    replace(
      table,
      page.content.length === 0
        ? h('p', { class: 'muted' }, 'No request matches this filter.')
        : dataTable(
            { class: 'requests' },
            'Requests matching the filter',
            ['Select', 'Request id', 'Status', 'Content type', 'Source', 'Session', 'Worker type', 'Created', 'Error'],
            rows(page),
          ),
    );
    const previous = h('button', { type: 'button', disabled: position === 0 }, 'Previous page');
    const next = h('button', { type: 'button', disabled: page.nextCursor === undefined }, 'Next page');
    previous.addEventListener('click', () => {
      position -= 1;
      void load(cursors[position]).catch(fail);
    });
    next.addEventListener('click', () => {
      position += 1;
      cursors[position] = page.nextCursor;
      void load(page.nextCursor).catch(fail);
    });
    replace(pager, previous, next);
  }

  const fail = (error: unknown) => notify(error instanceof Error ? error.message : String(error), 'error');

  const run = async (kind: 'retry' | 'delete', target: SearchFilter, what: string) => {
    if (kind === 'delete' && !window.confirm(`Delete ${what}? Only blocked requests are deleted.`)) return;
    const job: Job = kind === 'retry' ? await api.retry(target) : await api.delete(target);
    notify(`${kind === 'retry' ? 'Retry' : 'Delete'} job ${job.id} started for ${what}.`);
    const last = await followJob(api, job, jobBox, signal);
    if (signal.aborted) return;
    notify(
      `${kind === 'retry' ? 'Retry' : 'Delete'} job ${last.status}: ${last.succeeded} changed, ${last.skipped} skipped.`,
      last.status === 'FAILED' ? 'error' : 'info',
    );
    selected.clear();
    updateSelection();
    await load(cursors[position]);
  };
  const selectedFilter = (): SearchFilter => ({ ids: { mode: 'INCLUDE', values: [...selected.keys()] } });
  retrySelected.addEventListener('click', () => void run('retry', selectedFilter(), `${selected.size} selected requests`).catch(fail));
  deleteSelected.addEventListener('click', () => void run('delete', selectedFilter(), `${selected.size} selected requests`).catch(fail));
  retryAll.addEventListener('click', () => void run('retry', filter, 'every request matching the filter').catch(fail));
  deleteAll.addEventListener('click', () => void run('delete', filter, 'every request matching the filter').catch(fail));
  updateSelection();
  await load(undefined);
}
