import { describe, expect, it } from 'vitest';
import { MemoryRequestStore } from '../../../shared/adapters/memory/memory-request-store.js';
import { SearchRequestParametersSchema } from '../../../shared/contract/search-request-parameters.js';
import {
  MAX_PAGE_OFFSET,
  searchRequests,
  SEARCH_MAX_EXAMINED,
  COUNT_MAX_CALLS,
  SORT_MAX_MATCHES,
} from '../../../shared/application/use-cases/search-requests.js';
import { PageOutOfRangeError, SortTooCostlyError } from '../../../shared/application/use-cases/use-case-errors.js';
import { at, makeRequest } from '../../support/store-contract/requests.js';

const TENANT = 'tenant-s';
const all = SearchRequestParametersSchema.parse({});

async function seeded(count: number, overrides: (i: number) => Parameters<typeof makeRequest>[2] = () => ({})) {
  const requests = new MemoryRequestStore();
  await requests.insertAll(
    Array.from({ length: count }, (_, i) => makeRequest(TENANT, `r-${String(i).padStart(5, '0')}`, { creationDate: at(i), ...overrides(i) })),
  );
  return { requests };
}

describe('searchRequests', () => {
  it('serves page numbers the REGARDS way, with an exact total', async () => {
    const deps = await seeded(57);
    const page = await searchRequests({ tenant: TENANT, parameters: all, order: 'asc', size: 10, page: 2 }, deps);
    expect(page.items.map((item) => item.requestId)).toEqual(Array.from({ length: 10 }, (_, i) => `r-${String(20 + i).padStart(5, '0')}`));
    expect(page).toMatchObject({ pageNumber: 2, size: 10, totalElements: 57, totalExact: true });
    const last = await searchRequests({ tenant: TENANT, parameters: all, order: 'desc', size: 10, page: 5 }, deps);
    expect(last.items.map((item) => item.requestId)).toEqual(Array.from({ length: 7 }, (_, i) => `r-${String(6 - i).padStart(5, '0')}`));
    expect(last.next).toBeUndefined();
    const beyond = await searchRequests({ tenant: TENANT, parameters: all, order: 'asc', size: 10, page: 9 }, deps);
    expect(beyond).toMatchObject({ items: [], totalElements: 57 });
  });

  it('follows its own resume point to the end, counting only once', async () => {
    const deps = await seeded(35);
    const seen: string[] = [];
    let result = await searchRequests({ tenant: TENANT, parameters: all, order: 'asc', size: 10, page: 0 }, deps);
    seen.push(...result.items.map((item) => item.requestId));
    let calls = 0;
    const search = deps.requests.search.bind(deps.requests);
    deps.requests.search = async (...args) => {
      calls += 1;
      return search(...args);
    };
    while (result.next !== undefined) {
      result = await searchRequests({ tenant: TENANT, parameters: all, order: 'asc', size: 10, page: 0, resume: result.next }, deps);
      expect(result.totalElements).toBe(35);
      seen.push(...result.items.map((item) => item.requestId));
    }
    expect(seen).toHaveLength(35);
    expect(new Set(seen).size).toBe(35);
    expect(result.pageNumber).toBe(3);
    // 3 pages, one store call each: the total came with the cursor.
    expect(calls).toBe(3);
  });

  it('bounds the count: past it, totalElements is a lower bound and says so', async () => {
    const bound = SEARCH_MAX_EXAMINED * COUNT_MAX_CALLS;
    const deps = await seeded(bound + 30);
    const page = await searchRequests({ tenant: TENANT, parameters: all, order: 'asc', size: 10, page: 0 }, deps);
    expect(page.totalExact).toBe(false);
    expect(page.totalElements).toBeGreaterThanOrEqual(bound);
    expect(page.totalElements).toBeLessThan(bound + 30);
    // Seeding 20,000 requests takes seconds on a loaded 2-core machine; the assertion is the bound, not the speed.
  }, 30_000);

  it('refuses a page number beyond the offset bound (the cursor goes further)', async () => {
    const deps = await seeded(3);
    await expect(searchRequests({ tenant: TENANT, parameters: all, order: 'asc', size: 1000, page: MAX_PAGE_OFFSET / 1000 + 1 }, deps)).rejects.toBeInstanceOf(
      PageOutOfRangeError,
    );
  });

  it('applies the filter to the page and the total', async () => {
    const deps = await seeded(40, (i) => ({ source: i % 4 === 0 ? 'alpha' : 'beta' }));
    const page = await searchRequests(
      { tenant: TENANT, parameters: SearchRequestParametersSchema.parse({ source: 'alp' }), order: 'asc', size: 3, page: 1 },
      deps,
    );
    expect(page.items.map((item) => item.requestId)).toEqual(['r-00012', 'r-00016', 'r-00020']);
    expect(page.totalElements).toBe(10);
    expect(await searchRequests({ tenant: 'tenant-other', parameters: all, order: 'asc', size: 3, page: 0 }, deps)).toMatchObject({
      items: [],
      totalElements: 0,
      totalExact: true,
    });
  });

  describe('sort', () => {
    const statuses = ['RUNNING', 'ERROR', 'DISPATCHED'] as const;

    it('sorts by status from the index, each status by creation date, and pages across statuses by number', async () => {
      const deps = await seeded(9, (i) => ({ status: statuses[i % 3] }));
      const sort = [{ property: 'status', direction: 'asc' }] as const;
      const first = await searchRequests({ tenant: TENANT, parameters: all, order: 'asc', sort, size: 4, page: 0 }, deps);
      expect(first.items.map((item) => `${item.status}:${item.requestId}`)).toEqual([
        'DISPATCHED:r-00002',
        'DISPATCHED:r-00005',
        'DISPATCHED:r-00008',
        'ERROR:r-00001',
      ]);
      expect(first).toMatchObject({ totalElements: 9, totalExact: true });
      const third = await searchRequests({ tenant: TENANT, parameters: all, order: 'asc', sort, size: 4, page: 2 }, deps);
      expect(third.items.map((item) => item.requestId)).toEqual(['r-00006']);
    });

    it('follows the cursor into the next status when a page ends exactly where a status does', async () => {
      const deps = await seeded(4, (i) => ({ status: i < 2 ? 'ERROR' : 'RUNNING' }));
      // A store that knows when a listing ends: no cursor on its last page, even a full one.
      const search = deps.requests.search.bind(deps.requests);
      deps.requests.search = async (tenant, query, page) => {
        const found = await search(tenant, query, page);
        if (found.cursor === undefined) return found;
        const more = await search(tenant, query, { ...page, limit: 1, cursor: found.cursor });
        return more.items.length === 0 && more.cursor === undefined ? { items: found.items } : found;
      };
      const sort = [{ property: 'status', direction: 'asc' }] as const;
      const first = await searchRequests({ tenant: TENANT, parameters: all, order: 'asc', sort, size: 2, page: 0 }, deps);
      expect(first.items.map((item) => item.status)).toEqual(['ERROR', 'ERROR']);
      const second = await searchRequests({ tenant: TENANT, parameters: all, order: 'asc', sort, size: 2, page: 0, resume: first.next }, deps);
      expect(second.items.map((item) => item.requestId)).toEqual(['r-00002', 'r-00003']);
    });

    it('sorts other properties in memory, nulls last ascending, ties by creation date', async () => {
      const deps = await seeded(5, (i) => ({ dispatchedWorkerType: i === 1 ? null : `w-${i % 2}` }));
      const sort = [{ property: 'dispatchedWorkerType', direction: 'asc' }] as const;
      const page = await searchRequests({ tenant: TENANT, parameters: all, order: 'asc', sort, size: 10, page: 0 }, deps);
      expect(page.items.map((item) => item.requestId)).toEqual(['r-00000', 'r-00002', 'r-00004', 'r-00003', 'r-00001']);
      const desc = await searchRequests(
        { tenant: TENANT, parameters: all, order: 'asc', sort: [{ property: 'dispatchedWorkerType', direction: 'desc' }], size: 2, page: 0 },
        deps,
      );
      expect(desc.items.map((item) => item.requestId)).toEqual(['r-00001', 'r-00003']);
    });

    it('refuses an in-memory sort over more matches than it sorts, rather than sorting part of them', async () => {
      const deps = await seeded(SORT_MAX_MATCHES + 1);
      await expect(
        searchRequests({ tenant: TENANT, parameters: all, order: 'asc', sort: [{ property: 'source', direction: 'asc' }], size: 10, page: 0 }, deps),
      ).rejects.toThrow(SortTooCostlyError);
    });
  });
});
