import type { SearchRequestParameters } from '../../contract/search-request-parameters.js';
import type { RequestStore } from '../../ports/request-store.js';
import { toRequestSearch, type RequestSearch, type RequestSummary } from '../../domain/request/request-search.js';
import { PageOutOfRangeError } from './use-case-errors.js';

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

export interface SearchRequestsQuery {
  /** From the verified token, never from the body. */
  tenant: string;
  parameters: SearchRequestParameters;
  order: 'asc' | 'desc';
  size: number;
  /** 0-based page number; ignored when `resume` is given. */
  page: number;
  /** Where the previous page ended, with what it already knew. */
  resume?: SearchResume | undefined;
}

export interface SearchResume {
  storeCursor: string;
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

export async function searchRequests(query: SearchRequestsQuery, deps: SearchRequestsDeps): Promise<SearchRequestsResult> {
  const { tenant, size } = query;
  const search = toRequestSearch(query.parameters, query.order);
  const pageNumber = query.resume?.pageNumber ?? query.page;
  let cursor = query.resume?.storeCursor;
  let before = 0;
  let exhausted = false;

  if (query.resume === undefined && query.page > 0) {
    const offset = query.page * size;
    if (offset > MAX_PAGE_OFFSET) {
      throw new PageOutOfRangeError(`page ${query.page} starts at offset ${offset}, beyond ${MAX_PAGE_OFFSET}: follow nextCursor to page further`);
    }
    while (before < offset && !exhausted) {
      const skipped = await deps.requests.search(tenant, search, { limit: Math.min(SKIP_CHUNK, offset - before), cursor, maxExamined: SEARCH_MAX_EXAMINED });
      before += skipped.items.length;
      cursor = skipped.cursor;
      exhausted = cursor === undefined;
    }
  }

  const items: RequestSummary[] = [];
  for (let calls = 0; !exhausted && items.length < size && calls < PAGE_MAX_CALLS; calls += 1) {
    const page = await deps.requests.search(tenant, search, { limit: size - items.length, cursor, maxExamined: SEARCH_MAX_EXAMINED });
    items.push(...page.items);
    cursor = page.cursor;
    exhausted = cursor === undefined;
  }

  let totalElements: number;
  let totalExact: boolean;
  if (query.resume !== undefined) {
    // Counted when the listing started; requests that arrived since are not in it.
    ({ total: totalElements, totalExact } = query.resume);
    totalElements = Math.max(totalElements, pageNumber * size + items.length);
  } else {
    const rest = exhausted ? { count: 0, exact: true } : await countMatches(deps.requests, tenant, search, cursor);
    totalElements = before + items.length + rest.count;
    totalExact = rest.exact;
  }

  return {
    items,
    pageNumber,
    size,
    totalElements,
    totalExact,
    ...(exhausted || cursor === undefined ? {} : { next: { storeCursor: cursor, pageNumber: pageNumber + 1, total: totalElements, totalExact } }),
  };
}

/** Matches from `cursor` on, at most COUNT_MAX_CALLS store calls; `exact` false when it stopped early. */
export async function countMatches(
  requests: RequestStore,
  tenant: string,
  search: RequestSearch,
  cursor: string | undefined,
  maxCalls = COUNT_MAX_CALLS,
): Promise<{ count: number; exact: boolean }> {
  let count = 0;
  let at = cursor;
  for (let calls = 0; calls < maxCalls; calls += 1) {
    const page = await requests.search(tenant, search, { limit: SEARCH_MAX_EXAMINED, cursor: at, maxExamined: SEARCH_MAX_EXAMINED });
    count += page.items.length;
    at = page.cursor;
    if (at === undefined) return { count, exact: true };
  }
  return { count, exact: false };
}
