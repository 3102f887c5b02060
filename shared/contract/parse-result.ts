import type * as z from 'zod';

/** What every contract parser returns: the typed message, or why it cannot be used. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export function parsed<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

export function rejected<T = never>(reason: string): ParseResult<T> {
  return { ok: false, reason };
}

/**
 * Every problem on one line, each naming its field, because these reasons end up in logs, dead letters and
 * admin notifications where a person has to find the culprit without the raw message.
 */
export function describeZodError(error: z.ZodError, input: unknown): string {
  return error.issues.map((issue) => describeIssue(issue, input)).join('; ');
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = issue.path.length === 0 ? 'body' : formatPath(issue.path);
  const value = valueAt(input, issue.path);
  if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
    return `${where}: is required`;
  }
  switch (issue.code) {
    case 'invalid_type':
      // zod calls a JSON object with free keys a record; people call it an object.
      return `${where}: expected ${issue.expected === 'record' ? 'object' : issue.expected}, got ${kindOf(value)}`;
    case 'invalid_value':
      return `${where}: unknown value ${preview(value)} (expected one of ${issue.values.map(String).join(', ')})`;
    case 'unrecognized_keys':
      return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out === '' ? String(key) : `${out}.${String(key)}`;
  }, '');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Enough of a rejected value to recognise it, never a whole payload. */
function preview(value: unknown): string {
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  const text = scalar ? JSON.stringify(value) : kindOf(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
