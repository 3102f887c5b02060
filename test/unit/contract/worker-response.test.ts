import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../shared/contract/contract-error.js';
import type { Headers } from '../../../shared/contract/headers.js';
import { buildWorkerResponse, parseWorkerResponse, type WorkerResponseFields } from '../../../shared/contract/worker-response.js';
import { DEFAULT_WIRE_NAMES } from '../../../shared/contract/wire-names.js';

const HEADERS: Headers = { 'regards.tenant': 'project1', 'regards.request.id': 'req-001' };
const TARGET = { exchange: DEFAULT_WIRE_NAMES.workerResponse };

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

describe('parseWorkerResponse', () => {
  it('reads a REGARDS worker SUCCESS with content, messages and additional headers', () => {
    const body = json({ status: 'SUCCESS', messages: ['done'], additionalHeaders: { 'product-type': 'L1C' }, content: 'eyJzaXAiOjF9' });
    expect(parseWorkerResponse(HEADERS, body)).toEqual({
      ok: true,
      value: {
        tenant: 'project1',
        requestId: 'req-001',
        status: 'SUCCESS',
        messages: ['done'],
        additionalHeaders: { 'product-type': 'L1C' },
        content: Buffer.from('{"sip":1}'),
      },
    });
  });

  it('defaults what Gson left out: no messages, no additional headers, no content', () => {
    const parsed = parseWorkerResponse(HEADERS, json({ status: 'RUNNING' }));
    expect(parsed.ok && parsed.value).toEqual({
      tenant: 'project1',
      requestId: 'req-001',
      status: 'RUNNING',
      messages: [],
      additionalHeaders: {},
      content: null,
    });
  });

  it('reads explicit nulls as absent', () => {
    const parsed = parseWorkerResponse(HEADERS, json({ status: 'ERROR', messages: null, additionalHeaders: null, content: null }));
    expect(parsed.ok && [parsed.value.messages, parsed.value.additionalHeaders, parsed.value.content]).toEqual([[], {}, null]);
  });

  it('decodes empty content as empty bytes, not as no content', () => {
    const parsed = parseWorkerResponse(HEADERS, json({ status: 'SUCCESS', content: '' }));
    expect(parsed.ok && parsed.value.content).toEqual(Buffer.alloc(0));
  });

  it('ignores unknown body fields', () => {
    expect(parseWorkerResponse(HEADERS, json({ status: 'RUNNING', progress: 40 })).ok).toBe(true);
  });

  it('reads the echoed dispatch attempt, as a number or as text', () => {
    const asNumber = parseWorkerResponse({ ...HEADERS, 'wm.dispatch.attempt': 3 }, json({ status: 'RUNNING' }));
    const asText = parseWorkerResponse({ ...HEADERS, 'wm.dispatch.attempt': '3' }, json({ status: 'RUNNING' }));
    expect([asNumber.ok && asNumber.value.dispatchAttempt, asText.ok && asText.value.dispatchAttempt]).toEqual([3, 3]);
  });

  it('reads a request id header that arrives as a number', () => {
    const parsed = parseWorkerResponse({ ...HEADERS, 'regards.request.id': 1234 }, json({ status: 'RUNNING' }));
    expect(parsed.ok && parsed.value.requestId).toBe('1234');
  });

  it.each([
    ['no tenant', { 'regards.request.id': 'r' }, 'header regards.tenant is missing'],
    ['an empty tenant', { ...HEADERS, 'regards.tenant': '' }, 'header regards.tenant is missing'],
    ['no request id', { 'regards.tenant': 't' }, 'header regards.request.id is missing'],
    ['a request id table', { ...HEADERS, 'regards.request.id': { a: 'b' } }, 'header regards.request.id must be a string, got object'],
    ['a fractional attempt', { ...HEADERS, 'wm.dispatch.attempt': 1.5 }, 'header wm.dispatch.attempt must be a non-negative integer, got 1.5'],
    ['a boolean attempt', { ...HEADERS, 'wm.dispatch.attempt': true }, 'header wm.dispatch.attempt must be a non-negative integer, got a boolean'],
  ])('refuses headers with %s', (_label, headers, reason) => {
    expect(parseWorkerResponse(headers, json({ status: 'RUNNING' }))).toEqual({ ok: false, reason });
  });

  it.each([
    ['a body that is not JSON', Buffer.from('SUCCESS'), /^body is not JSON/],
    ['an empty body', Buffer.alloc(0), /^body is not JSON/],
    ['truncated JSON', Buffer.from('{"status":"SUC'), /^body is not JSON/],
    ['a JSON array', json([{ status: 'SUCCESS' }]), /^body: expected object, got array$/],
    ['JSON null', json(null), /^body: expected object, got null$/],
    ['no status', json({ messages: [] }), /^status: is required$/],
    ['an unknown status', json({ status: 'DONE' }), /^status: unknown value "DONE" \(expected one of RUNNING, SUCCESS, ERROR, INVALID_CONTENT\)$/],
    ['a lower-case status', json({ status: 'success' }), /^status: unknown value "success"/],
    ['a numeric status', json({ status: 1 }), /^status: unknown value 1 /],
    ['messages that are a string', json({ status: 'ERROR', messages: 'boom' }), /^messages: expected array, got string$/],
    ['a message that is not a string', json({ status: 'ERROR', messages: ['ok', 3] }), /^messages\[1\]: expected string, got number$/],
    ['additional headers that are a list', json({ status: 'SUCCESS', additionalHeaders: ['a'] }), /^additionalHeaders: expected object, got array$/],
    ['an additional header that is a number', json({ status: 'SUCCESS', additionalHeaders: { n: 1 } }), /^additionalHeaders\.n: expected string, got number$/],
    ['content that is a number', json({ status: 'SUCCESS', content: 12 }), /^content: expected string, got number$/],
    ['content with a character outside Base64', json({ status: 'SUCCESS', content: 'eyJ9!' }), /^content: is not valid base64$/],
    ['URL-safe Base64 content', json({ status: 'SUCCESS', content: 'ab-_' }), /^content: is not valid base64$/],
    ['content with whitespace', json({ status: 'SUCCESS', content: 'eyJz aXAi' }), /^content: is not valid base64$/],
    ['content with misplaced padding', json({ status: 'SUCCESS', content: 'ey=Jz' }), /^content: is not valid base64$/],
    ['content of an impossible length', json({ status: 'SUCCESS', content: 'eyJza' }), /^content: is not valid base64$/],
  ])('refuses %s', (_label, body, reason) => {
    const parsed = parseWorkerResponse(HEADERS, body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });

  it('lists every problem of the body at once', () => {
    const parsed = parseWorkerResponse(HEADERS, json({ status: 'DONE', messages: [1] }));
    expect(!parsed.ok && parsed.reason.split('; ')).toHaveLength(2);
  });

  it('accepts Base64 without padding, as java.util.Base64 does', () => {
    const parsed = parseWorkerResponse(HEADERS, json({ status: 'SUCCESS', content: 'eyJzaXAiOjF9'.slice(0, 10) }));
    expect(parsed.ok && parsed.value.content).toEqual(Buffer.from('eyJzaXAiOj', 'base64'));
  });
});

describe('buildWorkerResponse', () => {
  const FIELDS: WorkerResponseFields = {
    tenant: 'project1',
    requestId: 'req-001',
    dispatchAttempt: 5,
    status: 'SUCCESS',
    messages: ['done'],
    additionalHeaders: { 'product-type': 'L1C' },
    content: Buffer.from([0, 255, 1, 128]),
  };

  it('addresses the response exchange with the request headers and a JSON body', () => {
    const message = buildWorkerResponse({ ...TARGET, appId: 'extract-worker' }, FIELDS);
    expect(message.exchange).toBe('regards.worker.manager.response');
    expect(message.routingKey).toBe('');
    expect(message.headers).toEqual({ 'regards.tenant': 'project1', 'regards.request.id': 'req-001', 'wm.dispatch.attempt': 5 });
    expect(message.properties).toEqual({ contentType: 'application/json', persistent: true, appId: 'extract-worker' });
    expect(JSON.parse(Buffer.from(message.body).toString('utf8'))).toEqual({
      status: 'SUCCESS',
      messages: ['done'],
      additionalHeaders: { 'product-type': 'L1C' },
      content: 'AP8BgA==',
    });
  });

  it('round-trips through parseWorkerResponse, binary content included', () => {
    const message = buildWorkerResponse(TARGET, FIELDS);
    expect(parseWorkerResponse(message.headers, message.body)).toEqual({
      ok: true,
      value: { ...FIELDS, content: Buffer.from([0, 255, 1, 128]) },
    });
  });

  it('round-trips a bare RUNNING without attempt or content', () => {
    const message = buildWorkerResponse({ ...TARGET, routingKey: 'extract-worker' }, { tenant: 't', requestId: 'r', status: 'RUNNING' });
    expect(message.routingKey).toBe('extract-worker');
    expect(message.headers).not.toHaveProperty('wm.dispatch.attempt');
    expect(parseWorkerResponse(message.headers, message.body)).toEqual({
      ok: true,
      value: { tenant: 't', requestId: 'r', status: 'RUNNING', messages: [], additionalHeaders: {}, content: null },
    });
  });

  it.each([
    ['an unknown status', { ...FIELDS, status: 'DONE' as unknown as 'SUCCESS' }],
    ['an empty request id', { ...FIELDS, requestId: '' }],
    ['a negative attempt', { ...FIELDS, dispatchAttempt: -1 }],
    ['content that is not bytes', { ...FIELDS, content: 'text' as unknown as Uint8Array }],
  ])('refuses %s', (_label, fields) => {
    expect(() => buildWorkerResponse(TARGET, fields)).toThrow(ContractError);
  });
});
