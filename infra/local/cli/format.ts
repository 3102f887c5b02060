import type { JobView } from '../../../shared/contract/admin-views.js';

/* What `wm` prints: plain aligned tables and a progress bar, readable in a terminal and in a log. */

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function truncate(text: string | null | undefined, max: number): string {
  if (text === null || text === undefined) return '';
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** What the progress bar shows of a bulk job. */
export type JobProgressView = Pick<JobView, 'id' | 'kind' | 'status' | 'progress' | 'processed' | 'succeeded' | 'skipped' | 'total' | 'totalExact' | 'error'>;

export function progressBar(job: JobProgressView, width = 30): string {
  const filled = Math.round((Math.min(100, Math.max(0, job.progress)) / 100) * width);
  const total = job.total === undefined ? '?' : `${job.total}${job.totalExact === false ? '+' : ''}`;
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const tail = job.error === undefined ? '' : `  ${truncate(job.error, 80)}`;
  return `${bar} ${String(job.progress).padStart(3)}%  ${job.kind} ${job.status}  processed ${job.processed}/${total}  succeeded ${job.succeeded}  skipped ${job.skipped}${tail}`;
}
