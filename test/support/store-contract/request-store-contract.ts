import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../../shared/adapters/dynamodb/cursor.js';
import { shardOf } from '../../../shared/adapters/dynamodb/keys.js';
import type { Request } from '../../../shared/domain/request/request.js';
import type { Page, PageQuery, RequestKey, RequestStore } from '../../../shared/ports/request-store.js';
import { at, bump, makeRequest, uniqueTenant } from './requests.js';
import { searchOf } from './request-search-contract.js';

/** Follows the cursors to the end; fails on a runaway listing instead of looping forever. */
export async function listAll(
  list: (page: PageQuery) => Promise<Page<RequestKey>>,
  limit: number,
  startCursor?: string,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined = startCursor;
  let pages = 0;
  do {
    const page = await list({ limit, cursor });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((item) => item.requestId));
    cursor = page.cursor;
    pages++;
    if (pages > 1000) throw new Error('listing did not end');
  } while (cursor !== undefined);
  return { ids, pages };
}

const waiting = (tenant: string, id: string, overrides: Partial<Request> = {}) =>
  makeRequest(tenant, id, { status: 'NO_WORKER_AVAILABLE', dispatchedWorkerType: null, stepWorkerType: 'extract', ...overrides });

/**
 * The behaviour every RequestStore must have. `createStore` may return the same backing store
 * each time: every test works in its own tenant.
 */
export function describeRequestStoreContract(name: string, createStore: () => RequestStore): void {
  describe(`${name}: RequestStore contract`, () => {
    describe('insertAll / getAll', () => {
      it('stores a request and reads it back field for field', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const request = makeRequest(tenant, 'r-1', {
          originalContent: new Uint8Array([0, 1, 2, 255]),
          additionalHeaders: {},
          deadline: at(60),
          stepNumber: 2,
          error: 'boom',
        });
        expect(await store.insertAll([request])).toEqual([{ requestId: 'r-1', inserted: true }]);
        const read = await store.getAll(tenant, ['r-1']);
        expect(read.get('r-1')).toEqual(request);
        expect(read.get('r-1')?.content).toBeInstanceOf(Uint8Array);
      });

      it('does not overwrite an existing request and returns the stored one', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const first = makeRequest(tenant, 'dup', { fingerprint: 'first' });
        await store.insertAll([first]);
        const second = makeRequest(tenant, 'dup', { fingerprint: 'second', content: new Uint8Array([9]) });
        const [outcome] = await store.insertAll([second]);
        expect(outcome).toEqual({ requestId: 'dup', inserted: false, existing: first });
        expect((await store.getAll(tenant, ['dup'])).get('dup')).toEqual(first);
      });

      it('treats a replayed batch as all duplicates, and a duplicate inside one batch as a conflict with the first', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const batch = [makeRequest(tenant, 'a'), makeRequest(tenant, 'b'), makeRequest(tenant, 'c')];
        expect((await store.insertAll(batch)).map((o) => o.inserted)).toEqual([true, true, true]);
        const replay = await store.insertAll(batch);
        expect(replay.map((o) => [o.requestId, o.inserted])).toEqual([
          ['a', false],
          ['b', false],
          ['c', false],
        ]);
        for (const [i, outcome] of replay.entries()) {
          expect('existing' in outcome ? outcome.existing : undefined).toEqual(batch[i]);
        }
        const twice = await store.insertAll([makeRequest(tenant, 'd', { fingerprint: 'x' }), makeRequest(tenant, 'd', { fingerprint: 'x' })]);
        expect(twice.filter((o) => o.inserted)).toHaveLength(1);
        expect(twice.filter((o) => !o.inserted)).toHaveLength(1);
      });

      it('returns only the requests that exist, keyed by request id, and nothing for an empty list', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        await store.insertAll([makeRequest(tenant, 'here-1'), makeRequest(tenant, 'here-2')]);
        const read = await store.getAll(tenant, ['missing', 'here-2', 'here-1', 'here-1']);
        expect([...read.keys()].sort()).toEqual(['here-1', 'here-2']);
        expect(await store.getAll(tenant, [])).toEqual(new Map());
      });

      it('reads more than one batch worth of ids (BatchGet is limited to 100 keys)', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const ids = Array.from({ length: 230 }, (_, i) => `bulk-${i}`);
        await store.insertAll(ids.map((id) => makeRequest(tenant, id)));
        const read = await store.getAll(tenant, [...ids, 'nope']);
        expect(read.size).toBe(230);
        expect(read.get('bulk-229')?.requestId).toBe('bulk-229');
      });

      it('keeps tenants apart, even when their names differ only by escaping', async () => {
        const store = createStore();
        const base = uniqueTenant();
        const tenants = [`${base}#a`, `${base}%23a`, `${base}%a`, `${base}%25a`];
        await store.insertAll(tenants.map((tenant) => makeRequest(tenant, 'same-id', { fingerprint: tenant })));
        for (const tenant of tenants) {
          expect((await store.getAll(tenant, ['same-id'])).get('same-id')?.fingerprint).toBe(tenant);
        }
      });

      it("handles '#' and '%' in request ids without collisions", async () => {
        const store = createStore();
        const tenant = `${uniqueTenant()}#%23`;
        const ids = ['a#b', 'a%23b', '%', '%25', '#', 'R#x#R', 'plain'];
        const outcomes = await store.insertAll(ids.map((id) => waiting(tenant, id, { fingerprint: id, deadline: at(1) })));
        expect(outcomes.every((o) => o.inserted)).toBe(true);
        const read = await store.getAll(tenant, ids);
        expect([...read.values()].map((r) => [r.requestId, r.fingerprint]).sort()).toEqual(ids.map((id) => [id, id]).sort());
        const listedWaiting = await listAll((page) => store.listWaiting(tenant, 'extract', page), 3);
        expect([...listedWaiting.ids].sort()).toEqual([...ids].sort());
        const listedDue = await listAll((page) => store.listDue(tenant, new Date(at(10)), page), 2);
        expect([...listedDue.ids].sort()).toEqual([...ids].sort());
      });

      it('round-trips a 256 KB body byte for byte', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const body = new Uint8Array(randomBytes(256 * 1024));
        const request = makeRequest(tenant, 'big', { content: body });
        await store.insertAll([request]);
        const read = (await store.getAll(tenant, ['big'])).get('big');
        expect(read?.content.byteLength).toBe(256 * 1024);
        expect(Buffer.from(read?.content ?? new Uint8Array()).equals(Buffer.from(body))).toBe(true);
        // A status change of a big request still works (and, in DynamoDB, does not re-send the body).
        const [outcome] = await store.updateAll([{ previous: request, next: bump(request, { status: 'RUNNING' }) }]);
        expect(outcome?.written).toBe(true);
        const after = (await store.getAll(tenant, ['big'])).get('big');
        expect(after?.status).toBe('RUNNING');
        expect(Buffer.from(after?.content ?? new Uint8Array()).equals(Buffer.from(body))).toBe(true);
      });

      it('copies values in and out: mutating what was passed or returned changes nothing stored', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const request = makeRequest(tenant, 'copy');
        await store.insertAll([request]);
        request.content[0] = 0;
        request.history.push({ ...request.history[0]!, event: 'mutated' });
        request.additionalHeaders['x-custom'] = 'changed';
        const read = (await store.getAll(tenant, ['copy'])).get('copy');
        expect(read?.history).toHaveLength(1);
        expect(read?.additionalHeaders['x-custom']).toBe('one');
        expect(read?.content[0]).toBe('{'.charCodeAt(0));
        if (read !== undefined) read.status = 'ERROR';
        expect((await store.getAll(tenant, ['copy'])).get('copy')?.status).toBe('DISPATCHED');
      });
    });

    describe('updateAll / deleteAll', () => {
      it('writes an update only when the stored version is the expected one', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const v0 = makeRequest(tenant, 'u');
        await store.insertAll([v0]);
        const v1 = bump(v0, { status: 'RUNNING', statusDate: at(5) });
        expect(await store.updateAll([{ previous: v0, next: v1 }])).toEqual([{ requestId: 'u', written: true }]);
        expect((await store.getAll(tenant, ['u'])).get('u')).toEqual(v1);

        // A second writer that read v0 loses and writes nothing.
        const stale = bump(v0, { status: 'ERROR', error: 'late' });
        expect(await store.updateAll([{ previous: v0, next: stale }])).toEqual([{ requestId: 'u', written: false, reason: 'conflict' }]);
        expect((await store.getAll(tenant, ['u'])).get('u')).toEqual(v1);
      });

      it('reports each update of a batch on its own, in order', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const a = makeRequest(tenant, 'a');
        const b = makeRequest(tenant, 'b');
        await store.insertAll([a, b]);
        const ghost = makeRequest(tenant, 'ghost');
        const outcomes = await store.updateAll([
          { previous: a, next: bump(a, { status: 'RUNNING' }) },
          { previous: { ...b, version: 7 }, next: bump({ ...b, version: 7 }, { status: 'RUNNING' }) },
          { previous: ghost, next: bump(ghost, { status: 'RUNNING' }) },
        ]);
        expect(outcomes).toEqual([
          { requestId: 'a', written: true },
          { requestId: 'b', written: false, reason: 'conflict' },
          { requestId: 'ghost', written: false, reason: 'conflict' },
        ]);
        expect((await store.getAll(tenant, ['ghost'])).size).toBe(0);
      });

      it('refuses an update that does not bump the version by one or changes the identity (a caller bug)', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const v0 = makeRequest(tenant, 'bad');
        await store.insertAll([v0]);
        await expect(store.updateAll([{ previous: v0, next: { ...v0, status: 'RUNNING' } }])).rejects.toThrow(/version/);
        await expect(store.updateAll([{ previous: v0, next: bump(v0, { requestId: 'other' }) }])).rejects.toThrow(/identity/);
        expect((await store.getAll(tenant, ['bad'])).get('bad')).toEqual(v0);
      });

      it('can clear and set nullable fields and replace the history', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const v0 = makeRequest(tenant, 'n', { error: 'old', originalContent: new Uint8Array([1]), deadline: at(10) });
        await store.insertAll([v0]);
        const v1 = bump(v0, {
          error: null,
          originalContent: null,
          deadline: null,
          stepNumber: 3,
          history: [...v0.history, { ...v0.history[0]!, event: 'workerRunning', status: 'RUNNING' }],
          additionalHeaders: { a: 'b' },
        });
        await store.updateAll([{ previous: v0, next: v1 }]);
        expect((await store.getAll(tenant, ['n'])).get('n')).toEqual(v1);
      });

      it('sets and drops an optional field: a dropped one is read back absent', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const v0 = makeRequest(tenant, 'o', { status: 'SUCCESS', answerUnconfirmed: true, deadline: at(10) });
        await store.insertAll([v0]);
        expect((await store.getAll(tenant, ['o'])).get('o')).toEqual(v0);
        const { answerUnconfirmed: _settled, ...rest } = v0;
        const v1 = bump(rest, { deadline: null });
        await store.updateAll([{ previous: v0, next: v1 }]);
        const read = (await store.getAll(tenant, ['o'])).get('o');
        expect(read).toEqual(v1);
        expect(read).not.toHaveProperty('answerUnconfirmed');
      });

      it('keeps the dispatch token through inserts and updates, and reads requests stored without one', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        // Stored before tokens existed, or never dispatched: the item has no token at all.
        const v0 = makeRequest(tenant, 'tok', { status: 'NO_WORKER_AVAILABLE', dispatchedWorkerType: null });
        delete v0.dispatchToken;
        await store.insertAll([v0]);
        const read0 = (await store.getAll(tenant, ['tok'])).get('tok');
        expect(read0).toEqual(v0);
        expect(read0 && 'dispatchToken' in read0 ? read0.dispatchToken : undefined).toBeUndefined();

        const v1 = bump(v0, { status: 'DISPATCHED', dispatchedWorkerType: 'extract', attempt: v0.attempt + 1, dispatchToken: 'Q2hvc2VuQnlUaGVEb21haW4' });
        expect(await store.updateAll([{ previous: v0, next: v1 }])).toEqual([{ requestId: 'tok', written: true }]);
        expect((await store.getAll(tenant, ['tok'])).get('tok')?.dispatchToken).toBe('Q2hvc2VuQnlUaGVEb21haW4');

        const v2 = bump(v1, { attempt: v1.attempt + 1, dispatchToken: 'QW5vdGhlckRpc3BhdGNoXw' });
        await store.updateAll([{ previous: v1, next: v2 }]);
        expect((await store.getAll(tenant, ['tok'])).get('tok')).toEqual(v2);

        const v3 = bump(v2, {});
        delete v3.dispatchToken;
        await store.updateAll([{ previous: v2, next: v3 }]);
        expect((await store.getAll(tenant, ['tok'])).get('tok')?.dispatchToken).toBeUndefined();
      });

      it('deletes only on the expected version', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const v0 = makeRequest(tenant, 'd');
        await store.insertAll([v0]);
        const v1 = bump(v0, { status: 'SUCCESS' });
        await store.updateAll([{ previous: v0, next: v1 }]);
        expect(await store.deleteAll([v0])).toEqual([{ requestId: 'd', written: false, reason: 'conflict' }]);
        expect((await store.getAll(tenant, ['d'])).size).toBe(1);
        expect(await store.deleteAll([v1])).toEqual([{ requestId: 'd', written: true }]);
        expect((await store.getAll(tenant, ['d'])).size).toBe(0);
        expect(await store.deleteAll([v1])).toEqual([{ requestId: 'd', written: false, reason: 'conflict' }]);
        // Gone from every listing too.
        expect((await store.listDue(tenant, new Date(at(1e6)), { limit: 10 })).items).toEqual([]);
        // And insertable again.
        expect(await store.insertAll([v0])).toEqual([{ requestId: 'd', inserted: true }]);
      });
    });

    describe('traces of removed requests', () => {
      /** A request removed from the store: waiting with a deadline, so that it was in every index. */
      async function removed(store: RequestStore, tenant: string, id: string, fingerprint: string): Promise<Request> {
        const request = waiting(tenant, id, { fingerprint, deadline: at(5) });
        expect(await store.insertAll([request])).toEqual([{ requestId: id, inserted: true }]);
        expect(await store.deleteAll([request])).toEqual([{ requestId: id, written: true }]);
        return request;
      }

      it('is seen by no reader: reads, listings and searches find nothing', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const gone = await removed(store, tenant, 'gone', 'fp');
        expect(await store.getAll(tenant, ['gone'])).toEqual(new Map());
        expect((await store.listWaiting(tenant, 'extract', { limit: 10 })).items).toEqual([]);
        expect((await store.listDue(tenant, new Date(at(1e6)), { limit: 10 })).items).toEqual([]);
        expect((await store.search(tenant, searchOf({}), { limit: 10 })).items).toEqual([]);
        // Nothing can be written over it but a new request.
        expect(await store.updateAll([{ previous: gone, next: bump(gone, { status: 'RUNNING' }) }])).toEqual([
          { requestId: 'gone', written: false, reason: 'conflict' },
        ]);
        expect(await store.deleteAll([gone])).toEqual([{ requestId: 'gone', written: false, reason: 'conflict' }]);
      });

      it('turns away a redelivery of the same message as finished, and stores nothing', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        await removed(store, tenant, 'done', 'fp');
        const replay = waiting(tenant, 'done', { fingerprint: 'fp' });
        expect(await store.insertAll([replay], { redelivered: [true] })).toEqual([{ requestId: 'done', inserted: false, finished: { fingerprint: 'fp' } }]);
        expect(await store.getAll(tenant, ['done'])).toEqual(new Map());
        // Again: the trace is still there.
        expect(await store.insertAll([replay], { redelivered: [true] })).toEqual([{ requestId: 'done', inserted: false, finished: { fingerprint: 'fp' } }]);
      });

      it('stores a new message, or a redelivery of another one, over the trace: the id is free again', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        await removed(store, tenant, 'fresh', 'fp');
        await removed(store, tenant, 'other', 'fp');
        const fresh = makeRequest(tenant, 'fresh', { fingerprint: 'fp' });
        const other = makeRequest(tenant, 'other', { fingerprint: 'another' });
        expect(await store.insertAll([fresh, other], { redelivered: [false, true] })).toEqual([
          { requestId: 'fresh', inserted: true },
          { requestId: 'other', inserted: true },
        ]);
        const read = await store.getAll(tenant, ['fresh', 'other']);
        expect(read.get('fresh')).toEqual(fresh);
        expect(read.get('other')).toEqual(other);
        // The new request is a request like any other: listed, and a replay of it is a duplicate.
        expect((await store.search(tenant, searchOf({}), { limit: 10 })).items.map((item) => item.requestId).sort()).toEqual(['fresh', 'other']);
        expect(await store.insertAll([fresh], { redelivered: [true] })).toEqual([{ requestId: 'fresh', inserted: false, existing: fresh }]);
        // Removed again, it leaves the trace of the new request.
        await store.deleteAll([other]);
        expect(await store.insertAll([other], { redelivered: [true] })).toEqual([
          { requestId: 'other', inserted: false, finished: { fingerprint: 'another' } },
        ]);
      });

      it('lets one of two inserts racing over one trace win', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        await removed(store, tenant, 'race', 'fp');
        const first = makeRequest(tenant, 'race', { fingerprint: 'first' });
        const second = makeRequest(tenant, 'race', { fingerprint: 'second' });
        const outcomes = (await Promise.all([store.insertAll([first]), store.insertAll([second])])).flat();
        expect(outcomes.filter((outcome) => outcome.inserted)).toHaveLength(1);
        const winner = (await store.getAll(tenant, ['race'])).get('race');
        expect(outcomes.filter((outcome) => !outcome.inserted)).toEqual([{ requestId: 'race', inserted: false, existing: winner }]);
      });
    });

    describe('listWaiting', () => {
      it('lists NO_WORKER_AVAILABLE requests of a tenant and worker type, oldest first, and follows status changes', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const other = uniqueTenant();
        const w1 = waiting(tenant, 'w1', { creationDate: at(30) });
        const w2 = waiting(tenant, 'w2', { creationDate: at(10) });
        const unrouted = waiting(tenant, 'unrouted', { stepWorkerType: null });
        const otherType = waiting(tenant, 'other-type', { stepWorkerType: 'convert' });
        const running = makeRequest(tenant, 'running', { status: 'RUNNING' });
        await store.insertAll([w1, w2, unrouted, otherType, running, waiting(other, 'w1')]);

        expect((await store.listWaiting(tenant, 'extract', { limit: 10 })).items).toEqual([
          { tenant, requestId: 'w2' },
          { tenant, requestId: 'w1' },
        ]);
        expect((await store.listWaiting(tenant, null, { limit: 10 })).items).toEqual([{ tenant, requestId: 'unrouted' }]);
        expect((await store.listWaiting(tenant, 'convert', { limit: 10 })).items).toEqual([{ tenant, requestId: 'other-type' }]);
        expect((await store.listWaiting(tenant, 'nobody', { limit: 10 })).items).toEqual([]);

        // Leaving NO_WORKER_AVAILABLE leaves the listing; entering it joins it.
        await store.updateAll([
          { previous: w2, next: bump(w2, { status: 'DISPATCHED', dispatchedWorkerType: 'extract' }) },
          { previous: running, next: bump(running, { status: 'NO_WORKER_AVAILABLE' }) },
          { previous: unrouted, next: bump(unrouted, { stepWorkerType: 'extract' }) },
        ]);
        expect((await store.listWaiting(tenant, 'extract', { limit: 10 })).items.map((k) => k.requestId)).toEqual(['running', 'unrouted', 'w1']);
        expect((await store.listWaiting(tenant, null, { limit: 10 })).items).toEqual([]);
      });

      it('does not list a request whose update lost the race', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const r = makeRequest(tenant, 'r');
        await store.insertAll([r]);
        const stale = { ...r, version: 3 };
        await store.updateAll([{ previous: stale, next: bump(stale, { status: 'NO_WORKER_AVAILABLE' }) }]);
        expect((await store.listWaiting(tenant, 'extract', { limit: 10 })).items).toEqual([]);
      });
    });

    describe('listDue', () => {
      it('lists requests whose deadline is at or before now, earliest first, and follows deadline changes', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const early = makeRequest(tenant, 'early', { deadline: at(10) });
        const exact = makeRequest(tenant, 'exact', { deadline: at(20) });
        const later = makeRequest(tenant, 'later', { deadline: at(30) });
        const none = makeRequest(tenant, 'none', { deadline: null });
        // Same instant as at(5), written without milliseconds: still ordered by the instant.
        const coarse = makeRequest(tenant, 'coarse', { deadline: '2026-01-01T00:00:05Z' });
        await store.insertAll([later, none, exact, early, coarse]);

        const now = new Date(at(20));
        expect((await store.listDue(tenant, now, { limit: 10 })).items.map((k) => k.requestId)).toEqual(['coarse', 'early', 'exact']);

        await store.updateAll([
          { previous: early, next: bump(early, { deadline: null }) },
          { previous: none, next: bump(none, { deadline: at(1) }) },
          { previous: later, next: bump(later, { deadline: at(15) }) },
        ]);
        expect((await store.listDue(tenant, now, { limit: 10 })).items.map((k) => k.requestId)).toEqual(['none', 'coarse', 'later', 'exact']);
        expect((await store.listDue(tenant, new Date(at(0)), { limit: 10 })).items).toEqual([]);
      });

      it('keeps the bound of the first page on later pages', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        await store.insertAll(Array.from({ length: 6 }, (_, i) => makeRequest(tenant, `d${i}`, { deadline: at(i * 10) })));
        const first = await store.listDue(tenant, new Date(at(25)), { limit: 2 });
        expect(first.items.map((k) => k.requestId)).toEqual(['d0', 'd1']);
        const second = await store.listDue(tenant, new Date(at(1000)), { limit: 10, cursor: first.cursor });
        expect(second.items.map((k) => k.requestId)).toEqual(['d2']);
        expect(second.cursor).toBeUndefined();
      });
    });

    describe('pagination', () => {
      const COUNT = 250;
      const LIMIT = 40;

      it(`returns ${COUNT} waiting requests spread over every shard exactly once, in order, ${LIMIT} at a time`, async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        // Creation dates in reverse id order, several per second, so order is not insertion order.
        const requests = Array.from({ length: COUNT }, (_, i) =>
          waiting(tenant, `p-${String(i).padStart(3, '0')}`, { creationDate: at(Math.floor((COUNT - i) / 3)) }),
        );
        const shards = new Set(requests.map((r) => shardOf(r.requestId)));
        expect(shards.size).toBeGreaterThan(1);
        await store.insertAll(requests);
        const expected = [...requests]
          .sort((a, b) => (a.creationDate === b.creationDate ? (a.requestId < b.requestId ? -1 : 1) : a.creationDate < b.creationDate ? -1 : 1))
          .map((r) => r.requestId);

        const { ids, pages } = await listAll((page) => store.listWaiting(tenant, 'extract', page), LIMIT);
        expect(ids).toEqual(expected);
        expect(new Set(ids).size).toBe(COUNT);
        expect(pages).toBeGreaterThanOrEqual(Math.ceil(COUNT / LIMIT));
      });

      it(`returns ${COUNT} due requests exactly once, in deadline order, ${LIMIT} at a time`, async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const requests = Array.from({ length: COUNT }, (_, i) => makeRequest(tenant, `q-${i}`, { deadline: at((i * 7919) % COUNT) }));
        await store.insertAll([...requests, makeRequest(tenant, 'future', { deadline: at(COUNT + 10) })]);
        const expected = [...requests].sort((a, b) => ((a.deadline ?? '') < (b.deadline ?? '') ? -1 : 1)).map((r) => r.requestId);
        const { ids } = await listAll((page) => store.listDue(tenant, new Date(at(COUNT)), page), LIMIT);
        expect(ids).toEqual(expected);
      });

      it('neither skips nor repeats when requests leave the listing between pages', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        const requests = Array.from({ length: 60 }, (_, i) => waiting(tenant, `m-${String(i).padStart(2, '0')}`, { creationDate: at(i) }));
        await store.insertAll(requests);
        const first = await store.listWaiting(tenant, 'extract', { limit: 20 });
        expect(first.items.map((k) => k.requestId)).toEqual(requests.slice(0, 20).map((r) => r.requestId));
        // Dispatch one request already listed and one not listed yet.
        const listed = requests[5]!;
        const notYet = requests[30]!;
        await store.updateAll([
          { previous: listed, next: bump(listed, { status: 'DISPATCHED' }) },
          { previous: notYet, next: bump(notYet, { status: 'DISPATCHED' }) },
        ]);
        expect(first.cursor).toBeDefined();
        const rest = await listAll((page) => store.listWaiting(tenant, 'extract', page), 20, first.cursor);
        expect(rest.ids).toEqual(
          requests
            .slice(20)
            .filter((r) => r !== notYet)
            .map((r) => r.requestId),
        );
      });

      it('returns an empty last page without a cursor when nothing is listed', async () => {
        const store = createStore();
        const page = await store.listWaiting(uniqueTenant(), 'extract', { limit: 5 });
        expect(page).toEqual({ items: [] });
      });

      it('refuses a cursor it did not issue, or one from another listing', async () => {
        const store = createStore();
        const tenant = uniqueTenant();
        await store.insertAll([waiting(tenant, 'a'), waiting(tenant, 'b'), waiting(tenant, 'c', { stepWorkerType: 'convert' })]);
        const page = await store.listWaiting(tenant, 'extract', { limit: 1 });
        expect(page.cursor).toBeDefined();
        await expect(store.listWaiting(tenant, 'extract', { limit: 1, cursor: 'not a cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.listWaiting(tenant, 'convert', { limit: 1, cursor: page.cursor })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.listWaiting(uniqueTenant(), 'extract', { limit: 1, cursor: page.cursor })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.listDue(tenant, new Date(), { limit: 1, cursor: page.cursor })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.listWaiting(tenant, 'extract', { limit: 0 })).rejects.toBeInstanceOf(RangeError);
      });
    });
  });
}
