import { paginateQuery, PutCommand, UpdateCommand, type DynamoDBDocumentClient, type PutCommandInput, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Request } from '../../domain/request/request.js';
import type { RequestSearch, RequestSummary } from '../../domain/request/request-search.js';
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
import { bodyAttributeNames, bodyAttributes, isBodyField } from './body-codec.js';
import { batchGetAll, DEFAULT_CONCURRENCY, mapBounded, type DynamoItem } from './batch.js';
import { conditionalItemCall, storeCall, type ItemWriteResult } from './store-call.js';
import { checkPageLimit, decodeCursor, encodeCursor, InvalidCursorError } from './cursor.js';
import { searchByStatus } from './dynamo-request-search.js';
import { RequestKeys, SHARDS, unescapeKeyPart } from './keys.js';
import {
  checkUpdate,
  compareKeys,
  DUE_INDEX,
  dueBound,
  indexAttributes,
  requestToItem,
  sameValue,
  slotQueueOf,
  slotQueueSortKey,
  storedRequestFromItem,
  TRACE_ATTRIBUTE,
  traceItem,
  WAITING_INDEX,
  type RequestTrace,
} from './request-item.js';
import { CorruptItemError, itemKey } from './stored-item.js';
import { TABLE_DEFINITION, type IndexDefinition } from './table-definition.js';
import { SystemClock, type Clock } from '../../ports/clock.js';

export interface DynamoRequestStoreOptions {
  /** Calls in flight at once for per-item writes. */
  concurrency?: number;
  /** Dates the traces of removed requests (their TTL). */
  clock?: Clock;
}

/** What a key of a request holds: the request, or the trace it left when it was removed. */
type Stored = { request: Request } | { trace: RequestTrace };

/** Where one shard's listing resumes: the key of the last item handed out, or 'done'. */
const ShardPositionSchema = z.union([z.literal('done'), z.null(), z.record(z.string(), z.string())]);
type ShardPosition = z.infer<typeof ShardPositionSchema>;

const ListCursorSchema = z.object({
  v: z.literal(1),
  /** Which listing the cursor belongs to (index, tenant, worker type), so it cannot resume another. */
  q: z.string(),
  /** The due bound of the first page: one listing is one consistent cut, whatever `now` later pages pass. */
  b: z.string().optional(),
  s: z.array(ShardPositionSchema),
});
type ListCursor = z.infer<typeof ListCursorSchema>;

const MAX_INSERT_ROUNDS = 3;

export class DynamoRequestStore extends RequestStore {
  /** One query per index shard. */
  public override get queriesPerListing(): number {
    return SHARDS.length;
  }

  private readonly concurrency: number;
  private readonly clock: Clock;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoRequestStoreOptions = {},
  ) {
    super();
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.clock = options.clock ?? new SystemClock();
  }

  /**
   * One conditional put per request, which also takes the place of a trace: of any trace for a new
   * message, of one with another fingerprint for a redelivery. A put that finds a live request
   * (or, for a redelivery, its own trace) fails, and the item is read back to say which.
   */
  public async insertAll(requests: readonly Request[], options: InsertOptions = {}): Promise<InsertOutcome[]> {
    const outcomes = new Array<InsertOutcome | undefined>(requests.length);
    let pending = requests.map((request, index) => ({ request, index, redelivered: options.redelivered?.[index] === true }));
    // A conflicting item deleted (or traced anew) before we could read it back is simply tried again.
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_INSERT_ROUNDS) {
        throw new Error(`insert of ${pending.length} requests kept racing with deletions after ${MAX_INSERT_ROUNDS} rounds`);
      }
      const results = await mapBounded(
        pending,
        ({ request, redelivered }) =>
          conditionalItemCall('PutItem', () =>
            this.client.send(new PutCommand({ TableName: this.tableName, Item: requestToItem(request), ...insertCondition(request, redelivered) })),
          ),
        this.concurrency,
      );
      const conflicts = pending.filter((_, i) => results[i] === 'conflict');
      pending.forEach(({ request, index }, i) => {
        const result = results[i];
        if (result === 'written') outcomes[index] = { requestId: request.requestId, inserted: true };
        else if (result instanceof StoreValidationError) outcomes[index] = { requestId: request.requestId, inserted: false, refused: result };
      });
      // dynalite does not honour ReturnValuesOnConditionCheckFailure: one consistent batch read instead.
      const existing = await this.readItems(conflicts.map(({ request }) => request));
      for (const { request, index, redelivered } of conflicts) {
        const stored = existing.get(mapKey(request.tenant, request.requestId));
        if (stored === undefined) continue;
        if ('request' in stored) outcomes[index] = { requestId: request.requestId, inserted: false, existing: stored.request };
        // Another trace than the one the put failed on (the request came and went meanwhile) is tried again.
        else if (redelivered && stored.trace.fingerprint === request.fingerprint)
          outcomes[index] = { requestId: request.requestId, inserted: false, finished: stored.trace };
      }
      pending = conflicts.filter(({ index }) => outcomes[index] === undefined);
    }
    return outcomes.map((outcome) => {
      if (outcome === undefined) throw new Error('insert outcome missing');
      return outcome;
    });
  }

  /** A trace is no request: a worker's answer about it is about an unknown request, a GET finds nothing. */
  public async getAll(tenant: string, requestIds: readonly string[]): Promise<Map<string, Request>> {
    const found = await this.readItems(requestIds.map((requestId) => ({ tenant, requestId })));
    const out = new Map<string, Request>();
    for (const stored of found.values()) if ('request' in stored) out.set(stored.request.requestId, stored.request);
    return out;
  }

  public async updateAll(updates: readonly RequestUpdate[]): Promise<WriteOutcome[]> {
    for (const { previous, next } of updates) checkUpdate(previous, next);
    return mapBounded(
      updates,
      async ({ previous, next }): Promise<WriteOutcome> => {
        const result = await conditionalItemCall('UpdateItem', () => this.client.send(new UpdateCommand(this.updateInput(previous, next))));
        return writeOutcome(next.requestId, result);
      },
      this.concurrency,
    );
  }

  /**
   * Replaces each item by its trace, on the same version condition a delete had. The cost is the
   * delete's: DynamoDB bills a put that replaces an item by the larger of the two items (the
   * request, as a delete is billed by the item it deletes), the trace has no index attribute so
   * every index entry is deleted as before, and the TTL deletion of the trace is free. A put, not
   * an update, so that no attribute of the request can stay behind, whichever the item held.
   */
  public async deleteAll(requests: readonly Request[]): Promise<WriteOutcome[]> {
    const now = this.clock.now();
    return mapBounded(
      requests,
      async (request): Promise<WriteOutcome> => {
        const result = await conditionalItemCall('PutItem', () =>
          this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: traceItem(request, now, FINISHED_TRACE_SECONDS),
              ConditionExpression: '#version = :version',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': request.version },
            }),
          ),
        );
        return writeOutcome(request.requestId, result);
      },
      this.concurrency,
    );
  }

  public async listWaiting(tenant: string, workerType: string | null, page: PageQuery): Promise<Page<RequestKey>> {
    return this.listMerged(tenant, page, {
      index: WAITING_INDEX,
      listing: JSON.stringify(['waiting', tenant, workerType]),
      partition: (shard) => RequestKeys.waiting(tenant, workerType, shard),
    });
  }

  public async listSlotQueue(tenant: string, workerType: string, page: PageQuery): Promise<Page<RequestKey>> {
    return this.listMerged(tenant, page, {
      index: WAITING_INDEX,
      listing: JSON.stringify(['slots', tenant, workerType]),
      partition: (shard) => RequestKeys.slotQueue(tenant, workerType, shard),
    });
  }

  public async countAheadInSlotQueue(request: Request, cap: number): Promise<{ ahead: number; exact: boolean }> {
    const workerType = slotQueueOf(request);
    if (workerType === undefined) return { ahead: 0, exact: true };
    const mine = slotQueueSortKey(request);
    // One COUNT query per index shard, each stopping at the cap: the entries read are keys only.
    const perShard = await mapBounded(SHARDS, (shard) =>
      storeCall('Query', async () => {
        let counted = 0;
        const pages = paginateQuery(
          { client: this.client, pageSize: cap },
          {
            TableName: this.tableName,
            IndexName: WAITING_INDEX.name,
            Select: 'COUNT',
            KeyConditionExpression: '#ipk = :ipk AND #isk < :mine',
            ExpressionAttributeNames: { '#ipk': WAITING_INDEX.partitionKey, '#isk': WAITING_INDEX.sortKey },
            ExpressionAttributeValues: { ':ipk': RequestKeys.slotQueue(request.tenant, workerType, shard), ':mine': mine },
          },
        );
        for await (const output of pages) {
          counted += output.Count ?? 0;
          if (output.LastEvaluatedKey === undefined) return { counted, exact: true };
          if (counted >= cap) return { counted, exact: false };
        }
        return { counted, exact: true };
      }),
    );
    const ahead = perShard.reduce((sum, shard) => sum + shard.counted, 0);
    const exact = perShard.every((shard) => shard.exact) && ahead <= cap;
    return { ahead: Math.min(ahead, cap), exact };
  }

  public async refreshDue(requests: readonly Request[]): Promise<void> {
    await mapBounded(
      requests.filter((request) => request.deadline !== null),
      async (request) => {
        const attributes = indexAttributes(request);
        // On the version read: a request that changed since was re-indexed by that write.
        await conditionalItemCall('UpdateItem', () =>
          this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: RequestKeys.primary(request.tenant, request.requestId),
              UpdateExpression: 'SET #dpk = :dpk, #dsk = :dsk',
              ConditionExpression: '#version = :version',
              ExpressionAttributeNames: { '#dpk': DUE_INDEX.partitionKey, '#dsk': DUE_INDEX.sortKey, '#version': 'version' },
              ExpressionAttributeValues: {
                ':dpk': attributes[DUE_INDEX.partitionKey],
                ':dsk': attributes[DUE_INDEX.sortKey],
                ':version': request.version,
              },
            }),
          ),
        );
      },
      this.concurrency,
    );
  }

  public async listDue(tenant: string, now: Date, page: PageQuery): Promise<Page<RequestKey>> {
    return this.listMerged(tenant, page, {
      index: DUE_INDEX,
      listing: JSON.stringify(['due', tenant]),
      partition: (shard) => RequestKeys.due(tenant, shard),
      bound: dueBound(now),
    });
  }

  public async search(tenant: string, search: RequestSearch, page: SearchPageQuery): Promise<Page<RequestSummary>> {
    return searchByStatus(this.client, this.tableName, tenant, search, page, this.concurrency);
  }

  /**
   * SETs only what changed, so a status change does not re-send (or re-deflate) a 256 KB body;
   * REMOVEs the index attributes the request left. A body that changed is SET under the attribute
   * its new bytes are stored as, and the other attribute of its pair is REMOVEd, whichever the item
   * held (it may have been written before bodies were deflated).
   */
  private updateInput(previous: Request, next: Request): UpdateCommandInput {
    const before = requestToItem(previous, { plainBodies: true });
    const after = requestToItem(next, { plainBodies: true });
    if (dueEntryMayStay(previous, next)) {
      // The stored entry is at or before the new deadline (by induction, at or before the previous
      // one): the sweeper may list it early, reads the request, and refreshes it (refreshDue).
      after[DUE_INDEX.partitionKey] = before[DUE_INDEX.partitionKey];
      after[DUE_INDEX.sortKey] = before[DUE_INDEX.sortKey];
    }
    const keyNames = new Set([TABLE_DEFINITION.partitionKey, TABLE_DEFINITION.sortKey]);
    const changed = new Map<string, unknown>();
    const removed = new Set<string>();
    for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (keyNames.has(name) || (name in after && name in before && sameValue(before[name], after[name]))) continue;
      if (isBodyField(name)) {
        const stored = bodyAttributes(name, next[name]);
        for (const [attribute, value] of Object.entries(stored)) changed.set(attribute, value);
        for (const attribute of bodyAttributeNames(name)) if (!(attribute in stored)) removed.add(attribute);
      } else if (name in after) changed.set(name, after[name]);
      else removed.add(name);
    }
    // Every name is a placeholder: request fields such as status, source or session are reserved words.
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':expectedVersion': previous.version };
    const sets = [...changed].map(([name, value], i) => {
      const placeholder = name === 'version' ? '#version' : `#s${i}`;
      names[placeholder] = name;
      values[`:s${i}`] = value;
      return `${placeholder} = :s${i}`;
    });
    const removes = [...removed].map((name, i) => {
      names[`#r${i}`] = name;
      return `#r${i}`;
    });
    const expression = [sets.length > 0 ? `SET ${sets.join(', ')}` : '', removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '']
      .filter((part) => part !== '')
      .join(' ');
    return {
      TableName: this.tableName,
      Key: RequestKeys.primary(next.tenant, next.requestId),
      UpdateExpression: expression,
      ConditionExpression: '#version = :expectedVersion',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  /** Consistent reads: the caller is about to write on condition of what it reads. By mapKey. */
  private async readItems(ids: readonly RequestKey[]): Promise<Map<string, Stored>> {
    const out = new Map<string, Stored>();
    if (ids.length === 0) return out;
    // A trace holds no tenant or request id: items are matched to the ids by their key.
    const byPk = new Map(ids.map(({ tenant, requestId }) => [RequestKeys.primary(tenant, requestId).pk, mapKey(tenant, requestId)]));
    const items = await this.batchRead(ids.map(({ tenant, requestId }) => RequestKeys.primary(tenant, requestId)));
    for (const item of items) {
      const id = byPk.get(String(item[TABLE_DEFINITION.partitionKey]));
      if (id !== undefined) out.set(id, storedRequestFromItem(item));
    }
    return out;
  }

  /**
   * One batched read; if the store refuses it (one key it cannot take), the keys are read one by
   * one so that only the refused ones go missing: their events are then about a request the store
   * does not hold, and their neighbours are read as usual.
   */
  private async batchRead(keys: readonly DynamoItem[]): Promise<DynamoItem[]> {
    const options = { consistentRead: true, concurrency: this.concurrency };
    try {
      return await batchGetAll(this.client, this.tableName, keys, options);
    } catch (error) {
      if (!(error instanceof StoreValidationError) || keys.length === 1) throw error;
      const perKey = await mapBounded(
        keys,
        (key) =>
          batchGetAll(this.client, this.tableName, [key], options).catch((refused: unknown) => {
            if (refused instanceof StoreValidationError) return [];
            throw refused;
          }),
        this.concurrency,
      );
      return perKey.flat();
    }
  }

  /**
   * One page of an index listing spread over the shards: each shard is read up to `limit` keys
   * from where it stopped, the keys are merged by sort key and the first `limit` are handed out.
   * The cursor keeps, per shard, the last key handed out (or 'done'), so the next page starts
   * exactly after it: nothing is skipped or repeated, whatever the shards' sizes.
   */
  private async listMerged(
    tenant: string,
    page: PageQuery,
    spec: { index: IndexDefinition; listing: string; partition: (shard: number) => string; bound?: string },
  ): Promise<Page<RequestKey>> {
    checkPageLimit(page.limit);
    const { index } = spec;
    const cursor = page.cursor === undefined ? undefined : this.readCursor(page.cursor, spec);
    const bound = cursor?.b ?? spec.bound;
    const positions: ShardPosition[] = cursor?.s ?? SHARDS.map(() => null);

    const perShard = await mapBounded(SHARDS, async (shard) => {
      const position = positions[shard] ?? null;
      if (position === 'done') return { items: [] as IndexedKey[], exhausted: true };
      // Bounded: the pages stop as soon as the shard gave `limit` keys (a page holds fewer only past 1 MB).
      return storeCall('Query', async () => {
        const items: IndexedKey[] = [];
        const pages = paginateQuery(
          { client: this.client, pageSize: page.limit },
          {
            TableName: this.tableName,
            IndexName: index.name,
            KeyConditionExpression: bound === undefined ? '#ipk = :ipk' : '#ipk = :ipk AND #isk < :bound',
            ExpressionAttributeNames: { '#ipk': index.partitionKey, ...(bound === undefined ? {} : { '#isk': index.sortKey }) },
            ExpressionAttributeValues: { ':ipk': spec.partition(shard), ...(bound === undefined ? {} : { ':bound': bound }) },
            ...(position === null ? {} : { ExclusiveStartKey: position }),
          },
        );
        for await (const output of pages) {
          for (const raw of output.Items ?? []) items.push(indexedKey(raw, index, shard));
          if (output.LastEvaluatedKey === undefined) return { items, exhausted: true };
          if (items.length >= page.limit) return { items, exhausted: false };
        }
        return { items, exhausted: true };
      });
    });

    const merged = perShard
      .flatMap((result) => result.items)
      .sort((a, b) => compareKeys(a.sortKey, b.sortKey))
      .slice(0, page.limit);
    const consumed = SHARDS.map(() => 0);
    const lastKey = SHARDS.map((): Record<string, string> | undefined => undefined);
    for (const key of merged) {
      consumed[key.shard] = (consumed[key.shard] ?? 0) + 1;
      lastKey[key.shard] = key.startKey;
    }
    const nextPositions: ShardPosition[] = SHARDS.map((shard) => {
      const result = perShard[shard];
      if (result === undefined || (result.exhausted && consumed[shard] === result.items.length)) return 'done';
      return lastKey[shard] ?? positions[shard] ?? null;
    });
    const items = merged.map((key) => ({ tenant, requestId: requestIdOf(tenant, key.pk) }));
    if (nextPositions.every((position) => position === 'done')) return { items };
    const next: ListCursor = { v: 1, q: spec.listing, s: nextPositions, ...(bound === undefined ? {} : { b: bound }) };
    return { items, cursor: encodeCursor(next) };
  }

  private readCursor(cursor: string, spec: { index: IndexDefinition; listing: string; partition: (shard: number) => string }): ListCursor {
    const decoded = decodeCursor(cursor, ListCursorSchema);
    if (decoded.q !== spec.listing || decoded.s.length !== SHARDS.length) {
      throw new InvalidCursorError('the cursor belongs to another listing');
    }
    decoded.s.forEach((position, shard) => {
      // A start key outside the shard's partition would read another tenant's or list's keys.
      if (position !== null && position !== 'done' && position[spec.index.partitionKey] !== spec.partition(shard)) {
        throw new InvalidCursorError('the cursor belongs to another listing');
      }
    });
    return decoded;
  }
}

interface IndexedKey {
  shard: number;
  pk: string;
  sortKey: string;
  /** The item's table and index keys: what ExclusiveStartKey needs to resume after it. */
  startKey: Record<string, string>;
}

function stringAttribute(raw: Record<string, unknown>, name: string, index: IndexDefinition): string {
  const value = raw[name];
  if (typeof value !== 'string') throw new CorruptItemError(itemKey(raw), `index ${index.name} returned a key whose ${name} is not a string`);
  return value;
}

function indexedKey(raw: Record<string, unknown>, index: IndexDefinition, shard: number): IndexedKey {
  const pk = stringAttribute(raw, TABLE_DEFINITION.partitionKey, index);
  const sk = stringAttribute(raw, TABLE_DEFINITION.sortKey, index);
  const ipk = stringAttribute(raw, index.partitionKey, index);
  const isk = stringAttribute(raw, index.sortKey, index);
  return {
    shard,
    pk,
    sortKey: isk,
    startKey: { [TABLE_DEFINITION.partitionKey]: pk, [TABLE_DEFINITION.sortKey]: sk, [index.partitionKey]: ipk, [index.sortKey]: isk },
  };
}

function requestIdOf(tenant: string, pk: string): string {
  const prefix = RequestKeys.primary(tenant, '').pk;
  if (!pk.startsWith(prefix)) throw new CorruptItemError(JSON.stringify(pk), `index key is not a request of tenant ${tenant}`);
  return unescapeKeyPart(pk.slice(prefix.length));
}

function mapKey(tenant: string, requestId: string): string {
  return JSON.stringify([tenant, requestId]);
}

/**
 * The put of a new request: where no item is, or over a trace (never over a live request). For a
 * redelivery, not over a trace of the same fingerprint: that is the replay of a request that ran.
 * On `trace` existing, not on the trace read: of two puts over one trace, only the first finds it.
 */
function insertCondition(
  request: Request,
  redelivered: boolean,
): Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const names = { '#pk': TABLE_DEFINITION.partitionKey, '#trace': TRACE_ATTRIBUTE };
  if (!redelivered) return { ConditionExpression: 'attribute_not_exists(#pk) OR attribute_exists(#trace)', ExpressionAttributeNames: names };
  return {
    ConditionExpression: 'attribute_not_exists(#pk) OR (attribute_exists(#trace) AND #fingerprint <> :fingerprint)',
    ExpressionAttributeNames: { ...names, '#fingerprint': 'fingerprint' },
    ExpressionAttributeValues: { ':fingerprint': request.fingerprint },
  };
}

function writeOutcome(requestId: string, result: ItemWriteResult): WriteOutcome {
  if (result === 'written') return { requestId, written: true };
  if (result === 'conflict') return { requestId, written: false, reason: 'conflict' };
  return { requestId, written: false, reason: 'refused', error: result };
}

/**
 * Whether an update may leave the due entry where it is: a worker's RUNNING that only moves the
 * deadline later (time-to-start becomes time-to-complete). Only then: the old entry is not due yet
 * (the request would have timed out), so it costs nothing until the sweeper meets it, which is
 * only for a request still running past its time-to-start; a deadline the sweeper itself sets
 * moves the entry at once, since the old one is already due and would be listed next run.
 */
function dueEntryMayStay(previous: Request, next: Request): boolean {
  return next.status === 'RUNNING' && previous.deadline !== null && next.deadline !== null && Date.parse(next.deadline) >= Date.parse(previous.deadline);
}
