/*
 * The dashboard's whole "framework": a function that builds an element, and one that replaces a
 * container's children. Text is always set as text (never HTML), so no value from the API or the
 * store can inject markup.
 */

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function replace(container: Element, ...children: (Child | Child[])[]): void {
  container.replaceChildren();
  append(container, children);
}

/** A table of the views: a caption for screen readers, one row of column headings (a ready cell where it needs a class), the rows. */
export function dataTable(attributes: Attributes, caption: string, headings: readonly (string | HTMLTableCellElement)[], rows: Child[]): HTMLTableElement {
  return h(
    'table',
    attributes,
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headings.map((heading) => (typeof heading === 'string' ? h('th', { scope: 'col' }, heading) : heading)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attributes: Record<string, string | number>, ...children: (SVGElement | Text)[]): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.appendChild(child);
  return element;
}

/** Horizontal bars, one per labelled value: readable without a chart library, and announced as a list. */
export function barChart(title: string, rows: readonly { label: string; value: number }[]): HTMLElement {
  const max = Math.max(1, ...rows.map((row) => row.value));
  // Drawn at its own size in CSS pixels (shrunk only in a narrower column), so the text stays at 13 px.
  const rowHeight = 24;
  const labelWidth = 190;
  const width = 520;
  const height = Math.max(1, rows.length) * rowHeight;
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title },
    ...rows.flatMap((row, i) => {
      // A counter can be negative (REGARDS decrements on a retry); it shows its value with no bar.
      const barWidth = Math.max(0, ((width - labelWidth - 60) * row.value) / max);
      const y = i * rowHeight;
      return [
        svg('text', { x: 0, y: y + 17, class: 'bar-label' }, document.createTextNode(row.label)),
        svg('rect', { x: labelWidth, y: y + 4, width: Math.max(barWidth, row.value > 0 ? 2 : 0), height: rowHeight - 8, class: 'bar' }),
        svg('text', { x: labelWidth + barWidth + 6, y: y + 17, class: 'bar-value' }, document.createTextNode(String(row.value))),
      ];
    }),
  );
  return h('figure', { class: 'chart' }, h('figcaption', {}, title), chart as unknown as Node);
}

/** Columns over time (oldest first), for the throughput of the last minutes. */
export function columnChart(title: string, values: readonly number[], labels: readonly string[]): HTMLElement {
  const max = Math.max(1, ...values);
  const width = 640;
  const height = 120;
  const step = width / Math.max(values.length, 1);
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height + 16}`, width, height: height + 16, role: 'img', 'aria-label': title },
    ...values.flatMap((value, i) => {
      const barHeight = (height * value) / max;
      return [
        svg(
          'rect',
          { x: i * step + 1, y: height - barHeight, width: Math.max(step - 2, 1), height: barHeight, class: 'bar' },
          svg('title', {}, document.createTextNode(`${labels[i] ?? ''}: ${value}`)),
        ),
      ];
    }),
    svg('text', { x: 0, y: height + 14, class: 'bar-label' }, document.createTextNode(labels[0] ?? '')),
    svg('text', { x: width, y: height + 14, class: 'bar-label', 'text-anchor': 'end' }, document.createTextNode(labels.at(-1) ?? '')),
  );
  return h('figure', { class: 'chart' }, h('figcaption', {}, title), chart as unknown as Node);
}

export function formatDate(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
