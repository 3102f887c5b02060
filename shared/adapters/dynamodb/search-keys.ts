import * as z from 'zod';
import { fnv1a64, RequestSchema } from '../../domain/request/request.js';
import type { RequestSearch, RequestSummary } from '../../domain/request/request-search.js';
import { DEFAULT_MAX_EXAMINED } from '../../ports/request-store.js';
import { decodeCursor, encodeCursor, InvalidCursorError } from './cursor.js';
import { instant } from './request-item.js';
import { itemKey, parseStoredItem } from './stored-item.js';
import { LIGHT_REQUEST_ATTRIBUTES } from './table-definition.js';

/*
 * What the DynamoDB and memory stores share to answer a search the same way: the sort-key range of
 * the creation-date bounds, the cursor, and the projected entry as a RequestSummary.
 *
 * The cursor is ONE sort key, the last entry looked at. Both stores hand entries out in one merged
 * order over every (status, shard) partition, and always a prefix of that order, so "every entry
 * after this key" is exactly what is left, in every partition at once. It stays a few dozen bytes
 * however many partitions the search spans, and fits a query string.
 */

const SUMMARY_MASK = {
  tenant: true,
  requestId: true,
  id: true,
  contentType: true,
  source: true,
  session: true,
  creationDate: true,
  status: true,
  statusDate: true,
  dispatchedWorkerType: true,
  stepNumber: true,
  stepWorkerType: true,
  error: true,
  attempt: true,
} as const satisfies Record<(typeof LIGHT_REQUEST_ATTRIBUTES)[number], true>;

/** The index projection, read back: exactly the attributes `LIGHT_REQUEST_ATTRIBUTES` lists. */
export const RequestSummarySchema = RequestSchema.pick(SUMMARY_MASK);

/** The summary of an index entry (or of a request the memory store holds); a search reads thousands, so the key is named only if one is corrupt. */
export function toSummary(value: Record<string, unknown>): RequestSummary {
  const summary: Record<string, unknown> = {};
  for (const name of LIGHT_REQUEST_ATTRIBUTES) summary[name] = value[name];
  return parseStoredItem(RequestSummarySchema, summary, () => itemKey(value), 'request summary');
}

/** Inclusive sort-key bounds of the creation dates: `lo` starts the day, `hi` is past every `${before}#id`. */
export function searchKeyRange(search: RequestSearch): { lo?: string; hi?: string } {
  return {
    ...(search.createdAfter === undefined ? {} : { lo: instant(search.createdAfter) }),
    // '$' is the character after the '#' separator, so every key of that instant sorts below it.
    ...(search.createdBefore === undefined ? {} : { hi: `${instant(search.createdBefore)}$` }),
  };
}

/** Whether a sort key is in the search's range and strictly past the cursor's key, in the search's order. */
export function isAhead(
  sortKey: string,
  range: { lo?: string; hi?: string },
  after: string | undefined,
  order: RequestSearch['order'],
  compare: (a: string, b: string) => number,
): boolean {
  if (range.lo !== undefined && compare(sortKey, range.lo) < 0) return false;
  if (range.hi !== undefined && compare(sortKey, range.hi) > 0) return false;
  if (after === undefined) return true;
  return order === 'asc' ? compare(sortKey, after) > 0 : compare(sortKey, after) < 0;
}

const SearchCursorSchema = z.object({
  v: z.literal(1),
  /** Fingerprint of tenant + search: a cursor only resumes the listing it came from. */
  q: z.string(),
  /** Sort key of the last entry looked at. */
  k: z.string().min(1),
});

function fingerprint(tenant: string, search: RequestSearch): string {
  return fnv1a64([JSON.stringify([tenant, search])]).toString(36);
}

export function encodeSearchCursor(tenant: string, search: RequestSearch, lastKey: string): string {
  return encodeCursor({ v: 1, q: fingerprint(tenant, search), k: lastKey });
}

/** The sort key to resume after. Only sort keys of this tenant's partitions are ever queried, so a forged key reads nothing foreign. */
export function decodeSearchCursor(cursor: string, tenant: string, search: RequestSearch): string {
  const decoded = decodeCursor(cursor, SearchCursorSchema);
  if (decoded.q !== fingerprint(tenant, search)) {
    throw new InvalidCursorError('the cursor belongs to another search (the filter, order or tenant differ)');
  }
  return decoded.k;
}

/**
 * The entries a call may read. One entry per partition at least (plus the cursor's own entry,
 * read again in its partition), or a call could end before looking at anything and hand back the
 * cursor it was given: a listing that never ends.
 */
export function searchBudget(maxExamined: number | undefined, partitions: number): number {
  const wanted = maxExamined ?? DEFAULT_MAX_EXAMINED;
  if (!Number.isSafeInteger(wanted) || wanted < 1) throw new RangeError(`maxExamined must be a positive integer, got ${wanted}`);
  return Math.max(wanted, partitions + 1);
}
