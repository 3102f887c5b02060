import type { Options } from 'amqplib';
import { Header } from '../../../shared/contract/headers.js';
import type { WireNames } from '../../../shared/contract/wire-names.js';
import { FAULTS_LONG, type Random } from './seed.js';

/*
 * A seeded generator of malformed messages for every input of the manager: client requests, worker
 * responses, worker dead letters and heartbeats. Each message carries `x-fuzz-id` (an ordinary
 * application header, kept on a dead letter) so its fate can be found, and says what it broke.
 */

export type InputKind = 'request' | 'worker-response' | 'worker-dead-letter' | 'heartbeat';

export interface BadMessage {
  fuzzId: string;
  kind: InputKind;
  /** What is wrong with it, e.g. `header regards.tenant: deep table`. */
  defects: string[];
  exchange: string;
  routingKey: string;
  body: Buffer;
  properties: Options.Publish;
  /** The answer key (tenant/requestId) a client answer would carry, when the request named both readably. */
  answerKey?: string;
  /** A known issue another change is fixing: counted apart, not asserted. */
  knownIssue?: string;
}

export const FUZZ_ID_HEADER = 'x-fuzz-id';
/** The first second of year 10000: no ISO-8601 date with four year digits reads it. */
const YEAR_10000 = 253_402_300_800;

type HeaderValue = unknown;

/** A header table nested `depth` levels deep. */
function deepTable(depth: number): Record<string, unknown> {
  let table: Record<string, unknown> = { leaf: 'x' };
  for (let level = 0; level < depth; level += 1) table = { [`l${level}`]: table };
  return table;
}

function isTimestamp(value: unknown): value is { '!': 'timestamp'; value: number } {
  return typeof value === 'object' && value !== null && (value as { '!'?: unknown })['!'] === 'timestamp';
}

function deepJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const UNICODE = ['💥🔥', 'ﬁle-\u200b-zero-width', '\u202eright-to-left', 'e\u0301-combining', '\ud800-lone-surrogate', 'tab\there', '\u0000nul'];

/** Wrong-typed header values (a finite number is read as its text, which the answer key follows). */
function wrongTyped(random: Random, fuzzId: string): { value: HeaderValue; label: string } {
  return random.pick<{ value: HeaderValue; label: string }>([
    { value: true, label: 'boolean' },
    { value: 3.5e300, label: 'huge float' },
    { value: ['a', 'b'], label: 'array' },
    { value: { nested: { table: 1 } }, label: 'table' },
    { value: null, label: 'void' },
    // The Amazon MQ event carries text headers as bytes, so a byte array is read back as its text.
    { value: Buffer.from(`b-${fuzzId}`), label: 'byte array' },
    { value: { '!': 'timestamp', value: YEAR_10000 + 3600 }, label: 'timestamp after year 9999' },
    { value: deepTable(random.int(30, 120)), label: 'deep table' },
    { value: '', label: 'empty text' },
    { value: '   ', label: 'blank text' },
  ]);
}

function hugeText(random: Random): string {
  // amqplib encodes a header table into 64 KB at most: two of these still fit one message.
  return 'h'.repeat(random.int(10_000, 30_000));
}

export interface GeneratorContext {
  names: WireNames;
  tenants: readonly string[];
  contentType: string;
  /** Request ids of valid requests, which worker-side noise may name (only unreadably). */
  validIds: readonly string[];
}

export class MalformedGenerator {
  private n = 0;

  public constructor(
    private readonly random: Random,
    private readonly context: GeneratorContext,
  ) {}

  public next(kind: InputKind): BadMessage {
    this.n += 1;
    const fuzzId = `bad-${this.n}`;
    switch (kind) {
      case 'request':
        return this.request(fuzzId);
      case 'worker-response':
        return this.workerResponse(fuzzId);
      case 'worker-dead-letter':
        return this.workerDeadLetter(fuzzId);
      case 'heartbeat':
        return this.heartbeat(fuzzId);
    }
  }

  private request(fuzzId: string): BadMessage {
    const r = this.random;
    const { names, tenants, contentType } = this.context;
    const headers: Record<string, HeaderValue> = {
      [Header.tenant]: r.pick(tenants),
      [Header.requestId]: fuzzId,
      [Header.owner]: 'fuzz',
      [Header.session]: 'fuzz',
      [Header.contentType]: contentType,
      [FUZZ_ID_HEADER]: fuzzId,
    };
    const properties: Options.Publish = { contentType: 'application/json', persistent: true };
    let body: Buffer = Buffer.from(JSON.stringify({ file: `${fuzzId}.dat` }));
    const defects: string[] = [];
    let knownIssue: string | undefined;
    const contractHeaders = [Header.tenant, Header.requestId, Header.owner, Header.session, Header.contentType];
    const defectCount = r.int(1, 2);
    for (let d = 0; d < defectCount; d += 1) {
      const choice = r.int(0, 13);
      const header = r.pick(contractHeaders);
      switch (choice) {
        case 0:
          delete headers[header];
          defects.push(`header ${header}: missing`);
          break;
        case 1:
        case 2: {
          const wrong = wrongTyped(r, fuzzId);
          headers[header] = wrong.value;
          defects.push(`header ${header}: ${wrong.label}`);
          break;
        }
        case 3:
          headers[header] = hugeText(r);
          defects.push(`header ${header}: huge text`);
          break;
        case 4:
          headers['x-deep'] = deepTable(r.int(50, 200));
          defects.push('extra header: deep table');
          break;
        case 5: {
          const text = r.pick(UNICODE);
          const target = r.pick([Header.tenant, Header.requestId, Header.contentType]);
          headers[target] = target === Header.requestId ? `${fuzzId}-${text}` : text;
          defects.push(`header ${target}: unicode ${JSON.stringify(text)}`);
          break;
        }
        case 6:
          body = r.bytes(r.int(1, 2_000));
          defects.push('body: random bytes, not JSON');
          break;
        case 7:
          body = Buffer.alloc(0);
          defects.push('body: empty');
          break;
        case 8:
          body = Buffer.from(
            Buffer.from(JSON.stringify({ file: `${fuzzId}.dat` }))
              .toString('base64')
              .slice(0, 13),
          );
          defects.push('body: truncated base64');
          break;
        case 9: {
          const size = r.pick(FAULTS_LONG ? [300 * 1024, 3 * 1024 * 1024, 10 * 1024 * 1024] : [300 * 1024, 3 * 1024 * 1024]);
          body = Buffer.from(JSON.stringify({ file: `${fuzzId}.dat`, padding: 'p'.repeat(size) }));
          defects.push(`body: oversized ${Math.round(size / 1024)} KB`);
          if (size >= 10 * 1024 * 1024) knownIssue = 'a 10 MB request is dead-lettered without a reason header (being fixed elsewhere)';
          break;
        }
        case 10:
          body = Buffer.from(deepJson(r.int(1_000, 5_000)));
          defects.push('body: deeply nested JSON');
          break;
        case 11:
          properties.timestamp = YEAR_10000 + r.int(1, 10_000_000);
          defects.push('property timestamp: after year 9999');
          break;
        case 12:
          headers[Header.contentType] = `unknown-${r.int(0, 1_000)}`;
          defects.push('content type: not configured');
          break;
        case 13:
          headers[Header.tenant] = `undeclared-${r.int(0, 1_000)}`;
          defects.push('tenant: never declared');
          break;
      }
    }
    const tenant = headers[Header.tenant];
    const requestId = headers[Header.requestId];
    // The contract reads a finite number as its text, as senders in other languages write ids.
    const text = (value: unknown): string | undefined =>
      Buffer.isBuffer(value)
        ? value.toString('utf8')
        : isTimestamp(value)
          ? String(value.value) // the event source carries a timestamp header as its seconds
          : typeof value === 'string' && value.trim() !== ''
            ? Buffer.from(value.trim(), 'utf8').toString('utf8') // a lone surrogate travels as U+FFFD
            : typeof value === 'number' && Number.isFinite(value)
              ? String(value)
              : undefined;
    const answerTenant = text(tenant);
    const answerId = text(requestId);
    return {
      fuzzId,
      kind: 'request',
      defects,
      exchange: names.requestExchange,
      routingKey: '',
      body,
      properties: { ...properties, headers },
      ...(answerTenant !== undefined && answerId !== undefined ? { answerKey: `${answerTenant}/${answerId}` } : {}),
      ...(knownIssue === undefined ? {} : { knownIssue }),
    };
  }

  private workerResponse(fuzzId: string): BadMessage {
    const r = this.random;
    const { names, tenants, validIds } = this.context;
    // A valid request may be named only by a response no reader accepts (a bad status), so that
    // the valid traffic's answers stay what they would be without the noise.
    const namesValid = validIds.length > 0 && r.chance(0.3);
    const headers: Record<string, HeaderValue> = {
      [Header.tenant]: r.pick(tenants),
      [Header.requestId]: namesValid ? r.pick(validIds) : fuzzId,
      [FUZZ_ID_HEADER]: fuzzId,
    };
    const defects: string[] = [];
    let body: string | Buffer;
    if (namesValid) {
      const status = r.pick<unknown>(['DONE', 'success', 42, null, ['SUCCESS'], '']);
      body = JSON.stringify({ status, messages: [], additionalHeaders: {} });
      defects.push(`status ${JSON.stringify(status)} for a valid in-flight request`);
    } else {
      switch (r.int(0, 9)) {
        case 0:
          body = r.bytes(r.int(1, 500));
          defects.push('body: random bytes');
          break;
        case 1:
          body = JSON.stringify({ status: 'FINISHED' });
          defects.push('status: unknown');
          break;
        case 2:
          body = '{}';
          defects.push('status: missing');
          break;
        case 3:
          body = JSON.stringify({ status: 'SUCCESS', content: '@@@not base64@@@' });
          defects.push('content: not base64');
          break;
        case 4:
          body = JSON.stringify({ status: 'SUCCESS', content: 12 });
          defects.push('content: a number');
          break;
        case 5:
          body = JSON.stringify({ status: 'ERROR', messages: 'not a list' });
          defects.push('messages: not a list');
          break;
        case 6:
          body = JSON.stringify({
            status: 'SUCCESS',
            additionalHeaders: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`h${i}`, 'v'.repeat(500)])),
          });
          defects.push('additionalHeaders: 200 of 500 chars');
          break;
        case 7:
          delete headers[r.pick([Header.tenant, Header.requestId])];
          body = JSON.stringify({ status: 'SUCCESS' });
          defects.push('header: tenant or request id missing');
          break;
        case 8: {
          const wrong = wrongTyped(r, fuzzId);
          headers[Header.requestId] = wrong.value;
          body = JSON.stringify({ status: 'SUCCESS' });
          defects.push(`header ${Header.requestId}: ${wrong.label}`);
          break;
        }
        default:
          headers[Header.dispatchAttempt] = r.pick<unknown>(['abc', -1, 1.5, { a: 1 }]);
          body = deepJson(2_000);
          defects.push('body: deeply nested JSON, dispatch attempt wrong');
          break;
      }
    }
    return {
      fuzzId,
      kind: 'worker-response',
      defects,
      exchange: names.workerResponse,
      routingKey: 'fuzz',
      body: Buffer.isBuffer(body) ? body : Buffer.from(body),
      properties: { headers, contentType: 'application/json', persistent: true },
    };
  }

  private workerDeadLetter(fuzzId: string): BadMessage {
    const r = this.random;
    const { names, tenants } = this.context;
    const headers: Record<string, HeaderValue> = { [Header.tenant]: r.pick(tenants), [Header.requestId]: fuzzId, [FUZZ_ID_HEADER]: fuzzId };
    const defects: string[] = [];
    switch (r.int(0, 5)) {
      case 0:
        delete headers[Header.requestId];
        defects.push('header request id: missing');
        break;
      case 1:
        delete headers[Header.tenant];
        defects.push('header tenant: missing');
        break;
      case 2: {
        const wrong = wrongTyped(r, fuzzId);
        headers[Header.tenant] = wrong.value;
        defects.push(`header tenant: ${wrong.label}`);
        break;
      }
      case 3:
        headers[Header.death] = 'not a list';
        headers[Header.requestId] = { '!': 'timestamp', value: YEAR_10000 };
        defects.push('x-death: text; request id: timestamp');
        break;
      case 4:
        headers[Header.exceptionStacktrace] = hugeText(r);
        headers[Header.requestId] = ['a'];
        defects.push('stack trace: huge; request id: array');
        break;
      default:
        headers[Header.requestId] = 'r'.repeat(1_000);
        defects.push('request id: 1,000 characters');
        break;
    }
    return {
      fuzzId,
      kind: 'worker-dead-letter',
      defects,
      exchange: names.workerDeadLetter,
      routingKey: '',
      body: r.bytes(r.int(0, 300)),
      properties: { headers, persistent: true },
    };
  }

  private heartbeat(fuzzId: string): BadMessage {
    const r = this.random;
    const { names, tenants } = this.context;
    const bodies: [string, string | Buffer][] = [
      ['random bytes', r.bytes(r.int(1, 300))],
      ['empty object', '{}'],
      ['id and type of wrong types', JSON.stringify({ id: 1, type: ['x'], heartBeatDate: new Date().toISOString() })],
      ['date text', JSON.stringify({ id: fuzzId, type: `fuzz-${fuzzId}`, heartBeatDate: 'yesterday' })],
      ['date after year 9999', JSON.stringify({ id: fuzzId, type: `fuzz-${fuzzId}`, heartBeatDate: '+010000-01-01T00:00:00Z' })],
      ['huge', JSON.stringify({ id: fuzzId, type: 't'.repeat(100_000), heartBeatDate: new Date().toISOString() })],
      ['deeply nested JSON', deepJson(3_000)],
    ];
    const [defect, body] = r.pick(bodies);
    return {
      fuzzId,
      kind: 'heartbeat',
      defects: [`body: ${defect}`],
      exchange: names.heartbeatExchange,
      routingKey: 'worker.heartbeat',
      body: Buffer.isBuffer(body) ? body : Buffer.from(body),
      properties: { headers: { [Header.tenant]: r.pick(tenants), [FUZZ_ID_HEADER]: fuzzId }, contentType: 'application/json', persistent: false },
    };
  }
}
