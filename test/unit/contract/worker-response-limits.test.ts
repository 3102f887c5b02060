import { describe, expect, it } from 'vitest';
import type { Headers } from '../../../shared/contract/headers.js';
import {
  MAX_ADDITIONAL_HEADER_NAME_LENGTH,
  MAX_ADDITIONAL_HEADER_VALUE_LENGTH,
  MAX_ADDITIONAL_HEADERS,
  MAX_REQUEST_ID_LENGTH,
  MAX_TENANT_LENGTH,
  MAX_WORKER_MESSAGE_LENGTH,
  MAX_WORKER_MESSAGES,
} from '../../../shared/contract/limits.js';
import { truncateText, truncateTexts } from '../../../shared/contract/truncate.js';
import { parseWorkerResponse, type WorkerResponse } from '../../../shared/contract/worker-response.js';

const HEADERS: Headers = { 'regards.tenant': 'project1', 'regards.request.id': 'req-001' };

function parse(body: unknown, headers: Headers = HEADERS) {
  return parseWorkerResponse(headers, Buffer.from(JSON.stringify(body), 'utf8'));
}

function value(body: unknown): WorkerResponse {
  const read = parse(body);
  if (!read.ok) throw new Error(read.reason);
  return read.value;
}

describe('truncateText', () => {
  it('leaves a text within its limit alone', () => {
    expect(truncateText('abc', 3)).toBe('abc');
  });

  it('cuts a longer text to the limit, marker included, and says how much went', () => {
    const cut = truncateText('x'.repeat(20_000), 100);
    expect(cut).toHaveLength(100);
    const kept = cut.indexOf('…');
    const dropped = Number(/truncated ([\d,]+) characters\]$/.exec(cut)?.[1]?.replaceAll(',', ''));
    expect(kept + dropped).toBe(20_000);
  });

  it('keeps at most the given number of texts, counting the dropped ones in the last', () => {
    expect(truncateTexts(['a', 'b', 'c', 'd'], 3, 10)).toEqual(['a', 'b', '… [2 more messages dropped]']);
  });
});

describe('worker response limits', () => {
  it('refuses a tenant or request id longer than a client request may have: no stored request can match it', () => {
    const longId = parse({ status: 'RUNNING' }, { ...HEADERS, 'regards.request.id': 'r'.repeat(MAX_REQUEST_ID_LENGTH + 1) });
    const longTenant = parse({ status: 'RUNNING' }, { ...HEADERS, 'regards.tenant': 't'.repeat(MAX_TENANT_LENGTH + 1) });
    expect(longId).toEqual({
      ok: false,
      reason: `header regards.request.id is too long (${MAX_REQUEST_ID_LENGTH + 1} characters, at most ${MAX_REQUEST_ID_LENGTH} allowed)`,
    });
    expect(longTenant).toEqual({
      ok: false,
      reason: `header regards.tenant is too long (${MAX_TENANT_LENGTH + 1} characters, at most ${MAX_TENANT_LENGTH} allowed)`,
    });
  });

  it('accepts ids at their limits', () => {
    const read = parse({ status: 'RUNNING' }, { 'regards.tenant': 't'.repeat(MAX_TENANT_LENGTH), 'regards.request.id': 'r'.repeat(MAX_REQUEST_ID_LENGTH) });
    expect(read.ok).toBe(true);
  });

  it('keeps an over-long message, truncated with a marker', () => {
    const [message] = value({ status: 'ERROR', messages: ['e'.repeat(1_000_000)] }).messages;
    expect(message).toHaveLength(MAX_WORKER_MESSAGE_LENGTH);
    expect(message).toMatch(/^e+… \[truncated 99\d,\d{3} characters\]$/);
  });

  it('keeps the first messages past their count, saying how many were dropped', () => {
    const messages = value({ status: 'RUNNING', messages: Array.from({ length: 200 }, (_, i) => `m${i}`) }).messages;
    expect(messages).toHaveLength(MAX_WORKER_MESSAGES);
    expect(messages.at(-2)).toBe(`m${MAX_WORKER_MESSAGES - 2}`);
    expect(messages.at(-1)).toBe(`… [${200 - MAX_WORKER_MESSAGES + 1} more messages dropped]`);
  });

  it('keeps additional headers within every limit', () => {
    const headers = Object.fromEntries(Array.from({ length: MAX_ADDITIONAL_HEADERS }, (_, i) => [`h${i}`, 'v'.repeat(400)]));
    const read = value({ status: 'SUCCESS', additionalHeaders: headers });
    expect(read.additionalHeaders).toEqual(headers);
    expect(read.additionalHeadersRefused).toBeUndefined();
  });

  it.each([
    ['too many', Object.fromEntries(Array.from({ length: MAX_ADDITIONAL_HEADERS + 1 }, (_, i) => [`h${i}`, 'v'])), /33 additional headers, at most 32/],
    ['a name too long', { ['n'.repeat(MAX_ADDITIONAL_HEADER_NAME_LENGTH + 1)]: 'v' }, /name is 257 characters long, at most 256/],
    ['a value too long', { big: 'v'.repeat(MAX_ADDITIONAL_HEADER_VALUE_LENGTH + 1) }, /header big is 4097 characters long, at most 4096/],
    ['too many bytes together', Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`h${i}`, 'v'.repeat(4000)])), /total 20010 bytes, at most 16384/],
  ])('refuses additional headers with %s, keeping the answer', (_, additionalHeaders, reason) => {
    const read = value({ status: 'SUCCESS', messages: ['done'], additionalHeaders });
    expect(read).toMatchObject({ status: 'SUCCESS', messages: ['done'], additionalHeaders: {} });
    expect(read.additionalHeadersRefused).toMatch(reason);
  });
});
