import { ApiError } from '../api.js';
import type { ConfigError } from '../api-types.js';
import { h, replace } from '../dom.js';
import type { ViewContext } from '../main.js';

/*
 * The tenant's configuration: shown (native format, every field written out), exported in either
 * format as a file, and imported from a file. A refused import is all or nothing; its errors carry
 * a path in the submitted file (`modules[0].configuration[1].value.name`), and each is shown under
 * the line of the file it points at: under the closest line that exists when the field is missing.
 */

interface Line {
  text: string;
  path: string;
}

function joinPath(prefix: string, key: string | number): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  return prefix === '' ? key : `${prefix}.${key}`;
}

/** The file pretty-printed as JSON.stringify(value, null, 2) would, each line knowing the path it shows. */
function jsonLines(value: unknown, path = '', indent = '', prefix = '', suffix = ''): Line[] {
  const open = `${indent}${prefix}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return [{ text: `${open}[]${suffix}`, path }];
    return [
      { text: `${open}[`, path },
      ...value.flatMap((item, i) => jsonLines(item, joinPath(path, i), `${indent}  `, '', i < value.length - 1 ? ',' : '')),
      { text: `${indent}]${suffix}`, path },
    ];
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return [{ text: `${open}{}${suffix}`, path }];
    return [
      { text: `${open}{`, path },
      ...entries.flatMap(([key, item], i) =>
        jsonLines(item, joinPath(path, key), `${indent}  `, `${JSON.stringify(key)}: `, i < entries.length - 1 ? ',' : ''),
      ),
      { text: `${indent}}${suffix}`, path },
    ];
  }
  return [{ text: `${open}${JSON.stringify(value)}${suffix}`, path }];
}

/** The first line showing `path`, or its closest ancestor that the file has. */
function lineFor(lines: readonly Line[], path: string): number {
  for (let candidate = path; ;) {
    const index = lines.findIndex((line) => line.path === candidate);
    if (index >= 0 || candidate === '') return Math.max(index, 0);
    const cut = Math.max(candidate.lastIndexOf('.'), candidate.lastIndexOf('['));
    candidate = cut <= 0 ? '' : candidate.slice(0, cut);
  }
}

export function annotatedFile(file: unknown, errors: readonly ConfigError[]): HTMLElement {
  const lines = jsonLines(file);
  const byLine = new Map<number, ConfigError[]>();
  for (const error of errors) {
    const at = lineFor(lines, error.path);
    (byLine.get(at) ?? byLine.set(at, []).get(at))?.push(error);
  }
  return h(
    'pre',
    { class: 'annotated', 'aria-label': 'The imported file, with its errors under the lines they concern' },
    lines.flatMap((line, i) => [
      h('span', { class: byLine.has(i) ? 'line has-error' : 'line', id: `line-${i}` }, `${line.text}\n`),
      ...(byLine.get(i) ?? []).map((error) =>
        h('span', { class: 'config-error', role: 'note' }, `  ▲ ${error.path === '' ? '(file)' : error.path}: ${error.message} [${error.code}]\n`),
      ),
    ]),
  );
}

function download(name: string, content: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(content, null, 2)], { type: 'application/json' }));
  const link = h('a', { href: url, download: name });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

export async function renderConfiguration(ctx: ViewContext): Promise<void> {
  const { api, main, notify } = ctx;
  const current = h('pre', { class: 'config', tabindex: 0, 'aria-label': 'Current configuration (native format)' });
  const exportNative = h('button', { type: 'button' }, 'Export (native format)');
  const exportRegards = h('button', { type: 'button' }, 'Export (REGARDS format)');
  const fileInput = h('input', { id: 'config-file', type: 'file', accept: 'application/json,.json' });
  const importButton = h('button', { type: 'submit' }, 'Import');
  const result = h('div', { class: 'import-result', 'aria-live': 'polite' });
  const importForm = h(
    'form',
    { class: 'import', 'aria-label': 'Import a configuration' },
    h('label', { for: 'config-file' }, 'Configuration file (native worker-manager/v1 or REGARDS JSON)'),
    fileInput,
    importButton,
  );
  replace(
    main,
    h('h1', {}, 'Configuration'),
    h(
      'section',
      { 'aria-labelledby': 'import-title' },
      h('h2', { id: 'import-title' }, 'Import'),
      h('p', { class: 'muted' }, 'All or nothing: a refused file changes nothing.'),
      importForm,
      result,
    ),
    h(
      'section',
      { 'aria-labelledby': 'current-title' },
      h('h2', { id: 'current-title' }, 'Current configuration'),
      h('div', { class: 'buttons' }, exportNative, exportRegards),
      current,
    ),
  );

  const show = async () => {
    current.textContent = JSON.stringify(await api.exportConfiguration('native'), null, 2);
  };
  const fail = (error: unknown) => notify(error instanceof Error ? error.message : String(error), 'error');
  exportNative.addEventListener(
    'click',
    () => void api.exportConfiguration('native').then((file) => download('worker-manager-configuration.json', file), fail),
  );
  exportRegards.addEventListener(
    'click',
    () => void api.exportConfiguration('regards').then((file) => download('rs-worker-manager-configuration.json', file), fail),
  );

  importForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const file = fileInput.files?.[0];
    if (file === undefined) {
      replace(result, h('p', { class: 'error', role: 'alert' }, 'Choose a file first.'));
      fileInput.focus();
      return;
    }
    void (async () => {
      const text = await file.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        replace(result, h('p', { class: 'error', role: 'alert' }, `${file.name} is not JSON: ${(error as Error).message}`));
        return;
      }
      try {
        await api.importConfiguration(parsed);
        replace(result, h('p', { class: 'ok', role: 'status' }, `${file.name} imported.`));
        await show();
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const errors =
          error.body?.errors ??
          (error.body?.issues ?? []).map((issue) => ({ code: 'INVALID', path: issue.path.replace(/^body\.?/, ''), message: issue.message }));
        replace(
          result,
          h(
            'p',
            { class: 'error', role: 'alert' },
            `${file.name} was refused (HTTP ${error.status}): ${errors.length} error${errors.length === 1 ? '' : 's'}. Nothing was changed.`,
          ),
          errors.length === 0 ? h('p', {}, error.message) : annotatedFile(parsed, errors),
        );
      }
    })().catch(fail);
  });
  await show();
}
