import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../shared/contract/contract-error.js';
import type { Headers } from '../../../shared/contract/headers.js';
import { buildWorkItem, readWorkItemHeaders, splitAdditionalHeaders, type WorkItem } from '../../../shared/contract/work-item.js';
import { DEFAULT_WIRE_NAMES, WireNamesSchema } from '../../../shared/contract/wire-names.js';

const BODY = Buffer.from('{"productId":"S2A"}');

const ITEM: WorkItem = {
  tenant: 'project1',
  requestId: 'req-001',
  owner: 'owner',
  session: 'session-1',
  contentType: 'lta-request',
  dispatchAttempt: 2,
  body: BODY,
};

/** What a consumer sees: the published headers, as decoded header values. */
function received(headers: Record<string, string | number | boolean>): Headers {
  return { ...headers };
}

describe('buildWorkItem', () => {
  it('addresses the worker type exchange, lower-cased, with the routing key from the names', () => {
    const message = buildWorkItem(DEFAULT_WIRE_NAMES, 'LTA-Sip-Generator-Worker', ITEM);
    expect(message.exchange).toBe('regards.worker.lta-sip-generator-worker.request');
    expect(message.routingKey).toBe('#');
  });

  it('follows configured names', () => {
    const names = WireNamesSchema.parse({ workerRequestTemplate: 'wm.%s.in', workerRoutingKey: 'work', appId: 'wm-prod' });
    const message = buildWorkItem(names, 'Extract', ITEM);
    expect([message.exchange, message.routingKey, message.properties?.appId]).toEqual(['wm.extract.in', 'work', 'wm-prod']);
  });

  it('carries the five request headers, the attempt as an integer and the raw body', () => {
    const message = buildWorkItem(DEFAULT_WIRE_NAMES, 'extract-worker', ITEM);
    expect(message.headers).toEqual({
      'regards.tenant': 'project1',
      'regards.request.id': 'req-001',
      'regards.request.owner': 'owner',
      'regards.request.session': 'session-1',
      'regards.request.content_type': 'lta-request',
      'wm.dispatch.attempt': 2,
    });
    expect(message.body).toBe(BODY);
    expect(message.properties).toEqual({ contentType: 'application/json', priority: 0, appId: 'REGARDS', persistent: true });
  });

  it('adds the headers of a previous workflow step', () => {
    const message = buildWorkItem(DEFAULT_WIRE_NAMES, 'sip-worker', { ...ITEM, additionalHeaders: { 'product-type': 'L1C', checksum: 'abc' } });
    expect(message.headers).toMatchObject({ 'product-type': 'L1C', checksum: 'abc', 'regards.tenant': 'project1' });
  });

  it('never lets an additional header overwrite a reserved one', () => {
    const message = buildWorkItem(DEFAULT_WIRE_NAMES, 'sip-worker', {
      ...ITEM,
      additionalHeaders: {
        'regards.tenant': 'someone-else',
        'regards.request.id': 'hijacked',
        'Regards.Request.Owner': 'mixed-case',
        'wm.dispatch.attempt': '99',
        'x-death': 'forged',
        kept: 'yes',
      },
    });
    expect(message.headers).toEqual({
      'regards.tenant': 'project1',
      'regards.request.id': 'req-001',
      'regards.request.owner': 'owner',
      'regards.request.session': 'session-1',
      'regards.request.content_type': 'lta-request',
      'wm.dispatch.attempt': 2,
      kept: 'yes',
    });
  });

  it.each([
    ['an empty tenant', { ...ITEM, tenant: '' }],
    ['a blank owner', { ...ITEM, owner: '  ' }],
    ['a negative attempt', { ...ITEM, dispatchAttempt: -1 }],
    ['a fractional attempt', { ...ITEM, dispatchAttempt: 1.5 }],
    ['a body that is not bytes', { ...ITEM, body: 'text' as unknown as Uint8Array }],
    ['an additional header that is not text', { ...ITEM, additionalHeaders: { n: 1 } as unknown as Record<string, string> }],
  ])('refuses %s', (_label, item) => {
    expect(() => buildWorkItem(DEFAULT_WIRE_NAMES, 'w', item)).toThrow(ContractError);
  });

  it('names the faulty field in the error', () => {
    expect(() => buildWorkItem(DEFAULT_WIRE_NAMES, 'w', { ...ITEM, dispatchAttempt: -1 })).toThrow(/dispatchAttempt/);
  });

  it('refuses a blank worker type', () => {
    expect(() => buildWorkItem(DEFAULT_WIRE_NAMES, ' ', ITEM)).toThrow(ContractError);
  });
});

describe('splitAdditionalHeaders', () => {
  it('keeps the worker headers and reports the reserved ones', () => {
    expect(splitAdditionalHeaders({ a: '1', 'regards.tenant': 't', 'X-Death': 'd' })).toEqual({
      kept: { a: '1' },
      dropped: ['regards.tenant', 'X-Death'],
    });
  });
});

describe('readWorkItemHeaders', () => {
  it('reads back what buildWorkItem wrote', () => {
    const message = buildWorkItem(DEFAULT_WIRE_NAMES, 'sip-worker', { ...ITEM, additionalHeaders: { 'product-type': 'L1C' } });
    expect(readWorkItemHeaders(received(message.headers))).toEqual({
      ok: true,
      value: {
        tenant: 'project1',
        requestId: 'req-001',
        owner: 'owner',
        session: 'session-1',
        contentType: 'lta-request',
        dispatchAttempt: 2,
        additionalHeaders: { 'product-type': 'L1C' },
      },
    });
  });

  it('reads a REGARDS work item, which has no attempt', () => {
    const { 'wm.dispatch.attempt': _attempt, ...headers } = buildWorkItem(DEFAULT_WIRE_NAMES, 'w', ITEM).headers;
    const read = readWorkItemHeaders(received(headers));
    expect(read.ok).toBe(true);
    expect(read.ok && read.value).not.toHaveProperty('dispatchAttempt');
  });

  it('reads an attempt sent as text', () => {
    const headers = { ...buildWorkItem(DEFAULT_WIRE_NAMES, 'w', ITEM).headers, 'wm.dispatch.attempt': '4' };
    const read = readWorkItemHeaders(received(headers));
    expect(read.ok && read.value.dispatchAttempt).toBe(4);
  });

  it('reads a request id that arrives as a number', () => {
    const headers = { ...buildWorkItem(DEFAULT_WIRE_NAMES, 'w', ITEM).headers, 'regards.request.id': 77 };
    const read = readWorkItemHeaders(received(headers));
    expect(read.ok && read.value.requestId).toBe('77');
  });

  it.each([
    ['regards.tenant', undefined, 'header regards.tenant is missing'],
    ['regards.request.id', '', 'header regards.request.id is missing'],
    ['regards.request.owner', true, 'header regards.request.owner must be a string, got boolean'],
    ['regards.request.session', undefined, 'header regards.request.session is missing'],
    ['regards.request.content_type', ['a'], 'header regards.request.content_type must be a string, got array'],
    ['wm.dispatch.attempt', 'two', 'header wm.dispatch.attempt must be a non-negative integer, got "two"'],
    ['wm.dispatch.attempt', -3, 'header wm.dispatch.attempt must be a non-negative integer, got -3'],
  ])('refuses a work item whose %s is %j', (name, value, reason) => {
    const headers: Headers = { ...buildWorkItem(DEFAULT_WIRE_NAMES, 'w', ITEM).headers };
    if (value === undefined) delete headers[name];
    else headers[name] = value;
    expect(readWorkItemHeaders(headers)).toEqual({ ok: false, reason });
  });

  it('leaves reserved and non-text headers out of the additional headers', () => {
    const headers: Headers = { ...buildWorkItem(DEFAULT_WIRE_NAMES, 'w', ITEM).headers, 'x-death': [], flag: true, kept: 'k' };
    const read = readWorkItemHeaders(headers);
    expect(read.ok && read.value.additionalHeaders).toEqual({ kept: 'k' });
  });
});
