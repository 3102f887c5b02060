import { describe, expect, it } from 'vitest';
import { Header, isReservedHeader, type Headers } from '../../../shared/contract/headers.js';
import { MAX_DISPATCH_TOKEN_LENGTH } from '../../../shared/contract/limits.js';
import { readDispatchToken, readRequestReference } from '../../../shared/contract/request-reference.js';
import { DEFAULT_WIRE_NAMES } from '../../../shared/contract/wire-names.js';
import { buildWorkItem, readWorkItemHeaders, splitAdditionalHeaders } from '../../../shared/contract/work-item.js';
import { parseWorkerDeadLetter } from '../../../shared/contract/worker-dead-letter.js';
import { buildWorkerResponse, parseWorkerResponse } from '../../../shared/contract/worker-response.js';
import { newDispatchToken } from '../../../shared/application/services/dispatch-token.js';

const BODY = Buffer.from(JSON.stringify({ status: 'SUCCESS' }));
const REFERENCE: Headers = { [Header.tenant]: 'project1', [Header.requestId]: 'req-001', [Header.dispatchAttempt]: 3 };

const item = {
  tenant: 'project1',
  requestId: 'req-001',
  owner: 'o',
  session: 's',
  contentType: 'c',
  dispatchAttempt: 3,
  body: Buffer.from('{}'),
};

describe('the wm.dispatch.token header', () => {
  it('is reserved, in any case', () => {
    expect(isReservedHeader(Header.dispatchToken)).toBe(true);
    expect(isReservedHeader('WM.DISPATCH.TOKEN')).toBe(true);
    expect(splitAdditionalHeaders({ [Header.dispatchToken]: 'x', keep: 'y' })).toEqual({ kept: { keep: 'y' }, dropped: [Header.dispatchToken] });
  });

  it('is read when present, and absent when missing or blank', () => {
    expect(readDispatchToken({ [Header.dispatchToken]: 'AbC-_09' })).toEqual({ ok: true, value: 'AbC-_09' });
    expect(readDispatchToken({ [Header.dispatchToken]: `  ${'a'.repeat(22)} ` })).toEqual({ ok: true, value: 'a'.repeat(22) });
    expect(readDispatchToken({})).toEqual({ ok: true, value: undefined });
    expect(readDispatchToken({ [Header.dispatchToken]: ' ' })).toEqual({ ok: true, value: undefined });
    expect(readDispatchToken({ [Header.dispatchToken]: null })).toEqual({ ok: true, value: undefined });
  });

  it(`accepts ${MAX_DISPATCH_TOKEN_LENGTH} characters and refuses one more`, () => {
    expect(readDispatchToken({ [Header.dispatchToken]: 'a'.repeat(MAX_DISPATCH_TOKEN_LENGTH) }).ok).toBe(true);
    const long = readDispatchToken({ [Header.dispatchToken]: 'a'.repeat(MAX_DISPATCH_TOKEN_LENGTH + 1) });
    expect(long).toEqual({ ok: false, reason: `header ${Header.dispatchToken} is too long (65 characters, at most 64 allowed)` });
  });

  it('refuses text that is not base64url, and values that are not text', () => {
    for (const bad of ['a+b', 'a/b', 'a=', 'a b', 'é']) {
      expect(readDispatchToken({ [Header.dispatchToken]: bad })).toEqual({ ok: false, reason: `header ${Header.dispatchToken} must be base64url text` });
    }
    expect(readDispatchToken({ [Header.dispatchToken]: true })).toEqual({ ok: false, reason: `header ${Header.dispatchToken} must be a string, got boolean` });
    expect(readDispatchToken({ [Header.dispatchToken]: ['a'] })).toMatchObject({ ok: false, reason: expect.stringMatching(/got array/) });
  });

  it('is part of a request reference, so worker responses and dead letters with a bad one are refused at the door', () => {
    expect(readRequestReference({ ...REFERENCE, [Header.dispatchToken]: 'tok' })).toEqual({
      ok: true,
      value: { tenant: 'project1', requestId: 'req-001', dispatchAttempt: 3, dispatchToken: 'tok' },
    });
    const tooLong = { ...REFERENCE, [Header.dispatchToken]: 'x'.repeat(1000) };
    expect(parseWorkerResponse(tooLong, BODY)).toMatchObject({ ok: false, reason: expect.stringMatching(/wm\.dispatch\.token is too long/) });
    expect(parseWorkerDeadLetter(tooLong)).toMatchObject({ ok: false, reason: expect.stringMatching(/wm\.dispatch\.token is too long/) });

    const response = parseWorkerResponse({ ...REFERENCE, [Header.dispatchToken]: 'tok' }, BODY);
    expect(response).toMatchObject({ ok: true, value: { dispatchAttempt: 3, dispatchToken: 'tok', status: 'SUCCESS' } });
    const letter = parseWorkerDeadLetter({ ...REFERENCE, [Header.dispatchToken]: 'tok' });
    expect(letter).toMatchObject({ ok: true, value: { dispatchAttempt: 3, dispatchToken: 'tok' } });
    const tokenless = parseWorkerResponse(REFERENCE, BODY);
    if (!tokenless.ok) throw new Error(tokenless.reason);
    expect(tokenless.value.dispatchToken).toBeUndefined();
    expect(tokenless.value.dispatchAttempt).toBe(3);
  });

  it('travels on a work item, where a step header of the same name cannot replace it, and is read back', () => {
    const built = buildWorkItem(DEFAULT_WIRE_NAMES, 'w', { ...item, dispatchToken: 'the-token', additionalHeaders: { [Header.dispatchToken]: 'forged' } });
    expect(built.headers[Header.dispatchToken]).toBe('the-token');
    expect(readWorkItemHeaders(built.headers)).toMatchObject({ ok: true, value: { dispatchAttempt: 3, dispatchToken: 'the-token', additionalHeaders: {} } });

    const legacy = buildWorkItem(DEFAULT_WIRE_NAMES, 'w', item);
    expect(Header.dispatchToken in legacy.headers).toBe(false);
    expect(() => buildWorkItem(DEFAULT_WIRE_NAMES, 'w', { ...item, dispatchToken: 'not base64url!' })).toThrow(/invalid work item/);
  });

  it('is echoed by buildWorkerResponse when given', () => {
    const message = buildWorkerResponse(
      { exchange: 'x' },
      { tenant: 'project1', requestId: 'req-001', dispatchAttempt: 3, dispatchToken: 'tok', status: 'RUNNING' },
    );
    expect(message.headers).toEqual({ [Header.tenant]: 'project1', [Header.requestId]: 'req-001', [Header.dispatchAttempt]: 3, [Header.dispatchToken]: 'tok' });
    expect(() => buildWorkerResponse({ exchange: 'x' }, { tenant: 't', requestId: 'r', dispatchToken: 'x'.repeat(65), status: 'RUNNING' })).toThrow(
      /invalid worker response/,
    );
  });

  it('is drawn as 128 random bits: 22 base64url characters, never the same twice', () => {
    const tokens = Array.from({ length: 1000 }, () => newDispatchToken());
    expect(new Set(tokens).size).toBe(1000);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(readDispatchToken({ [Header.dispatchToken]: token })).toEqual({ ok: true, value: token });
    }
  });
});
