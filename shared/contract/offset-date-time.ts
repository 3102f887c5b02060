import * as z from 'zod';
import { ContractError } from './contract-error.js';

/*
 * Java's OffsetDateTime on the wire (reference 3.1). REGARDS writes it in UTC with microseconds;
 * it reads ISO-8601 with any offset and takes a value with no offset as UTC. Java may also leave
 * out zero seconds (`2024-08-02T09:45Z`) and write up to nanoseconds; a Date keeps milliseconds,
 * so the rest is truncated as Java's own conversion to epoch millis does.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:\d{2}(?::\d{2})?)?$/;
const MAX_OFFSET_SECONDS = 18 * 3600;

function offsetSeconds(offset: string | undefined): number | undefined {
  if (offset === undefined || offset === 'Z' || offset === 'z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hours = 0, minutes = 0, seconds = 0] = offset.slice(1).split(':').map(Number);
  if (minutes > 59 || seconds > 59) return undefined;
  const total = hours * 3600 + minutes * 60 + seconds;
  return total > MAX_OFFSET_SECONDS ? undefined : sign * total;
}

/** The instant an ISO-8601 date-time denotes; undefined when it is not one. */
export function parseOffsetDateTime(text: string): Date | undefined {
  const match = ISO.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '', offset] = match;
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const shift = offsetSeconds(offset);
  if (shift === undefined || mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 19xx.
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCDate() !== d) return undefined;
  date.setUTCHours(h, mi, s, Number(fraction.padEnd(3, '0').slice(0, 3)));
  return new Date(date.getTime() - shift * 1000);
}

/** How every date is written on the wire: UTC, `Z`, microseconds (a Date has none past the milli). */
export function formatOffsetDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new ContractError('cannot write an invalid date on the wire');
  return date.toISOString().replace(/Z$/, '000Z');
}

export const OffsetDateTimeSchema = z.string().transform((text, ctx) => {
  const date = parseOffsetDateTime(text.trim());
  if (date === undefined) {
    ctx.issues.push({ code: 'custom', message: `"${text.slice(0, 60)}" is not an ISO-8601 date-time`, input: text });
    return z.NEVER;
  }
  return date;
});
