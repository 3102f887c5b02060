import type { SearchRequestParameters, SearchSort } from '../../contract/search-request-parameters.js';
import { REQUEST_STATUSES } from '../../contract/status.js';
import type { RequestStore } from '../../ports/request-store.js';
import { toRequestSearch, type RequestSearch, type RequestSummary } from '../../domain/request/request-search.js';
import { PageOutOfRangeError, SortTooCostlyError } from './use-case-errors.js';

// admin-api POST /requests --> (use case) --> RequestStore.search

/*
 * The store pages by cursor; REGARDS clients page by number and want a total. Both are served:
 * a page number walks to its offset (bounded), and the total is counted by walking the rest of the
 * index (bounded too: past the bound it is a lower bound and says so). A caller that follows
 * `nextCursor` gets the total counted once, carried in its cursor, and pays only for its pages.
 */

/** Index entries one store call reads at most. */
export const SEARCH_MAX_EXAMINED = 2_000;
/** Store calls to fill one page (a selective filter may need several). */
export const PAGE_MAX_CALLS = 10;
/** Store calls to count what is left after the page: about 20,000 index entries. */
export const COUNT_MAX_CALLS = 10;
/** Furthest offset a page number reaches; past it the cursor is the way. */
export const MAX_PAGE_OFFSET = 10_000;
const SKIP_CHUNK = 1_000;
/** Most matches a sort the index cannot give is done on, in memory: a few MB of index entries read per page. */
export const SORT_MAX_MATCHES = 10_000;
/** Store calls to gather them: about 20,000 index entries examined. */
export const SORT_MAX_CALLS = 10;

export interface SearchRequestsQuery {
  /** From the verified token, never from the body. */
  tenant: string;
  parameters: SearchRequestParameters;
  order: 'asc' | 'desc';
  /** Spring's sort, in order; when given it replaces `order` (which is creationDate's direction). */
  sort?: readonly SearchSort[] | undefined;
  size: number;
  /** 0-based page number; ignored when `resume` is given. */
  page: number;
  /** Where the previous page ended, with what it already knew. */
  resume?: SearchResume | undefined;
}

export interface SearchResume {
  storeCursor: string;
  /** Sorted by status: the status whose entries the cursor walks (0 when absent). */
  segment?: number | undefined;
  pageNumber: number;
  total: number;
  totalExact: boolean;
}

export interface SearchRequestsResult {
  items: RequestSummary[];
  pageNumber: number;
  size: number;
  totalElements: number;
  /** False when the count stopped at its bound: totalElements is then a lower bound. */
  totalExact: boolean;
  /** To resume after this page; absent on the last one. */
  next?: SearchResume;
}

export interface SearchRequestsDeps {
  requests: RequestStore;
}

/**
 * How a sort is served. Sorted by creationDate (the default), one walk of the index in that
 * direction. Sorted by status first (then creationDate), one walk per status, in the name order of
 * the statuses (as REGARDS' database orders its text column), each by creation date: still the
 * index, no more reads than a creationDate sort. Any other property: every match is read (in index
 * order, at most SORT_MAX_MATCHES) and sorted in memory, then paged by number.
 */
function plan(query: SearchRequestsQuery): { segments: RequestSearch[] } | { inMemory: readonly SearchSort[] } {
  const [first, second] = query.sort ?? [];
  if (first === undefined || first.property === 'creationDate') {
    return { segments: [toRequestSearch(query.parameters, first?.direction ?? query.order)] };
  }
  if (first.property === 'status' && (second === undefined || second.property === 'creationDate')) {
    const search = toRequestSearch(query.parameters, second?.direction ?? 'asc');
    const statuses = REQUEST_STATUSES.filter((status) => search.statuses.includes(status)).sort();
    if (first.direction === 'desc') statuses.reverse();
    return { segments: statuses.map((status) => ({ ...search, statuses: [status] })) };
  }
  return { inMemory: query.sort ?? [] };
}

interface Position {
  segment: number;
  cursor: string | undefined;
}

/** Up to `limit` matches from `at` on, walking the segments in turn, in at most `maxCalls` store calls. */
async function take(deps: SearchRequestsDeps, tenant: string, segments: readonly RequestSearch[], at: Position, limit: number, maxCalls: number) {
  const items: RequestSummary[] = [];
  let { segment, cursor } = at;
  for (let calls = 0; segment < segments.length && items.length < limit && calls < maxCalls; calls += 1) {
    const page = await deps.requests.search(tenant, segments[segment] as RequestSearch, {
      limit: limit - items.length,
      cursor,
      maxExamined: SEARCH_MAX_EXAMINED,
    });
    items.push(...page.items);
    cursor = page.cursor;
    if (cursor === undefined) segment += 1;
  }
  return { items, at: { segment, cursor }, exhausted: segment >= segments.length };
}

export async function searchRequests(query: SearchRequestsQuery, deps: SearchRequestsDeps): Promise<SearchRequestsResult> {
  const { tenant, size } = query;
  const how = plan(query);
  if ('inMemory' in how) return sortedInMemory(query, how.inMemory, deps);
  const { segments } = how;
  const pageNumber = query.resume?.pageNumber ?? query.page;
  // An empty store cursor resumes at the start of its segment.
  let at: Position = { segment: query.resume?.segment ?? 0, cursor: query.resume?.storeCursor || undefined };
  let before = 0;
  let exhausted = at.segment >= segments.length;

  if (query.resume === undefined && query.page > 0) {
    const offset = query.page * size;
    if (offset > MAX_PAGE_OFFSET) {
      throw new PageOutOfRangeError(`page ${query.page} starts at offset ${offset}, beyond ${MAX_PAGE_OFFSET}: follow nextCursor to page further`);
    }
    while (before < offset && !exhausted) {
      const skipped = await take(deps, tenant, segments, at, Math.min(SKIP_CHUNK, offset - before), 1);
      before += skipped.items.length;
      ({ at, exhausted } = skipped);
    }
  }

  const page = exhausted ? { items: [], at, exhausted } : await take(deps, tenant, segments, at, size, PAGE_MAX_CALLS);
  const items = page.items;
  ({ at, exhausted } = page);

  let totalElements: number;
  let totalExact: boolean;
  if (query.resume !== undefined) {
    // Counted when the listing started; requests that arrived since are not in it.
    ({ total: totalElements, totalExact } = query.resume);
    totalElements = Math.max(totalElements, pageNumber * size + items.length);
  } else {
    const rest = exhausted ? { count: 0, exact: true } : await countRest(deps.requests, tenant, segments, at);
    totalElements = before + items.length + rest.count;
    totalExact = rest.exact;
  }

  const next = exhausted ? undefined : { storeCursor: at.cursor ?? '', pageNumber: pageNumber + 1, total: totalElements, totalExact };
  return {
    items,
    pageNumber,
    size,
    totalElements,
    totalExact,
    ...(next === undefined ? {} : { next: at.segment === 0 ? next : { ...next, segment: at.segment } }),
  };
}

/** What is left from `at` on over the segments, within one COUNT_MAX_CALLS budget. */
async function countRest(requests: RequestStore, tenant: string, segments: readonly RequestSearch[], at: Position): Promise<{ count: number; exact: boolean }> {
  let count = 0;
  let calls = COUNT_MAX_CALLS;
  for (let segment = at.segment; segment < segments.length; segment += 1) {
    if (calls <= 0) return { count, exact: false };
    const part = await countMatches(requests, tenant, segments[segment] as RequestSearch, segment === at.segment ? at.cursor : undefined, calls);
    count += part.count;
    if (!part.exact) return { count, exact: false };
    calls -= part.calls;
  }
  return { count, exact: true };
}

/** Every match, sorted as asked and paged by number; refused past SORT_MAX_MATCHES rather than sorted wrong. */
async function sortedInMemory(query: SearchRequestsQuery, sort: readonly SearchSort[], deps: SearchRequestsDeps): Promise<SearchRequestsResult> {
  const all = await take(
    deps,
    query.tenant,
    [toRequestSearch(query.parameters, 'asc')],
    { segment: 0, cursor: undefined },
    SORT_MAX_MATCHES + 1,
    SORT_MAX_CALLS,
  );
  const described = sort.map((key) => `${key.property},${key.direction.toUpperCase()}`).join(' ');
  if (!all.exhausted || all.items.length > SORT_MAX_MATCHES) {
    throw new SortTooCostlyError(
      `sorting by ${described} reads and sorts every match in memory, at most ${SORT_MAX_MATCHES}; this filter matches more: narrow it, or sort by creationDate or status (the index's orders)`,
    );
  }
  const items = all.items.sort((a, b) => compareBy(a, b, sort));
  const pageNumber = query.resume?.pageNumber ?? query.page;
  return {
    items: items.slice(pageNumber * query.size, (pageNumber + 1) * query.size),
    pageNumber,
    size: query.size,
    totalElements: items.length,
    totalExact: true,
  };
}

/** As a database orders them: nulls last ascending (first descending), ties broken by creation date then request id. */
function compareBy(a: RequestSummary, b: RequestSummary, sort: readonly SearchSort[]): number {
  for (const { property, direction } of [
    ...sort,
    { property: 'creationDate', direction: 'asc' } as const,
    { property: 'requestId', direction: 'asc' } as const,
  ]) {
    const left = property === 'creationDate' ? Date.parse(a.creationDate) : a[property];
    const right = property === 'creationDate' ? Date.parse(b.creationDate) : b[property];
    if (left === right) continue;
    const order = left === null ? 1 : right === null ? -1 : left < right ? -1 : 1;
    return direction === 'asc' ? order : -order;
  }
  return 0;
}

/** Matches from `cursor` on, at most COUNT_MAX_CALLS store calls; `exact` false when it stopped early. */
export async function countMatches(
  requests: RequestStore,
  tenant: string,
  search: RequestSearch,
  cursor: string | undefined,
  maxCalls = COUNT_MAX_CALLS,
): Promise<{ count: number; exact: boolean; calls: number }> {
  let count = 0;
  let at = cursor;
  for (let calls = 1; calls <= maxCalls; calls += 1) {
    const page = await requests.search(tenant, search, { limit: SEARCH_MAX_EXAMINED, cursor: at, maxExamined: SEARCH_MAX_EXAMINED });
    count += page.items.length;
    at = page.cursor;
    if (at === undefined) return { count, exact: true, calls };
  }
  return { count, exact: false, calls: maxCalls };
}
