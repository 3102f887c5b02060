import { describe, expect, it } from 'vitest';
import { headerInteger, headerString, isReservedHeader, readHeaderText } from '../../../shared/contract/headers.js';

describe('readHeaderText', () => {
  it('trims text', () => {
    expect(readHeaderText({ h: '  abc \t' }, 'h')).toEqual({ kind: 'text', value: 'abc' });
  });

  it('reads a finite number as its text', () => {
    expect(readHeaderText({ h: 42 }, 'h')).toEqual({ kind: 'text', value: '42' });
    expect(readHeaderText({ h: 1.5 }, 'h')).toEqual({ kind: 'text', value: '1.5' });
  });

  it.each([
    ['absent', {}],
    ['null', { h: null }],
    ['empty', { h: '' }],
    ['blank', { h: '  \n ' }],
  ])('calls %s missing', (_label, headers) => {
    expect(readHeaderText(headers, 'h')).toEqual({ kind: 'missing' });
  });

  it.each([
    [true, 'boolean'],
    [['a'], 'array'],
    [{ a: 'b' }, 'object'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
  ])('calls %j the wrong type', (value, got) => {
    expect(readHeaderText({ h: value }, 'h')).toEqual({ kind: 'wrong-type', got });
  });
});

describe('headerString', () => {
  it('returns the text or undefined', () => {
    expect(headerString({ h: ' x ' }, 'h')).toBe('x');
    expect(headerString({ h: 7 }, 'h')).toBe('7');
    expect(headerString({ h: false }, 'h')).toBeUndefined();
    expect(headerString({ h: ' ' }, 'h')).toBeUndefined();
  });
});

describe('headerInteger', () => {
  it.each([
    [3, 3],
    [0, 0],
    [' 12 ', 12],
    ['007', 7],
  ])('reads %j as %d', (value, expected) => {
    expect(headerInteger({ h: value }, 'h')).toBe(expected);
  });

  it.each([-1, 1.5, '1.5', '-2', 'abc', '', true, null, 2 ** 53, '99999999999999999999'])('refuses %j', (value) => {
    expect(headerInteger({ h: value }, 'h')).toBeUndefined();
  });
});

describe('isReservedHeader', () => {
  it.each(['regards.tenant', 'Regards.Request.Id', 'wm.dispatch.attempt', 'x-death', 'X-Exception-Stacktrace', 'x-last-death-reason', 'x-wm-rejection-reason'])(
    'reserves %s',
    (name) => {
      expect(isReservedHeader(name)).toBe(true);
    },
  );

  it.each(['product-id', 'regards', 'wm', 'xdeath', 'my.regards.tenant', 'x-step', 'x-trace-id'])('leaves %s to workers', (name) => {
    expect(isReservedHeader(name)).toBe(false);
  });
});
