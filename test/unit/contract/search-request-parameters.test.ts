import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeZodError } from '../../../shared/contract/parse-result.js';
import { MAX_RESTRICTION_VALUES, SearchRequestParametersSchema, valuesRestrictionSchema } from '../../../shared/contract/search-request-parameters.js';

function parse(input: unknown) {
  return SearchRequestParametersSchema.safeParse(input);
}

function reasonOf(input: unknown): string {
  const result = parse(input);
  if (result.success) throw new Error('expected a failure');
  return describeZodError(result.error, input);
}

describe('SearchRequestParametersSchema', () => {
  it('accepts an empty body: no filter at all', () => {
    expect(parse({})).toEqual({ success: true, data: {} });
  });

  it('reads a full REGARDS filter, with the restriction defaults filled in', () => {
    const result = parse({
      source: 'owner',
      session: 'session-1',
      dispatchedWorkerType: 'extract',
      contentTypes: { mode: 'INCLUDE', values: ['to-'], matchMode: 'STARTS_WITH', ignoreCase: true },
      statuses: { mode: 'INCLUDE', values: ['ERROR', 'INVALID_CONTENT'] },
      ids: { mode: 'EXCLUDE', values: [1, 2, 3] },
      creationDate: { after: '2024-08-01T00:00:00Z', before: '2024-08-02T09:45:10.662619Z' },
    });
    expect(result).toEqual({
      success: true,
      data: {
        source: 'owner',
        session: 'session-1',
        dispatchedWorkerType: 'extract',
        contentTypes: { mode: 'INCLUDE', values: ['to-'], matchMode: 'STARTS_WITH', ignoreCase: true },
        statuses: { mode: 'INCLUDE', values: ['ERROR', 'INVALID_CONTENT'], matchMode: 'STRICT', ignoreCase: false },
        ids: { mode: 'EXCLUDE', values: [1, 2, 3], matchMode: 'STRICT', ignoreCase: false },
        creationDate: { after: new Date('2024-08-01T00:00:00Z'), before: new Date('2024-08-02T09:45:10.662Z') },
      },
    });
  });

  it('reads null fields and empty text filters as no filter, as Gson does', () => {
    expect(parse({ source: null, session: '', statuses: null, creationDate: { after: null } })).toEqual({
      success: true,
      data: { creationDate: {} },
    });
  });

  it('accepts EXCLUDE with no values (excludes nothing)', () => {
    const result = parse({ statuses: { mode: 'EXCLUDE', values: [] } });
    expect(result.success && result.data.statuses?.values).toEqual([]);
  });

  it('takes a date without offset as UTC, and keeps one-sided ranges', () => {
    const result = parse({ creationDate: { before: '2024-08-02T10:00:00' } });
    expect(result.success && result.data.creationDate).toEqual({ before: new Date('2024-08-02T10:00:00Z') });
  });

  it('accepts exactly the maximum number of values', () => {
    const values = Array.from({ length: MAX_RESTRICTION_VALUES }, (_, i) => i);
    expect(parse({ ids: { mode: 'INCLUDE', values } }).success).toBe(true);
  });

  it.each([
    ['INCLUDE with empty values', { contentTypes: { mode: 'INCLUDE', values: [] } }, 'contentTypes.values: INCLUDE needs at least one value'],
    ['INCLUDE with no values', { statuses: { mode: 'INCLUDE' } }, 'statuses.values: INCLUDE needs at least one value'],
    ['no mode', { contentTypes: { values: ['a'] } }, 'contentTypes.mode: is required'],
    ['an unknown mode', { contentTypes: { mode: 'ONLY', values: ['a'] } }, 'contentTypes.mode: unknown value "ONLY" (expected one of INCLUDE, EXCLUDE)'],
    ['an unknown match mode', { contentTypes: { mode: 'INCLUDE', values: ['a'], matchMode: 'LIKE' } }, 'contentTypes.matchMode: unknown value "LIKE"'],
    ['an unknown status', { statuses: { mode: 'INCLUDE', values: ['ERROR', 'FAILED'] } }, 'statuses.values[1]: unknown value "FAILED"'],
    ['a lower-case status', { statuses: { mode: 'INCLUDE', values: ['error'] } }, 'statuses.values[0]: unknown value "error"'],
    ['ids that are text', { ids: { mode: 'INCLUDE', values: ['12'] } }, 'ids.values[0]: expected number, got string'],
    ['fractional ids', { ids: { mode: 'INCLUDE', values: [1.5] } }, 'ids.values[0]: '],
    [
      'ids matched partially',
      { ids: { mode: 'INCLUDE', values: [1], matchMode: 'STARTS_WITH' } },
      'ids.matchMode: ids can only be matched with matchMode STRICT',
    ],
    ['ignoreCase as text', { contentTypes: { mode: 'EXCLUDE', values: [], ignoreCase: 'true' } }, 'contentTypes.ignoreCase: expected boolean, got string'],
    ['values that are not a list', { contentTypes: { mode: 'INCLUDE', values: 'a' } }, 'contentTypes.values: expected array, got string'],
    ['a numeric source', { source: 12 }, 'source: expected string, got number'],
    ['a date that is not ISO-8601', { creationDate: { after: '02/08/2024' } }, 'creationDate.after: "02/08/2024" is not an ISO-8601 date-time'],
    ['an epoch date', { creationDate: { before: 1722591910 } }, 'creationDate.before: expected string, got number'],
    [
      'after later than before',
      { creationDate: { after: '2024-08-03T00:00:00Z', before: '2024-08-02T00:00:00Z' } },
      'creationDate.after: after must not be later than before',
    ],
    ['a body that is a list', [], 'body: expected object, got array'],
  ])('refuses %s', (_label, input, reason) => {
    expect(reasonOf(input)).toContain(reason);
  });

  it('refuses more than the maximum number of values', () => {
    const values = Array.from({ length: MAX_RESTRICTION_VALUES + 1 }, (_, i) => `t${i}`);
    expect(reasonOf({ contentTypes: { mode: 'EXCLUDE', values } })).toMatch(/^contentTypes\.values: /);
  });

  it('ignores unknown fields, as REGARDS (Jackson, FAIL_ON_UNKNOWN_PROPERTIES false) does', () => {
    const parsed = parse({ statusses: { mode: 'INCLUDE', values: ['ERROR'] }, creationDate: { from: '2024-08-03T00:00:00Z' }, source: 'a' });
    expect(parsed.success && parsed.data).toEqual({ source: 'a', creationDate: {} });
  });

  it('accepts equal bounds: both are inclusive', () => {
    const at = '2024-08-02T00:00:00Z';
    expect(parse({ creationDate: { after: at, before: at } }).success).toBe(true);
  });
});

describe('valuesRestrictionSchema', () => {
  it('restricts any value type', () => {
    const schema = valuesRestrictionSchema(z.enum(['a', 'b']));
    expect(schema.parse({ mode: 'INCLUDE', values: ['a'] })).toEqual({ mode: 'INCLUDE', values: ['a'], matchMode: 'STRICT', ignoreCase: false });
    expect(schema.safeParse({ mode: 'INCLUDE', values: ['c'] }).success).toBe(false);
  });
});
