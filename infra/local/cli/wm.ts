import { filterFrom, parseCommand, positiveInt, requireArg, USAGE, UsageError, type ParsedCommand } from './args.js';
import type * as z from 'zod';
import { progressBar, table, truncate } from './format.js';
import type { DeadLettersSchema } from '../../../functions/admin-api/schema.js';
import type { JobList, JobView, RequestDetail, RequestPage, WorkerSummary } from '../../../shared/contract/admin-views.js';
import { waitingLine } from '../../../shared/contract/waiting-line.js';
import { AppError } from '../../../shared/kernel/errors.js';

/*
 * `wm`: the admin API from a terminal. Every command is one or a few HTTP calls; the output is a
 * table (or the JSON as received with --json). The token comes from WM_TOKEN (or --token), the
 * URL from WM_URL (or --url). I/O is injected, so tests run it in process.
 */

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  fetch: typeof fetch;
  out: (text: string) => void;
  err: (text: string) => void;
  readFile: (path: string) => Promise<string>;
  writeFile: (path: string, text: string) => Promise<void>;
  sleep: (ms: number) => Promise<void>;
  /** Redraw the progress bar in place (a terminal) or print each change on its own line. */
  isTty: boolean;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The admin API's answer to a failed call, on the client side (`status` is the answer's; nothing serves this error). */
export class ApiError extends AppError {
  public override readonly name = 'ApiError';
  public constructor(
    public readonly status: number,
    message: string,
    public readonly details: readonly string[],
  ) {
    super(message);
  }
}

interface Client {
  call(method: string, path: string, body?: unknown): Promise<unknown>;
}

function client(parsed: ParsedCommand, io: CliIo): Client {
  const base = (parsed.options.url ?? io.env.WM_URL ?? DEFAULT_URL).replace(/\/$/, '');
  const token = parsed.options.token ?? io.env.WM_TOKEN;
  const tenant = parsed.options.tenant ?? io.env.WM_TENANT;
  return {
    async call(method, path, body) {
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (token !== undefined && token !== '') headers.Authorization = `Bearer ${token}`;
      if (tenant !== undefined && tenant !== '') headers['X-Tenant'] = tenant;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let response: Response;
      try {
        response = await io.fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      } catch (error) {
        throw new ApiError(0, `cannot reach ${base}: ${(error as Error).message}`, []);
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (!response.ok && !(response.status === 503 && path === '/health')) {
        // A refused configuration import answers REGARDS' report list: its errors are the details.
        const report = Array.isArray(json) ? (json[0] as { importErrors?: string[] } | undefined) : undefined;
        const errorBody = (report === undefined ? (json ?? {}) : { message: 'nothing imported', messages: report.importErrors }) as {
          message?: string;
          messages?: string[];
        };
        const details = (errorBody.messages ?? []).filter((message) => message !== errorBody.message);
        throw new ApiError(response.status, errorBody.message ?? (text.slice(0, 200) || response.statusText), details);
      }
      return json;
    },
  };
}

function requestRows(page: RequestPage): string[][] {
  return page.content.map(({ content: r }) => [
    r.requestId,
    r.status,
    r.contentType,
    r.source,
    r.session,
    r.dispatchedWorkerType ?? '',
    r.creationDate,
    truncate(r.error, 60),
  ]);
}

const REQUEST_HEADERS = ['REQUEST ID', 'STATUS', 'CONTENT TYPE', 'SOURCE', 'SESSION', 'WORKER', 'CREATED', 'ERROR'];

async function searchRequests(parsed: ParsedCommand, api: Client, io: CliIo): Promise<number> {
  const { options } = parsed;
  const filter = filterFrom(options);
  const size = positiveInt(options.size, 'size', options.all === true ? 1000 : 20);
  const sort = `creationDate,${options.desc === true ? 'DESC' : 'ASC'}`;
  let cursor = options.cursor;
  const page = positiveInt(options.page, 'page', 0);
  const rows: string[][] = [];
  const pages: RequestPage[] = [];
  for (;;) {
    const query = new URLSearchParams({ size: String(size), sort, ...(cursor === undefined ? { page: String(page) } : { cursor }) });
    const body = (await api.call('POST', `/requests?${query.toString()}`, filter)) as RequestPage;
    pages.push(body);
    rows.push(...requestRows(body));
    cursor = body.nextCursor;
    if (options.all !== true || cursor === undefined) break;
  }
  if (options.json === true) {
    io.out(JSON.stringify(options.all === true ? pages.flatMap((p) => p.content.map((entry) => entry.content)) : pages[0], null, 2));
    return 0;
  }
  const last = pages.at(-1) as RequestPage;
  io.out(rows.length === 0 ? 'no request matches' : table(REQUEST_HEADERS, rows));
  const total = `${last.metadata.totalElements}${last.totalElementsExact ? '' : '+'}`;
  io.out(options.all === true ? `${rows.length} requests` : `page ${last.metadata.number}: ${rows.length} of ${total} requests`);
  if (options.all !== true && last.nextCursor !== undefined) io.out(`next page: wm requests search ... --cursor ${last.nextCursor}`);
  return 0;
}

async function getRequest(parsed: ParsedCommand, api: Client, io: CliIo): Promise<number> {
  const requestId = requireArg(parsed.args, 'request id');
  const body = (await api.call('GET', `/requests/${encodeURIComponent(requestId)}`)) as { content: RequestDetail };
  if (parsed.options.json === true) {
    io.out(JSON.stringify(body, null, 2));
    return 0;
  }
  const r = body.content;
  io.out(
    table(
      ['FIELD', 'VALUE'],
      [
        ['requestId', r.requestId],
        ['id', String(r.id)],
        ['status', r.status],
        ['contentType', r.contentType],
        ['source', r.source],
        ['session', r.session],
        ['created', r.creationDate],
        ['worker', r.dispatchedWorkerType ?? ''],
        ['step', r.stepNumber === null ? '' : `${r.stepNumber} (${r.stepWorkerType ?? ''})`],
        ['attempt', String(r.attempt)],
        ['deadline', r.deadline ?? ''],
        ['error', r.error ?? ''],
        ...(r.waitingFor === undefined ? [] : [['waiting', waitingLine(r.waitingFor)]]),
      ],
    ),
  );
  io.out('');
  io.out(
    table(
      ['AT', 'EVENT', 'STATUS', 'WORKER', 'ATTEMPT', 'MESSAGES'],
      r.history.map((h) => [h.at, h.event, h.status, h.workerType ?? '', String(h.attempt), truncate(h.messages.join('; '), 60)]),
    ),
  );
  return 0;
}

async function startJob(parsed: ParsedCommand, api: Client, io: CliIo, kind: 'retry' | 'delete'): Promise<number> {
  const filter = filterFrom(parsed.options);
  const from = parsed.options.from === undefined ? '' : `?restartFrom=${encodeURIComponent(parsed.options.from)}`;
  const [requestId, ...extra] = parsed.args;
  if (extra.length > 0 || (requestId !== undefined && kind !== 'retry'))
    throw new UsageError(`requests ${kind} takes ${kind === 'retry' ? 'at most one request id' : 'no argument'}`);
  if (from !== '' && kind !== 'retry') throw new UsageError('--from is for requests retry');
  const job = (
    requestId === undefined
      ? await api.call(kind === 'retry' ? 'POST' : 'DELETE', `/requests/${kind}${from}`, filter)
      : await api.call('POST', `/requests/${encodeURIComponent(requestId)}/retry${from}`)
  ) as JobView;
  io.out(`${kind} job ${job.id} started`);
  if (parsed.options.watch === true) return watchJob(job.id, parsed, api, io);
  io.out(`follow it with: wm jobs watch ${job.id}`);
  return 0;
}

async function watchJob(id: string, parsed: ParsedCommand, api: Client, io: CliIo): Promise<number> {
  const interval = positiveInt(parsed.options.interval, 'interval', 1000);
  let shown = '';
  for (;;) {
    const job = (await api.call('GET', `/jobs/${encodeURIComponent(id)}`)) as JobView;
    const line = progressBar(job);
    if (line !== shown) {
      if (io.isTty) io.out(`\r${line}`);
      else io.out(line);
      shown = line;
    }
    if (job.status === 'DONE' || job.status === 'FAILED') {
      // The bar was redrawn in place: end its line.
      if (io.isTty) io.out('');
      return job.status === 'DONE' ? 0 : 1;
    }
    await io.sleep(interval);
  }
}

async function listJobs(parsed: ParsedCommand, api: Client, io: CliIo): Promise<number> {
  const body = (await api.call('GET', '/jobs?limit=50')) as JobList;
  if (parsed.options.json === true) {
    io.out(JSON.stringify(body, null, 2));
    return 0;
  }
  io.out(
    body.content.length === 0
      ? 'no job'
      : table(
          ['JOB', 'KIND', 'STATUS', 'PROGRESS', 'PROCESSED', 'CREATED'],
          body.content.map((job) => [job.id, job.kind, job.status, `${job.progress}%`, String(job.processed), job.createdAt]),
        ),
  );
  return 0;
}

async function workers(parsed: ParsedCommand, api: Client, io: CliIo): Promise<number> {
  const query = new URLSearchParams();
  for (const type of parsed.options['content-type'] ?? []) query.append('contentTypes', type);
  const body = (await api.call('GET', `/workers${query.size > 0 ? `?${query.toString()}` : ''}`)) as WorkerSummary[];
  if (parsed.options.json === true) io.out(JSON.stringify(body, null, 2));
  else
    io.out(
      body.length === 0
        ? 'no worker alive'
        : table(
            ['WORKER TYPE', 'INSTANCES'],
            body.map((w) => [w.workerType, String(w.nbInstance)]),
          ),
    );
  return 0;
}

async function exportConfig(parsed: ParsedCommand, api: Client, io: CliIo): Promise<number> {
  const body = await api.call('GET', parsed.options.native === true ? '/configuration/native' : '/microservice/configuration');
  const text = `${JSON.stringify(body, null, 2)}\n`;
  if (parsed.options.out === undefined) io.out(text.trimEnd());
  else {
    await io.writeFile(parsed.options.out, text);
    io.err(`configuration written to ${parsed.options.out}`);
  }
  return 0;
}

async function importConfig(parsed: ParsedCommand, api: Client, io: CliIo): Promise<number> {
  const path = requireArg(parsed.args, 'configuration file');
  let file: unknown;
  try {
    file = JSON.parse(await io.readFile(path));
  } catch (error) {
    throw new UsageError(`cannot read ${path} as JSON: ${(error as Error).message}`);
  }
  if (parsed.options.native === true) {
    const body = (await api.call('PUT', '/configuration/native', file)) as { version: number; redispatch: { dispatched: number; examined: number } };
    io.out(`configuration imported (version ${body.version}); ${body.redispatch.dispatched} of ${body.redispatch.examined} waiting requests dispatched`);
  } else {
    const [report] = (await api.call('POST', '/microservice/configuration', file)) as { importErrors?: string[]; warnings?: string[] }[];
    for (const warning of report?.warnings ?? []) io.err(`warning: ${warning}`);
    const errors = report?.importErrors ?? [];
    if (errors.length > 0) {
      // 206, as REGARDS: the valid items were imported.
      io.out(`configuration partly imported; left out:\n${errors.map((error) => `  ${error}`).join('\n')}`);
      return 1;
    }
    io.out('configuration imported');
  }
  return 0;
}

async function health(api: Client, io: CliIo): Promise<number> {
  const body = (await api.call('GET', '/health')) as { status: string; checks: Record<string, { status: string; error?: string }> };
  io.out(
    table(
      ['CHECK', 'STATUS', 'ERROR'],
      Object.entries(body.checks).map(([name, check]) => [name, check.status, check.error ?? '']),
    ),
  );
  return body.status === 'UP' ? 0 : 1;
}

/** One queue of GET /dead-letters. */
type DeadLetterQueueBody = z.output<typeof DeadLettersSchema>[number];

function age(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

async function listDeadLetters(parsed: ParsedCommand, api: Client, io: CliIo): Promise<number> {
  const query = parsed.options.limit === undefined ? '' : `?limit=${positiveInt(parsed.options.limit, 'limit', 100)}`;
  const body = (await api.call('GET', `/dead-letters${query}`)) as DeadLetterQueueBody[];
  if (parsed.options.json === true) {
    io.out(JSON.stringify(body, null, 2));
    return 0;
  }
  io.out(
    table(
      ['QUEUE', 'SOURCE', 'MESSAGES', 'OLDEST', 'REASONS (of those read)'],
      body.map((q) => [
        q.queue,
        q.source,
        q.exists ? String(q.count) : 'not declared',
        age(q.oldestAgeSeconds),
        truncate(q.reasons.map((r) => `${r.reason} x${r.count}`).join('; '), 80),
      ]),
    ),
  );
  if (parsed.options.messages === true) {
    for (const q of body.filter((queue) => queue.messages.length > 0)) {
      io.out('');
      io.out(`${q.queue} (first ${q.inspected} of ${q.count})`);
      io.out(
        table(
          ['#', 'MESSAGE ID', 'TENANT', 'DEAD-LETTERED', 'REASON'],
          q.messages.map((m) => [
            String(m.position),
            m.messageId ?? '',
            m.tenant ?? '',
            m.deadLetteredAt ?? '',
            truncate(`${m.reasonOrigin}: ${m.reason}`, 80),
          ]),
        ),
      );
    }
  }
  return 0;
}

/** Calls the redrive until the asked number moved or the queue is empty: one call moves at most the server's bound. */
async function redriveDeadLetters(parsed: ParsedCommand, api: Client, io: CliIo): Promise<number> {
  const queue = requireArg(parsed.args, 'dead-letter queue name');
  const messageId = parsed.options['message-id'];
  const wanted = parsed.options.limit === undefined ? Number.POSITIVE_INFINITY : positiveInt(parsed.options.limit, 'limit', 0);
  if (wanted === 0) throw new UsageError('--limit takes a number above 0');
  let moved = 0;
  let remaining: number;
  let source: string;
  for (;;) {
    const left = wanted - moved;
    const body = (await api.call('POST', `/dead-letters/${encodeURIComponent(queue)}/redrive`, {
      ...(Number.isFinite(left) ? { limit: Math.min(left, REDRIVE_CALL_MAX) } : {}),
      ...(messageId === undefined ? {} : { messageId }),
    })) as { source: string; moved: number; remaining: number };
    moved += body.moved;
    remaining = body.remaining;
    source = body.source;
    // A message id is looked for once; otherwise go on while something moves and something is left.
    if (messageId !== undefined || body.moved === 0 || remaining === 0 || moved >= wanted) break;
  }
  if (parsed.options.json === true) io.out(JSON.stringify({ queue, source, moved, remaining }, null, 2));
  else io.out(`${moved} message${moved === 1 ? '' : 's'} moved from ${queue} to ${source}; ${remaining} left`);
  return 0;
}

/** What one redrive call moves at most (the server's DEAD_LETTER_REDRIVE_MAX). */
const REDRIVE_CALL_MAX = 1000;

async function dispatch(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const api = client(parsed, io);
  switch (parsed.command) {
    case 'requests search':
      return searchRequests(parsed, api, io);
    case 'requests get':
      return getRequest(parsed, api, io);
    case 'requests retry':
      return startJob(parsed, api, io, 'retry');
    case 'requests delete':
      return startJob(parsed, api, io, 'delete');
    case 'workers':
      return workers(parsed, api, io);
    case 'config export':
      return exportConfig(parsed, api, io);
    case 'config import':
      return importConfig(parsed, api, io);
    case 'jobs list':
      return listJobs(parsed, api, io);
    case 'jobs get': {
      const job = await api.call('GET', `/jobs/${encodeURIComponent(requireArg(parsed.args, 'job id'))}`);
      io.out(parsed.options.json === true ? JSON.stringify(job, null, 2) : progressBar(job as JobView));
      return 0;
    }
    case 'jobs watch':
      return watchJob(requireArg(parsed.args, 'job id'), parsed, api, io);
    case 'health':
      return health(api, io);
    case 'dlq':
      return listDeadLetters(parsed, api, io);
    case 'dlq redrive':
      return redriveDeadLetters(parsed, api, io);
    default:
      io.out(USAGE);
      return 0;
  }
}

/** Exit code: 0 done, 1 the API refused or the job failed, 2 a usage error. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(parseCommand(argv), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`wm: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ApiError) {
      io.err(`wm: ${error.status === 0 ? '' : `${error.status} `}${error.message}`);
      for (const detail of error.details) io.err(`  - ${detail}`);
      return 1;
    }
    throw error;
  }
}
