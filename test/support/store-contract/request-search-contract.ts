import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../../shared/adapters/dynamodb/cursor.js';
import { shardOf } from '../../../shared/adapters/dynamodb/keys.js';
import { SearchRequestParametersSchema, type SearchRequestParametersInput } from '../../../shared/contract/search-request-parameters.js';
import type { Request } from '../../../shared/domain/request/request.js';
import { restrictToBlocked, toRequestSearch, type RequestSearch, type RequestSummary } from '../../../shared/domain/request/request-search.js';
import type { RequestStatus } from '../../../shared/contract/status.js';
import type { RequestStore, SearchPageQuery } from '../../../shared/ports/request-store.js';
import { at, bump, makeRequest, uniqueTenant } from './requests.js';

export function searchOf(input: SearchRequestParametersInput, order: 'asc' | 'desc' = 'asc'): RequestSearch {
  return toRequestSearch(SearchRequestParametersSchema.parse(input), order);
}

/** Follows the cursors to the end; every page stays within its limit. */
export async function searchAll(
  store: RequestStore,
  tenant: string,
  search: RequestSearch,
  page: Omit<SearchPageQuery, 'cursor'>,
): Promise<{ items: RequestSummary[]; pages: number }> {
  const items: RequestSummary[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const result = await store.search(tenant, search, { ...page, cursor });
    expect(result.items.length).toBeLessThanOrEqual(page.limit);
    items.push(...result.items);
    cursor = result.cursor;
    pages += 1;
    if (pages > 5_000) throw new Error('search did not end');
  } while (cursor !== undefined);
  return { items, pages };
}

const STATUSES: RequestStatus[] = ['ERROR', 'NO_WORKER_AVAILABLE', 'DISPATCHED', 'RUNNING', 'INVALID_CONTENT', 'SUCCESS'];

/** A mixed population: statuses, sources, sessions, content types and worker types vary with i. */
function population(tenant: string, count: number): Request[] {
  return Array.from({ length: count }, (_, i) =>
    makeRequest(tenant, `s-${String(i).padStart(3, '0')}`, {
      // Several per second and not in id order, so order is the index's, not insertion's.
      creationDate: at(Math.floor(((i * 37) % count) / 3)),
      status: STATUSES[i % STATUSES.length],
      source: i % 4 === 0 ? 'owner-alpha' : 'owner-beta',
      session: `session-${i % 3}`,
      contentType: ['to-extract', 'TO-EXTRACT-v2', 'sip', 'raw.fits'][i % 4],
      dispatchedWorkerType: i % 5 === 0 ? null : `worker-${i % 2}`,
    }),
  );
}

function creationOrder(requests: readonly Request[], order: 'asc' | 'desc' = 'asc'): string[] {
  const sorted = [...requests].sort((a, b) =>
    a.creationDate === b.creationDate ? (a.requestId < b.requestId ? -1 : 1) : a.creationDate < b.creationDate ? -1 : 1,
  );
  return (order === 'asc' ? sorted : sorted.reverse()).map((r) => r.requestId);
}

const ids = (items: readonly RequestSummary[]) => items.map((item) => item.requestId);

/** What every RequestStore's search must do. Tests share a backing store, each in its own tenant. */
export function describeRequestSearchContract(name: string, createStore: () => RequestStore): void {
  describe(`${name}: RequestStore.search contract`, () => {
    it('lists every request of the tenant exactly once, in creation order, ascending and descending, over every shard', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const requests = population(tenant, 90);
      expect(new Set(requests.map((r) => shardOf(r.requestId))).size).toBeGreaterThan(1);
      await store.insertAll([...requests, ...population(uniqueTenant('other'), 10)]);
      const asc = await searchAll(store, tenant, searchOf({}), { limit: 7 });
      expect(ids(asc.items)).toEqual(creationOrder(requests));
      expect(asc.pages).toBeGreaterThanOrEqual(13);
      const desc = await searchAll(store, tenant, searchOf({}, 'desc'), { limit: 11 });
      expect(ids(desc.items)).toEqual(creationOrder(requests, 'desc'));
    });

    it('returns the projected summary of each request, field for field', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const request = makeRequest(tenant, 'one', { status: 'ERROR', error: 'boom', stepNumber: 2, stepWorkerType: 'sip', attempt: 3 });
      await store.insertAll([request]);
      const page = await store.search(tenant, searchOf({}), { limit: 10 });
      expect(page).toEqual({
        items: [
          {
            tenant,
            requestId: 'one',
            id: request.id,
            contentType: request.contentType,
            source: request.source,
            session: request.session,
            creationDate: request.creationDate,
            status: 'ERROR',
            statusDate: request.statusDate,
            dispatchedWorkerType: request.dispatchedWorkerType,
            stepNumber: 2,
            stepWorkerType: 'sip',
            error: 'boom',
            attempt: 3,
          },
        ],
      });
    });

    it('applies the status restriction and inclusive creation-date bounds', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const requests = population(tenant, 60);
      await store.insertAll(requests);
      const after = at(3);
      const before = at(12);
      const search = searchOf({ statuses: { mode: 'INCLUDE', values: ['ERROR', 'RUNNING'] }, creationDate: { after, before } });
      const expected = requests.filter((r) => ['ERROR', 'RUNNING'].includes(r.status) && r.creationDate >= after && r.creationDate <= before);
      expect(expected.some((r) => r.creationDate === after)).toBe(true);
      expect(expected.some((r) => r.creationDate === before)).toBe(true);
      expect(ids((await searchAll(store, tenant, search, { limit: 4 })).items)).toEqual(creationOrder(expected));
      const excluded = searchOf({ statuses: { mode: 'EXCLUDE', values: ['ERROR', 'SUCCESS'] } }, 'desc');
      const others = requests.filter((r) => r.status !== 'ERROR' && r.status !== 'SUCCESS');
      expect(ids((await searchAll(store, tenant, excluded, { limit: 9 })).items)).toEqual(creationOrder(others, 'desc'));
    });

    it('matches the bounds as instants, whatever the ISO precision they were written with', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      await store.insertAll([makeRequest(tenant, 'exact', { creationDate: '2026-01-01T00:00:10Z' }), makeRequest(tenant, 'later', { creationDate: at(11) })]);
      const page = await store.search(tenant, searchOf({ creationDate: { after: '2026-01-01T00:00:10.000Z', before: '2026-01-01T00:00:10Z' } }), { limit: 5 });
      expect(ids(page.items)).toEqual(['exact']);
    });

    it('applies the filters the index cannot: contains, match modes, ignoreCase, ids', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const requests = population(tenant, 48);
      await store.insertAll(requests);
      const check = async (input: SearchRequestParametersInput, keep: (r: Request) => boolean) => {
        const found = await searchAll(store, tenant, searchOf(input), { limit: 5 });
        expect(ids(found.items)).toEqual(creationOrder(requests.filter(keep)));
      };
      await check({ source: 'alpha' }, (r) => r.source.includes('alpha'));
      await check({ session: 'ion-2', dispatchedWorkerType: 'er-1' }, (r) => r.session.includes('ion-2') && (r.dispatchedWorkerType ?? '').includes('er-1'));
      await check({ contentTypes: { mode: 'INCLUDE', values: ['to-extract'] } }, (r) => r.contentType === 'to-extract');
      await check({ contentTypes: { mode: 'INCLUDE', values: ['to-extract'], matchMode: 'STARTS_WITH', ignoreCase: true } }, (r) =>
        r.contentType.toLowerCase().startsWith('to-extract'),
      );
      await check(
        { contentTypes: { mode: 'EXCLUDE', values: ['.fits', 'sip'], matchMode: 'ENDS_WITH' } },
        (r) => !r.contentType.endsWith('.fits') && !r.contentType.endsWith('sip'),
      );
      await check({ contentTypes: { mode: 'INCLUDE', values: ['EXTRACT'], matchMode: 'CONTAINS' } }, (r) => r.contentType.includes('EXTRACT'));
      const chosen = [requests[3]!, requests[17]!, requests[40]!];
      await check({ ids: { mode: 'INCLUDE', values: chosen.map((r) => r.id) } }, (r) => chosen.includes(r));
      await check({ ids: { mode: 'EXCLUDE', values: chosen.map((r) => r.id) } }, (r) => !chosen.includes(r));
    });

    it('reads at most maxExamined entries per call: a selective filter gives short pages, all of them in the end', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const requests = Array.from({ length: 120 }, (_, i) =>
        makeRequest(tenant, `x-${String(i).padStart(3, '0')}`, { creationDate: at(i), status: 'ERROR', source: i % 40 === 7 ? 'needle' : 'hay' }),
      );
      await store.insertAll(requests);
      const search = searchOf({ source: 'needle', statuses: { mode: 'INCLUDE', values: ['ERROR'] } });
      // 4 shards of one status: at most 20 entries per call, far fewer than the 120 to go through.
      const { items, pages } = await searchAll(store, tenant, search, { limit: 10, maxExamined: 20 });
      expect(ids(items)).toEqual(['x-007', 'x-047', 'x-087']);
      expect(pages).toBeGreaterThanOrEqual(6);
    });

    it('continues past requests that change status between pages, without repeating them', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const requests = Array.from({ length: 40 }, (_, i) => makeRequest(tenant, `c-${String(i).padStart(2, '0')}`, { creationDate: at(i), status: 'ERROR' }));
      await store.insertAll(requests);
      const search = restrictToBlocked(searchOf({}), new Date(at(1000)));
      const first = await store.search(tenant, search, { limit: 10 });
      expect(ids(first.items)).toEqual(requests.slice(0, 10).map((r) => r.requestId));
      // One listed request fails again (still blocked, another status); one not yet listed is dispatched.
      const listed = requests[4]!;
      const ahead = requests[25]!;
      await store.updateAll([
        { previous: listed, next: bump(listed, { status: 'NO_WORKER_AVAILABLE' }) },
        { previous: ahead, next: bump(ahead, { status: 'DISPATCHED' }) },
      ]);
      const rest: string[] = [];
      let cursor = first.cursor;
      while (cursor !== undefined) {
        const page = await store.search(tenant, search, { limit: 10, cursor });
        rest.push(...ids(page.items));
        cursor = page.cursor;
      }
      expect(rest).toEqual(
        requests
          .slice(10)
          .filter((r) => r !== ahead)
          .map((r) => r.requestId),
      );
    });

    it('has nothing to list for no status, an empty tenant, or an empty range', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      await store.insertAll([makeRequest(tenant, 'a', { creationDate: at(5) })]);
      expect(await store.search(tenant, { ...searchOf({}), statuses: [] }, { limit: 5 })).toEqual({ items: [] });
      expect(await store.search(uniqueTenant(), searchOf({}), { limit: 5 })).toEqual({ items: [] });
      expect((await searchAll(store, tenant, searchOf({ creationDate: { after: at(6) } }), { limit: 5 })).items).toEqual([]);
    });

    it('refuses a cursor it did not issue, or one of another search or tenant', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      await store.insertAll(population(tenant, 12));
      const page = await store.search(tenant, searchOf({}), { limit: 2 });
      expect(page.cursor).toBeDefined();
      const cursor = page.cursor;
      await expect(store.search(tenant, searchOf({}), { limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(store.search(tenant, searchOf({ source: 'x' }), { limit: 2, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(store.search(tenant, searchOf({}, 'desc'), { limit: 2, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(store.search(uniqueTenant(), searchOf({}), { limit: 2, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(store.search(tenant, searchOf({}), { limit: 0 })).rejects.toBeInstanceOf(RangeError);
    });
  });
}
