import { describe, expect, it } from 'vitest';
import { filterFrom, parseCommand, UsageError } from '../../../infra/local/cli/args.js';
import { progressBar, table } from '../../../infra/local/cli/format.js';
import { run, type CliIo } from '../../../infra/local/cli/wm.js';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A CLI whose HTTP calls are answered by `answer`, in order. */
function harness(answers: { status?: number; body: unknown }[], env: Record<string, string> = { WM_TOKEN: 'tok' }) {
  const sent: Sent[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const files = new Map<string, string>([['conf.json', '{"format":"worker-manager/v1"}']]);
  const queue = [...answers];
  const io: CliIo = {
    env,
    fetch: (async (url: string, init: RequestInit) => {
      sent.push({
        method: String(init.method),
        url,
        headers: init.headers as Record<string, string>,
        body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
      });
      const next = queue.shift() ?? { status: 500, body: { message: 'no answer left' } };
      return new Response(JSON.stringify(next.body), { status: next.status ?? 200 });
    }) as typeof fetch,
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    readFile: async (path) => {
      const text = files.get(path);
      if (text === undefined) throw new Error('ENOENT');
      return text;
    },
    writeFile: async (path, text) => {
      files.set(path, text);
    },
    sleep: async () => undefined,
    isTty: false,
  };
  return { io, sent, out, err, files };
}

const page = (ids: string[], nextCursor?: string) => ({
  content: ids.map((requestId) => ({
    content: {
      id: 1,
      requestId,
      creationDate: '2026-01-01T00:00:00.000Z',
      contentType: 'ct',
      source: 'src',
      session: 'ses',
      status: 'ERROR',
      dispatchedWorkerType: null,
      error: 'a  very\nlong error',
    },
  })),
  metadata: { size: 20, totalElements: 41, totalPages: 3, number: 0 },
  totalElementsExact: true,
  ...(nextCursor === undefined ? {} : { nextCursor }),
});

describe('wm argument parsing', () => {
  it('reads grouped and single commands with their positionals', () => {
    expect(parseCommand(['requests', 'get', 'r-1'])).toMatchObject({ command: 'requests get', args: ['r-1'] });
    expect(parseCommand(['workers', '--content-type', 'a'])).toMatchObject({ command: 'workers', args: [] });
    expect(parseCommand([]).command).toBe('help');
    expect(() => parseCommand(['requests', 'nope'])).toThrow(UsageError);
    expect(() => parseCommand(['workers', '--bogus'])).toThrow(UsageError);
  });

  it('builds the SearchRequestParameters body from the filter flags', () => {
    const { options } = parseCommand([
      'requests',
      'search',
      '--status',
      'error,no_worker_available',
      '--source',
      'own',
      '--session',
      's',
      '--worker-type',
      'w',
      '--content-type',
      'a',
      '--content-type',
      'b',
      '--match',
      'starts_with',
      '--ignore-case',
      '--after',
      '2026-01-01T00:00:00Z',
      '--id',
      '4,5',
    ]);
    expect(filterFrom(options)).toEqual({
      source: 'own',
      session: 's',
      dispatchedWorkerType: 'w',
      statuses: { mode: 'INCLUDE', values: ['ERROR', 'NO_WORKER_AVAILABLE'] },
      contentTypes: { mode: 'INCLUDE', values: ['a', 'b'], matchMode: 'STARTS_WITH', ignoreCase: true },
      ids: { mode: 'INCLUDE', values: [4, 5] },
      creationDate: { after: '2026-01-01T00:00:00Z' },
    });
    expect(filterFrom(parseCommand(['requests', 'retry', '--exclude-status', 'RUNNING']).options)).toEqual({
      statuses: { mode: 'EXCLUDE', values: ['RUNNING'] },
    });
    expect(() => filterFrom(parseCommand(['requests', 'search', '--status', 'A', '--exclude-status', 'B']).options)).toThrow(UsageError);
    expect(() => filterFrom(parseCommand(['requests', 'search', '--match', 'CONTAINS']).options)).toThrow(/apply to --content-type/);
    expect(() => filterFrom(parseCommand(['requests', 'search', '--id', 'req-1']).options)).toThrow(/numeric/);
  });
});

describe('wm output', () => {
  it('aligns tables and draws the progress bar with the job counts', () => {
    expect(
      table(
        ['A', 'LONGER'],
        [
          ['xx', '1'],
          ['y', '22'],
        ],
      ),
    ).toBe('A   LONGER\nxx  1\ny   22');
    expect(
      progressBar({ id: 'j', kind: 'retry', status: 'RUNNING', progress: 50, processed: 5, succeeded: 4, skipped: 1, total: 10, totalExact: false }, 10),
    ).toBe('[#####-----]  50%  retry RUNNING  processed 5/10+  succeeded 4  skipped 1');
  });
});

describe('wm commands over HTTP', () => {
  it('searches with the token, URL, filters and sort, and prints a table with the next cursor', async () => {
    const { io, sent, out } = harness([{ body: page(['r-1', 'r-2'], 'CUR') }], { WM_TOKEN: 'tok', WM_URL: 'http://api.example/' });
    expect(await run(['requests', 'search', '--status', 'ERROR', '--desc', '--size', '2'], io)).toBe(0);
    expect(sent[0]).toMatchObject({
      method: 'POST',
      url: 'http://api.example/requests?size=2&sort=creationDate%2CDESC&page=0',
      body: { statuses: { mode: 'INCLUDE', values: ['ERROR'] } },
    });
    expect(sent[0]?.headers.Authorization).toBe('Bearer tok');
    expect(out[0]).toMatch(/^REQUEST ID\s+STATUS/);
    expect(out[0]).toContain('a very long error');
    expect(out).toContain('page 0: 2 of 41 requests');
    expect(out.at(-1)).toContain('--cursor CUR');
  });

  it('shows one request with its history, and why it waits when it waits for a slot', async () => {
    const detail = {
      id: 7,
      requestId: 'r-9',
      creationDate: '2026-01-01T00:00:00.000Z',
      contentType: 'ct',
      source: 'src',
      session: 'ses',
      status: 'TO_DISPATCH',
      dispatchedWorkerType: null,
      error: null,
      statusDate: '2026-01-01T00:00:00.000Z',
      stepNumber: null,
      stepWorkerType: 'extract',
      attempt: 0,
      stepAttempts: 0,
      deadline: null,
      history: [
        {
          at: '2026-01-01T00:00:00.000Z',
          event: 'registered',
          status: 'TO_DISPATCH',
          stepNumber: null,
          workerType: 'extract',
          attempt: 0,
          messages: ['waiting for a slot'],
        },
      ],
      waitingFor: {
        reason: 'slot',
        workerType: 'extract',
        maxInFlight: 2,
        maxInFlightPerTenant: null,
        inFlight: 2,
        inFlightOfTenant: 1,
        position: 4,
        positionExact: true,
        tenantsWaiting: 3,
      },
    };
    const { io, sent, out } = harness([{ body: { content: detail, links: [] } }, { body: { content: { ...detail, waitingFor: undefined }, links: [] } }]);
    expect(await run(['requests', 'get', 'r-9'], io)).toBe(0);
    expect(sent[0]).toMatchObject({ method: 'GET', url: expect.stringMatching(/\/requests\/r-9$/) });
    expect(out[0]).toMatch(/waiting\s+Waiting for a slot of extract \(2 of 2 in flight\): place 4 in its tenant's line, 3 tenant\(s\) taking turns\./);
    expect(out.join('\n')).toContain('waiting for a slot');
    expect(await run(['requests', 'get', 'r-9'], io)).toBe(0);
    // Each call prints the field table, a blank line and the history: the second one's fields have no wait.
    const [fieldsWithoutWait] = out.slice(-3);
    expect(fieldsWithoutWait).toMatch(/^status\s+TO_DISPATCH/m);
    expect(fieldsWithoutWait).not.toMatch(/^waiting/m);
  });

  it('follows every cursor with --all', async () => {
    const { io, sent, out } = harness([{ body: page(['r-1'], 'C1') }, { body: page(['r-2'], 'C2') }, { body: page(['r-3']) }]);
    expect(await run(['requests', 'search', '--all', '--json'], io)).toBe(0);
    expect(sent.map((call) => new URL(call.url).searchParams.get('cursor'))).toEqual([null, 'C1', 'C2']);
    expect((JSON.parse(out[0] ?? '[]') as { requestId: string }[]).map((r) => r.requestId)).toEqual(['r-1', 'r-2', 'r-3']);
  });

  it('watches a job until DONE (exit 0) or FAILED (exit 1), printing each change once', async () => {
    const job = (status: string, progress: number, error?: string) => ({
      body: {
        id: 'j-1',
        kind: 'delete',
        status,
        progress,
        processed: progress,
        succeeded: progress,
        skipped: 0,
        total: 100,
        totalExact: true,
        ...(error ? { error } : {}),
      },
    });
    const ok = harness([job('RUNNING', 10), job('RUNNING', 10), job('RUNNING', 60), job('DONE', 100)]);
    expect(await run(['jobs', 'watch', 'j-1'], ok.io)).toBe(0);
    expect(ok.out).toHaveLength(3);
    expect(ok.out.at(-1)).toContain('100%  delete DONE');
    const failed = harness([job('FAILED', 40, 'CorruptItemError: bad item')]);
    expect(await run(['jobs', 'watch', 'j-1'], failed.io)).toBe(1);
    expect(failed.out[0]).toContain('CorruptItemError');
  });

  it('retries from the first or a chosen step, in bulk or for one request', async () => {
    const started = { body: { id: 'j-2', kind: 'retry', status: 'PENDING', progress: 0, processed: 0, succeeded: 0, skipped: 0, createdAt: 'x' } };
    const bulk = harness([started]);
    expect(await run(['requests', 'retry', '--status', 'ERROR', '--from', 'first'], bulk.io)).toBe(0);
    expect(bulk.sent[0]).toMatchObject({
      method: 'POST',
      url: 'http://127.0.0.1:8080/requests/retry?restartFrom=first',
      body: { statuses: { mode: 'INCLUDE', values: ['ERROR'] } },
    });
    const one = harness([started]);
    expect(await run(['requests', 'retry', 'req 1', '--from', '20'], one.io)).toBe(0);
    expect(one.sent[0]).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:8080/requests/req%201/retry?restartFrom=20' });
    expect(one.out[0]).toBe('retry job j-2 started');
    const misuse = harness([]);
    expect(await run(['requests', 'delete', '--from', 'first'], misuse.io)).toBe(2);
    expect(misuse.sent).toEqual([]);
  });

  it('imports a native file with PUT and a REGARDS one with POST; tells an unreadable file apart', async () => {
    const native = harness([{ body: { version: 3, redispatch: { dispatched: 2, examined: 5 } } }]);
    expect(await run(['config', 'import', 'conf.json', '--native'], native.io)).toBe(0);
    expect(native.sent[0]).toMatchObject({ method: 'PUT', url: 'http://127.0.0.1:8080/configuration/native', body: { format: 'worker-manager/v1' } });
    expect(native.out).toEqual(['configuration imported (version 3); 2 of 5 waiting requests dispatched']);
    const missing = harness([]);
    expect(await run(['config', 'import', 'missing.json'], missing.io)).toBe(2);
    const partial = harness([
      {
        status: 206,
        body: [{ importErrors: ['modules[0].configuration[0].value.workerType: must not be blank'], warnings: ['x: unknown field "x" ignored'] }],
      },
    ]);
    expect(await run(['config', 'import', 'conf.json'], partial.io)).toBe(1);
    expect(partial.out).toEqual(['configuration partly imported; left out:\n  modules[0].configuration[0].value.workerType: must not be blank']);
    expect(partial.err).toEqual(['warning: x: unknown field "x" ignored']);
    const none = harness([{ status: 409, body: [{ importErrors: ['a: bad', 'b: worse'], onlyErrors: true }] }]);
    expect(await run(['config', 'import', 'conf.json'], none.io)).toBe(1);
    expect(none.err).toEqual(['wm: 409 nothing imported', '  - a: bad', '  - b: worse']);
  });

  it('prints the API refusal and its details on stderr with exit code 1', async () => {
    const { io, err } = harness([
      { status: 409, body: { status: 409, message: 'the configuration was refused', messages: ['workers[0].workerType: must not be blank'] } },
    ]);
    expect(await run(['config', 'import', 'conf.json'], io)).toBe(1);
    expect(err).toEqual(['wm: 409 the configuration was refused', '  - workers[0].workerType: must not be blank']);
  });

  it('sends X-Tenant for an instance administrator naming a tenant', async () => {
    const { io, sent } = harness([{ body: [] }]);
    expect(await run(['workers', '--tenant', 'tenant-z', '--content-type', 'a', '--content-type', 'b'], io)).toBe(0);
    expect(sent[0]?.headers['X-Tenant']).toBe('tenant-z');
    expect(sent[0]?.url).toBe('http://127.0.0.1:8080/workers?contentTypes=a&contentTypes=b');
  });

  it('parses `dlq` as the listing and `dlq redrive <queue>` with its flags', () => {
    expect(parseCommand(['dlq'])).toMatchObject({ command: 'dlq', args: [] });
    expect(parseCommand(['dlq', 'redrive', 'q.DLQ', '--limit', '5', '--message-id', 'm-1'])).toMatchObject({
      command: 'dlq redrive',
      args: ['q.DLQ'],
      options: { limit: '5', 'message-id': 'm-1' },
    });
    expect(() => parseCommand(['dlq', 'nope'])).toThrow(UsageError);
  });

  it('lists the dead-letter queues with count, oldest age and reasons, and their messages on demand', async () => {
    const { io, sent, out } = harness([
      {
        body: [
          {
            queue: 'rq.DLQ',
            source: 'rq',
            exists: true,
            count: 3,
            inspected: 3,
            oldestAgeSeconds: 600,
            reasons: [
              { reason: 'delivery_limit', origin: 'broker', count: 2 },
              { reason: 'unknown tenant', origin: 'manager', count: 1 },
            ],
            messages: [{ position: 0, messageId: 'm-1', reason: 'unknown tenant', reasonOrigin: 'manager', tenant: 't9' }],
          },
          { queue: 'wr.DLQ', source: 'wr', exists: false, count: 0, inspected: 0, reasons: [], messages: [] },
        ],
      },
    ]);
    expect(await run(['dlq', '--limit', '10', '--messages'], io)).toBe(0);
    expect(sent[0]).toMatchObject({ method: 'GET', url: 'http://127.0.0.1:8080/dead-letters?limit=10' });
    const text = out.join('\n');
    expect(text).toMatch(/rq\.DLQ\s+rq\s+3\s+10m\s+delivery_limit x2; unknown tenant x1/);
    expect(text).toMatch(/wr\.DLQ\s+wr\s+not declared/);
    expect(text).toMatch(/0\s+m-1\s+t9\s+manager: unknown tenant/);
  });

  it('redrives all by calling again while messages move and some are left, and says how many moved', async () => {
    const { io, sent, out } = harness([
      { body: { queue: 'rq.DLQ', source: 'rq', moved: 1000, remaining: 200 } },
      { body: { queue: 'rq.DLQ', source: 'rq', moved: 200, remaining: 0 } },
    ]);
    expect(await run(['dlq', 'redrive', 'rq.DLQ'], io)).toBe(0);
    expect(sent.map((call) => [call.method, call.url, call.body])).toEqual([
      ['POST', 'http://127.0.0.1:8080/dead-letters/rq.DLQ/redrive', {}],
      ['POST', 'http://127.0.0.1:8080/dead-letters/rq.DLQ/redrive', {}],
    ]);
    expect(out).toEqual(['1200 messages moved from rq.DLQ to rq; 0 left']);
  });

  it('redrives some (--limit) or one (--message-id) in one call', async () => {
    const some = harness([{ body: { queue: 'rq.DLQ', source: 'rq', moved: 5, remaining: 7 } }]);
    expect(await run(['dlq', 'redrive', 'rq.DLQ', '--limit', '5'], some.io)).toBe(0);
    expect(some.sent.map((call) => call.body)).toEqual([{ limit: 5 }]);
    expect(some.out).toEqual(['5 messages moved from rq.DLQ to rq; 7 left']);
    const one = harness([{ body: { queue: 'rq.DLQ', source: 'rq', moved: 1, remaining: 11 } }]);
    expect(await run(['dlq', 'redrive', 'rq.DLQ', '--message-id', 'm-1'], one.io)).toBe(0);
    expect(one.sent.map((call) => call.body)).toEqual([{ messageId: 'm-1' }]);
    expect(one.out).toEqual(['1 message moved from rq.DLQ to rq; 11 left']);
    expect(await run(['dlq', 'redrive'], harness([]).io)).toBe(2);
  });
});
