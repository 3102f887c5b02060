import { describe, expect, it } from 'vitest';
import {
  CLIENT_REQUEST_LIMITS,
  ClientRequestSchema,
  missingHeaderMessage,
  readClientRequestHeaders,
  type ClientRequestReading,
} from '../../../shared/contract/client-request.js';
import { normalizeAmazonMqEvent } from '../../../shared/contract/amazon-mq-event.js';
import type { Headers } from '../../../shared/contract/headers.js';
import { loadFixture } from './fixtures/load.js';

const VALID: Headers = {
  'regards.tenant': 'project1',
  'regards.request.id': 'req-001',
  'regards.request.owner': 'owner',
  'regards.request.session': 'session-1',
  'regards.request.content_type': 'to-extract',
};

function without(name: string, headers: Headers = VALID): Headers {
  const copy = { ...headers };
  delete copy[name];
  return copy;
}

function problemsOf(reading: ClientRequestReading): string[] {
  return reading.kind === 'valid' ? [] : reading.problems.map((p) => p.message);
}

describe('readClientRequestHeaders', () => {
  it('reads the headers of the real-shaped client request', () => {
    const [message] = normalizeAmazonMqEvent(loadFixture('amazon-mq-event.json')).messages;
    expect(readClientRequestHeaders(message?.headers ?? {})).toEqual({
      kind: 'valid',
      request: { tenant: 'project1', requestId: 'req-001', owner: 'Sébastien', session: 'session-2024-08-02', contentType: 'to-extract' },
    });
  });

  it('trims every value', () => {
    const reading = readClientRequestHeaders({ ...VALID, 'regards.request.owner': '  owner\t', 'regards.tenant': ' project1 ' });
    expect(reading).toEqual({ kind: 'valid', request: { ...ClientRequestSchema.parse({ ...toFields(VALID) }) } });
  });

  it('accepts a request id that arrives as a number, as its text', () => {
    const reading = readClientRequestHeaders({ ...VALID, 'regards.request.id': 42 });
    expect(reading.kind === 'valid' && reading.request.requestId).toBe('42');
  });

  it.each([
    ['regards.request.owner', '<regards.request.owner> property is missing from request message headers'],
    ['regards.request.session', '<regards.request.session> property is missing from request message headers'],
    ['regards.request.content_type', '<regards.request.content_type> property is missing from request message headers'],
  ])('answers a missing %s with the reference text', (header, message) => {
    const reading = readClientRequestHeaders(without(header));
    expect(reading.kind).toBe('invalid');
    expect(problemsOf(reading)).toEqual([message]);
  });

  it('treats an empty or blank value as missing', () => {
    const reading = readClientRequestHeaders({ ...VALID, 'regards.request.session': '', 'regards.request.owner': '   ' });
    expect(problemsOf(reading)).toEqual([missingHeaderMessage('regards.request.owner'), missingHeaderMessage('regards.request.session')]);
  });

  it('collects every problem of one message, and keeps the usable values for the SKIPPED response', () => {
    const reading = readClientRequestHeaders({
      'regards.tenant': 'project1',
      'regards.request.id': 'req-9',
      'regards.request.session': 's',
    });
    expect(reading).toEqual({
      kind: 'invalid',
      tenant: 'project1',
      requestId: 'req-9',
      session: 's',
      problems: [
        { header: 'regards.request.owner', kind: 'missing', message: missingHeaderMessage('regards.request.owner') },
        { header: 'regards.request.content_type', kind: 'missing', message: missingHeaderMessage('regards.request.content_type') },
      ],
    });
  });

  it('cannot answer a request without a tenant', () => {
    const reading = readClientRequestHeaders(without('regards.tenant'));
    expect(reading).toEqual({
      kind: 'unanswerable',
      requestId: 'req-001',
      problems: [{ header: 'regards.tenant', kind: 'missing', message: missingHeaderMessage('regards.tenant') }],
    });
  });

  it('cannot answer a request without a request id, and still lists every other problem', () => {
    const reading = readClientRequestHeaders(without('regards.request.owner', without('regards.request.id')));
    expect(reading.kind).toBe('unanswerable');
    expect(reading.kind === 'unanswerable' && reading.tenant).toBe('project1');
    expect(problemsOf(reading)).toEqual([missingHeaderMessage('regards.request.id'), missingHeaderMessage('regards.request.owner')]);
  });

  it('cannot answer a message with no headers at all', () => {
    const reading = readClientRequestHeaders({});
    expect(reading).toMatchObject({ kind: 'unanswerable' });
    expect(problemsOf(reading)).toHaveLength(5);
    expect(reading).not.toHaveProperty('tenant');
    expect(reading).not.toHaveProperty('requestId');
  });

  it.each([
    ['boolean', true],
    ['table', { a: 'b' }],
    ['array', ['x']],
  ])('reports a %s value as the wrong type', (got, value) => {
    const reading = readClientRequestHeaders({ ...VALID, 'regards.request.content_type': value });
    expect(reading.kind).toBe('invalid');
    expect(reading.kind !== 'valid' && reading.problems).toEqual([
      {
        header: 'regards.request.content_type',
        kind: 'wrong-type',
        message: `<regards.request.content_type> property of request message headers must be a string, not ${got === 'table' ? 'object' : got}`,
      },
    ]);
  });

  it('cannot answer a request id of the wrong type', () => {
    expect(readClientRequestHeaders({ ...VALID, 'regards.request.id': false }).kind).toBe('unanswerable');
  });

  it.each([
    ['regards.request.owner', CLIENT_REQUEST_LIMITS.owner],
    ['regards.request.session', CLIENT_REQUEST_LIMITS.session],
    ['regards.request.content_type', CLIENT_REQUEST_LIMITS.contentType],
  ])('refuses a %s longer than %d characters and accepts one at the limit', (header, max) => {
    expect(readClientRequestHeaders({ ...VALID, [header]: 'a'.repeat(max) }).kind).toBe('valid');
    const reading = readClientRequestHeaders({ ...VALID, [header]: 'a'.repeat(max + 1) });
    expect(reading.kind).toBe('invalid');
    expect(problemsOf(reading)).toEqual([`<${header}> property is too long (${max + 1} characters, at most ${max} allowed)`]);
  });

  it('answers an over-long request id, echoing it so the client can correlate', () => {
    const id = 'r'.repeat(256);
    const reading = readClientRequestHeaders({ ...VALID, 'regards.request.id': id });
    expect(reading).toMatchObject({ kind: 'invalid', requestId: id, tenant: 'project1' });
    expect(problemsOf(reading)).toEqual(['<regards.request.id> property is too long (256 characters, at most 255 allowed)']);
  });

  it('cannot answer an over-long tenant, which no served tenant can match', () => {
    expect(readClientRequestHeaders({ ...VALID, 'regards.tenant': 't'.repeat(128) }).kind).toBe('valid');
    const reading = readClientRequestHeaders({ ...VALID, 'regards.tenant': 't'.repeat(129) });
    expect(reading.kind).toBe('unanswerable');
    expect(reading).not.toHaveProperty('tenant');
    expect(problemsOf(reading)[0]).toContain('too long (129 characters, at most 128 allowed)');
  });

  it('measures the limit after trimming', () => {
    expect(readClientRequestHeaders({ ...VALID, 'regards.request.owner': ` ${'a'.repeat(255)} ` }).kind).toBe('valid');
  });
});

describe('ClientRequestSchema', () => {
  it('holds the same limits as the reader', () => {
    expect(ClientRequestSchema.safeParse({ ...toFields(VALID), tenant: 't'.repeat(129) }).success).toBe(false);
    expect(ClientRequestSchema.safeParse({ ...toFields(VALID), contentType: '' }).success).toBe(false);
    expect(ClientRequestSchema.safeParse(toFields(VALID)).success).toBe(true);
  });
});

function toFields(headers: Headers) {
  return {
    tenant: headers['regards.tenant'],
    requestId: headers['regards.request.id'],
    owner: headers['regards.request.owner'],
    session: headers['regards.request.session'],
    contentType: headers['regards.request.content_type'],
  };
}
