import { barChart, h, replace } from '../dom.js';
import type { ViewContext } from '../main.js';

/*
 * The REGARDS session counters of one source and session, as bars: workers.requests,
 * workers.<type>.dispatched, .done, .error… Grouped by worker type so each type reads as a block.
 */

export async function renderSessions(ctx: ViewContext): Promise<void> {
  const { api, main, notify } = ctx;
  const query = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const source = h('input', { id: 'c-source', name: 'source', required: true, value: query.get('source') ?? '' });
  const session = h('input', { id: 'c-session', name: 'session', required: true, value: query.get('session') ?? '' });
  const charts = h('div', { class: 'charts' });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Choose a session' },
    h('div', { class: 'field' }, h('label', { for: 'c-source' }, 'Source'), source),
    h('div', { class: 'field' }, h('label', { for: 'c-session' }, 'Session'), session),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Show counters')),
  );
  replace(main, h('h1', {}, 'Session counters'), form, charts);
  const show = async () => {
    const counters = await api.counters(source.value.trim(), session.value.trim());
    const groups = new Map<string, { label: string; value: number }[]>();
    for (const [name, value] of Object.entries(counters.values).sort(([a], [b]) => a.localeCompare(b))) {
      const parts = name.split('.');
      const group = parts.length > 2 ? `Worker type ${parts.slice(1, -1).join('.')}` : 'Requests';
      (groups.get(group) ?? groups.set(group, []).get(group))?.push({ label: parts.at(-1) ?? name, value });
    }
    replace(
      charts,
      groups.size === 0
        ? h('p', { class: 'muted' }, `No counter for ${counters.source} / ${counters.session}.`)
        : [...groups].map(([group, rows]) => barChart(`${group} — ${counters.source} / ${counters.session}`, rows)),
    );
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    history.replaceState(null, '', `#/sessions?${new URLSearchParams({ source: source.value.trim(), session: session.value.trim() })}`);
    void show().catch((error: unknown) => notify(error instanceof Error ? error.message : String(error), 'error'));
  });
  if (source.value !== '' && session.value !== '') await show();
  else source.focus();
}
