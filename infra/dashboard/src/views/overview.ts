import { STATUSES, WAITING, type RequestStatus } from '../api-types.js';
import { ago, barChart, columnChart, dataTable, formatDate, h, replace } from '../dom.js';
import type { ViewContext } from '../main.js';

/*
 * What an operator looks at first: requests per status and per worker type, the workers alive,
 * the oldest waiting request, and the throughput of the last minutes. The API has no metric
 * endpoint the page relies on, so the page samples the counts itself (one search of size 1 per
 * status: each answers its total from the status index) every SAMPLE_MS, and plots the change.
 * A sample is 10 + (worker types) searches, each counting at most ~20,000 index entries: the page
 * samples only while it is visible, so a forgotten tab costs nothing.
 */

const SAMPLE_MS = 10_000;
/** Thirty samples: the last five minutes. */
const SAMPLES_KEPT = 30;

interface Sample {
  at: number;
  /** Requests finished (SUCCESS + ERROR + INVALID_CONTENT) so far. */
  finished: number;
  /** Requests known at all. */
  total: number;
}

// Kept across visits to the view, so leaving the overview does not lose the curve; per tenant.
const samples: Sample[] = [];
let samplesOf = '';

export async function renderOverview(ctx: ViewContext): Promise<void> {
  const { api, main, signal } = ctx;
  if (samplesOf !== api.scope) samples.length = 0;
  samplesOf = api.scope;
  const statusBox = h('section', { 'aria-labelledby': 'by-status' });
  const workerBox = h('section', { 'aria-labelledby': 'by-worker' });
  const oldestBox = h('section', { 'aria-labelledby': 'oldest' });
  const throughputBox = h('section', { 'aria-labelledby': 'throughput', class: 'wide' });
  const refreshed = h('span', { class: 'muted' });
  const refresh = h('button', { type: 'button' }, 'Refresh');
  replace(
    main,
    h('div', { class: 'title-row' }, h('h1', {}, 'Overview'), refreshed, refresh),
    h('div', { class: 'grid' }, statusBox, workerBox, oldestBox, throughputBox),
  );

  const count = async (filter: Parameters<typeof api.search>[0]) => {
    const page = await api.search(filter, { size: 1 });
    return { total: page.metadata.totalElements, exact: page.totalElementsExact };
  };

  const load = async () => {
    const [perStatus, workers, oldest] = await Promise.all([
      Promise.all(STATUSES.map(async (status: RequestStatus) => ({ status, ...(await count({ statuses: { mode: 'INCLUDE', values: [status] } })) }))),
      api.workers(),
      api.search({ statuses: { mode: 'INCLUDE', values: [...WAITING] } }, { size: 1, sort: 'creationDate,ASC' }),
    ]);
    const perWorker = await Promise.all(
      workers.map(async (worker) => ({ ...worker, requests: (await count({ dispatchedWorkerType: worker.workerType })).total })),
    );
    if (signal.aborted) return;

    replace(
      statusBox,
      h('h2', { id: 'by-status' }, 'Requests per status'),
      barChart(
        'Requests per status',
        perStatus.map((row) => ({ label: `${row.status}${row.exact ? '' : ' (at least)'}`, value: row.total })),
      ),
    );
    const alive = workers.filter((worker) => worker.nbInstance > 0);
    replace(
      workerBox,
      h('h2', { id: 'by-worker' }, 'Worker types'),
      h('p', {}, `${alive.length} of ${workers.length} worker types alive, ${workers.reduce((sum, w) => sum + w.nbInstance, 0)} instances`),
      workers.length === 0
        ? h('p', { class: 'muted' }, 'No worker type is configured or has sent a heartbeat.')
        : dataTable(
            {},
            'Worker types',
            ['Worker type', h('th', { scope: 'col', class: 'num' }, 'Instances alive'), h('th', { scope: 'col', class: 'num' }, 'Requests dispatched to it')],
            perWorker.map((w) =>
              h(
                'tr',
                {},
                h('td', {}, w.workerType),
                h('td', { class: w.nbInstance === 0 ? 'num warn' : 'num' }, w.nbInstance),
                h('td', { class: 'num' }, h('a', { href: `#/requests?dispatchedWorkerType=${encodeURIComponent(w.workerType)}` }, w.requests)),
              ),
            ),
          ),
    );
    const first = oldest.content[0]?.content;
    replace(
      oldestBox,
      h('h2', { id: 'oldest' }, 'Oldest waiting request'),
      first === undefined
        ? h('p', {}, 'No request is waiting.')
        : h(
            'p',
            {},
            h('a', { href: `#/requests/${encodeURIComponent(first.requestId)}` }, first.requestId),
            ` (${first.status}, ${first.contentType}) waits for ${ago(first.creationDate)}, since ${formatDate(first.creationDate)}.`,
          ),
    );

    const byStatus = new Map(perStatus.map((row) => [row.status, row.total]));
    const finished = (byStatus.get('SUCCESS') ?? 0) + (byStatus.get('ERROR') ?? 0) + (byStatus.get('INVALID_CONTENT') ?? 0);
    samples.push({ at: Date.now(), finished, total: perStatus.reduce((sum, row) => sum + row.total, 0) });
    while (samples.length > SAMPLES_KEPT + 1) samples.shift();
    const deltas = samples.slice(1).map((sample, i) => {
      const previous = samples[i] as Sample;
      const minutes = (sample.at - previous.at) / 60_000;
      return {
        at: sample.at,
        finished: Math.max(0, sample.finished - previous.finished) / minutes,
        received: Math.max(0, sample.total - previous.total) / minutes,
      };
    });
    const labels = deltas.map((d) => new Date(d.at).toLocaleTimeString());
    replace(
      throughputBox,
      h('h2', { id: 'throughput' }, 'Throughput (per minute, sampled by this page every 10 s)'),
      deltas.length === 0
        ? h('p', { class: 'muted' }, 'Measuring: the first rate appears after the next sample.')
        : [
            h('p', {}, `Last interval: ${Math.round(deltas.at(-1)?.received ?? 0)} received/min, ${Math.round(deltas.at(-1)?.finished ?? 0)} finished/min.`),
            columnChart(
              'Requests finished per minute',
              deltas.map((d) => Math.round(d.finished)),
              labels,
            ),
            columnChart(
              'Requests received per minute (net of deletions)',
              deltas.map((d) => Math.round(d.received)),
              labels,
            ),
          ],
    );
    refreshed.textContent = `updated ${new Date().toLocaleTimeString()}`;
  };

  const tick = () => load().catch((error: unknown) => ctx.notify(error instanceof Error ? error.message : String(error), 'error'));
  refresh.addEventListener('click', () => void tick());
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') void tick();
  }, SAMPLE_MS);
  signal.addEventListener('abort', () => clearInterval(timer));
  await load();
}
