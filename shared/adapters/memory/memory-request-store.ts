import * as z from 'zod';
import type { Request } from '../../domain/request/request.js';
import { matchesSearch, type RequestSearch, type RequestSummary } from '../../domain/request/request-search.js';
import {
  FINISHED_TRACE_SECONDS,
  RequestStore,
  StoreValidationError,
  type InsertOptions,
  type InsertOutcome,
  type Page,
  type PageQuery,
  type RequestKey,
  type RequestUpdate,
  type SearchPageQuery,
  type WriteOutcome,
} from '../../ports/request-store.js';
import { checkPageLimit, decodeCursor, encodeCursor, InvalidCursorError } from '../dynamodb/cursor.js';
import { SHARDS } from '../dynamodb/keys.js';
import { checkUpdate, compareKeys, dueBound, dueSortKey, slotQueueOf, slotQueueSortKey, waitingSortKey } from '../dynamodb/request-item.js';
import { decodeSearchCursor, encodeSearchCursor, isAhead, searchBudget, searchKeyRange, toSummary } from '../dynamodb/search-keys.js';
import { SystemClock, type Clock } from '../../ports/clock.js';
import { throwIfUnavailable } from './faults.js';

const MemoryCursorSchema = z.object({
  v: z.literal(1),
  q: z.string(),
  b: z.string().optional(),
  /** Sort key of the last request handed out. */
  after: z.string(),
});

/** What a removed request leaves (see RequestStore.deleteAll). */
interface Trace {
  fingerprint: string;
  expiresAt: number;
}

/**
 * The request store in memory, with the DynamoDB store's semantics: versions, conflicts, listings
 * in index sort-key order, cursors that resume exactly, traces of removed requests. Values are
 * copied in and out, so a caller mutating what it passed or got cannot change the stored state.
 */
export class MemoryRequestStore extends RequestStore {
  /** One query per index shard. */
  public override get queriesPerListing(): number {
    return SHARDS.length;
  }

  /** Set to make every call throw StoreUnavailableError. */
  public unavailable = false;
  /** Set to make writes of the requests it picks come back refused, as DynamoDB refuses an item over its limits. */
  public refuses: (request: Request) => boolean = () => false;
  private readonly requests = new Map<string, Request>();
  /** In the order they were left, so that with one retention the expired ones are the first ones. */
  private readonly traces = new Map<string, Trace>();
  private readonly clock: Clock;

  public constructor(options: { clock?: Clock } = {}) {
    super();
    this.clock = options.clock ?? new SystemClock();
  }

  public async insertAll(requests: readonly Request[], options: InsertOptions = {}): Promise<InsertOutcome[]> {
    throwIfUnavailable(this.unavailable, 'insertAll');
    const now = this.dropExpiredTraces();
    return requests.map((request, index): InsertOutcome => {
      const id = mapKey(request.tenant, request.requestId);
      const existing = this.requests.get(id);
      if (this.refuses(request)) return { requestId: request.requestId, inserted: false, refused: refusal('PutItem', request) };
      if (existing !== undefined) return { requestId: request.requestId, inserted: false, existing: structuredClone(existing) };
      const trace = this.traces.get(id);
      if (trace !== undefined && trace.expiresAt > now && options.redelivered?.[index] === true && trace.fingerprint === request.fingerprint) {
        return { requestId: request.requestId, inserted: false, finished: { fingerprint: trace.fingerprint } };
      }
      this.traces.delete(id);
      this.requests.set(id, structuredClone(request));
      return { requestId: request.requestId, inserted: true };
    });
  }

  public async getAll(tenant: string, requestIds: readonly string[]): Promise<Map<string, Request>> {
    throwIfUnavailable(this.unavailable, 'getAll');
    const out = new Map<string, Request>();
    for (const requestId of requestIds) {
      const stored = this.requests.get(mapKey(tenant, requestId));
      if (stored !== undefined) out.set(requestId, structuredClone(stored));
    }
    return out;
  }

  public async updateAll(updates: readonly RequestUpdate[]): Promise<WriteOutcome[]> {
    throwIfUnavailable(this.unavailable, 'updateAll');
    for (const { previous, next } of updates) checkUpdate(previous, next);
    return updates.map(({ previous, next }): WriteOutcome => {
      const id = mapKey(next.tenant, next.requestId);
      if (this.refuses(next)) return { requestId: next.requestId, written: false, reason: 'refused', error: refusal('UpdateItem', next) };
      if (this.requests.get(id)?.version !== previous.version) return { requestId: next.requestId, written: false, reason: 'conflict' };
      this.requests.set(id, structuredClone(next));
      return { requestId: next.requestId, written: true };
    });
  }

  public async deleteAll(requests: readonly Request[]): Promise<WriteOutcome[]> {
    throwIfUnavailable(this.unavailable, 'deleteAll');
    const now = this.dropExpiredTraces();
    return requests.map((request): WriteOutcome => {
      const id = mapKey(request.tenant, request.requestId);
      if (this.refuses(request)) return { requestId: request.requestId, written: false, reason: 'refused', error: refusal('DeleteItem', request) };
      if (this.requests.get(id)?.version !== request.version) return { requestId: request.requestId, written: false, reason: 'conflict' };
      this.requests.delete(id);
      this.traces.set(id, { fingerprint: request.fingerprint, expiresAt: now + FINISHED_TRACE_SECONDS * 1000 });
      return { requestId: request.requestId, written: true };
    });
  }

  public async listWaiting(tenant: string, workerType: string | null, page: PageQuery): Promise<Page<RequestKey>> {
    throwIfUnavailable(this.unavailable, 'listWaiting');
    const listed = [...this.requests.values()]
      .filter((r) => r.tenant === tenant && r.status === 'NO_WORKER_AVAILABLE' && r.stepWorkerType === workerType)
      .map((r) => ({ sortKey: waitingSortKey(r), requestId: r.requestId }));
    return this.page(tenant, JSON.stringify(['waiting', tenant, workerType]), listed, page, undefined);
  }

  public async listSlotQueue(tenant: string, workerType: string, page: PageQuery): Promise<Page<RequestKey>> {
    throwIfUnavailable(this.unavailable, 'listSlotQueue');
    const listed = [...this.requests.values()]
      .filter((r) => r.tenant === tenant && slotQueueOf(r) === workerType)
      .map((r) => ({ sortKey: slotQueueSortKey(r), requestId: r.requestId }));
    return this.page(tenant, JSON.stringify(['slots', tenant, workerType]), listed, page, undefined);
  }

  public async countAheadInSlotQueue(request: Request, cap: number): Promise<{ ahead: number; exact: boolean }> {
    throwIfUnavailable(this.unavailable, 'countAheadInSlotQueue');
    const workerType = slotQueueOf(request);
    if (workerType === undefined) return { ahead: 0, exact: true };
    const mine = slotQueueSortKey(request);
    const ahead = [...this.requests.values()].filter(
      (r) => r.tenant === request.tenant && slotQueueOf(r) === workerType && compareKeys(slotQueueSortKey(r), mine) < 0,
    ).length;
    return { ahead: Math.min(ahead, cap), exact: ahead <= cap };
  }

  /** Nothing to do: this store lists by the stored deadline itself, never by an earlier entry. */
  public async refreshDue(_requests: readonly Request[]): Promise<void> {
    throwIfUnavailable(this.unavailable, 'refreshDue');
  }

  public async listDue(tenant: string, now: Date, page: PageQuery): Promise<Page<RequestKey>> {
    throwIfUnavailable(this.unavailable, 'listDue');
    const listing = JSON.stringify(['due', tenant]);
    const bound = page.cursor === undefined ? dueBound(now) : this.readCursor(page.cursor, listing).b;
    if (bound === undefined) throw new InvalidCursorError('the cursor belongs to another listing');
    const listed: { sortKey: string; requestId: string }[] = [];
    for (const r of this.requests.values()) {
      if (r.tenant !== tenant || r.deadline === null) continue;
      const sortKey = dueSortKey({ ...r, deadline: r.deadline });
      if (compareKeys(sortKey, bound) < 0) listed.push({ sortKey, requestId: r.requestId });
    }
    return this.page(tenant, listing, listed, page, bound);
  }

  /**
   * The DynamoDB store's search, on the same sort keys and cursor, with the same read bound (an
   * entry looked at is an entry read, since nothing here is read ahead).
   */
  public async search(tenant: string, search: RequestSearch, page: SearchPageQuery): Promise<Page<RequestSummary>> {
    throwIfUnavailable(this.unavailable, 'search');
    checkPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeSearchCursor(page.cursor, tenant, search);
    const statuses = new Set(search.statuses);
    if (statuses.size === 0) return { items: [] };
    const budget = searchBudget(page.maxExamined, statuses.size * SHARDS.length);
    const range = searchKeyRange(search);
    const listed = [...this.requests.values()]
      .filter((r) => r.tenant === tenant && statuses.has(r.status))
      .map((r) => ({ sortKey: waitingSortKey(r), request: r }))
      .filter((entry) => isAhead(entry.sortKey, range, after, search.order, compareKeys))
      .sort((a, b) => (search.order === 'asc' ? compareKeys(a.sortKey, b.sortKey) : compareKeys(b.sortKey, a.sortKey)));
    const items: RequestSummary[] = [];
    let examined = 0;
    let last: string | undefined;
    for (const entry of listed) {
      if (examined >= budget || items.length >= page.limit) break;
      examined += 1;
      last = entry.sortKey;
      const summary = toSummary(entry.request);
      if (matchesSearch(summary, search)) items.push(summary);
    }
    return examined < listed.length && last !== undefined ? { items, cursor: encodeSearchCursor(tenant, search, last) } : { items };
  }

  /** How many requests are stored, traces not counted (test helper). */
  public get size(): number {
    return this.requests.size;
  }

  /** How many traces of removed requests are kept (test helper). */
  public get traceCount(): number {
    const now = this.dropExpiredTraces();
    return [...this.traces.values()].filter((trace) => trace.expiresAt > now).length;
  }

  /** Lazily, as DynamoDB's TTL does: the store stays bounded by what was removed within the retention. */
  private dropExpiredTraces(): number {
    const now = this.clock.now().getTime();
    for (const [id, trace] of this.traces) {
      if (trace.expiresAt > now) break;
      this.traces.delete(id);
    }
    return now;
  }

  private page(
    tenant: string,
    listing: string,
    listed: { sortKey: string; requestId: string }[],
    page: PageQuery,
    bound: string | undefined,
  ): Page<RequestKey> {
    checkPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : this.readCursor(page.cursor, listing).after;
    const remaining = listed.filter((entry) => after === undefined || compareKeys(entry.sortKey, after) > 0).sort((a, b) => compareKeys(a.sortKey, b.sortKey));
    const taken = remaining.slice(0, page.limit);
    const items = taken.map((entry) => ({ tenant, requestId: entry.requestId }));
    const last = taken.at(-1);
    if (remaining.length <= page.limit || last === undefined) return { items };
    return { items, cursor: encodeCursor({ v: 1, q: listing, after: last.sortKey, ...(bound === undefined ? {} : { b: bound }) }) };
  }

  private readCursor(cursor: string, listing: string): z.infer<typeof MemoryCursorSchema> {
    const decoded = decodeCursor(cursor, MemoryCursorSchema);
    if (decoded.q !== listing) throw new InvalidCursorError('the cursor belongs to another listing');
    return decoded;
  }
}

function mapKey(tenant: string, requestId: string): string {
  return JSON.stringify([tenant, requestId]);
}

function refusal(operation: string, request: Request): StoreValidationError {
  return new StoreValidationError(`memory store ${operation} refused request ${request.requestId}`);
}
