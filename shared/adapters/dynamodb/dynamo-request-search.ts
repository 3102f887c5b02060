import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { matchesSearch, type RequestSearch, type RequestSummary } from '../../domain/request/request-search.js';
import type { Page, SearchPageQuery } from '../../ports/request-store.js';
import { mapBounded } from './batch.js';
import { storeCall } from './store-call.js';
import { checkPageLimit } from './cursor.js';
import { RequestKeys, SHARDS, statusPartition } from './keys.js';
import { BY_STATUS_INDEX, compareKeys } from './request-item.js';
import { CorruptItemError, itemKey } from './stored-item.js';
import { decodeSearchCursor, encodeSearchCursor, searchBudget, searchKeyRange, toSummary } from './search-keys.js';

/*
 * A search over the status index (gsi1): one partition per (status, shard), each sorted by
 * creation date. The partitions are read lazily, a chunk at a time, and merged by sort key; an
 * entry is handed out only once every partition that still has entries shows its next one, so the
 * entries looked at are always a prefix of the merged order and the cursor is the last key.
 * Filters the index cannot express (contains, match modes, ignoreCase, ids) are applied to the
 * projected entries. Reads are Query calls only: never a Scan.
 */

interface Entry {
  sortKey: string;
  summary: RequestSummary;
}

interface Stream {
  partition: string;
  buffer: Entry[];
  start: Record<string, unknown> | undefined;
  exhausted: boolean;
}

export async function searchByStatus(
  client: DynamoDBDocumentClient,
  tableName: string,
  tenant: string,
  search: RequestSearch,
  page: SearchPageQuery,
  concurrency: number,
): Promise<Page<RequestSummary>> {
  checkPageLimit(page.limit);
  const after = page.cursor === undefined ? undefined : decodeSearchCursor(page.cursor, tenant, search);
  // statusPartition is idempotent: a partition name keys as itself.
  const partitions = [...new Set(search.statuses.map(statusPartition))].flatMap((partition) =>
    SHARDS.map((shard) => RequestKeys.byStatus(tenant, partition, shard)),
  );
  if (partitions.length === 0) return { items: [] };
  const budget = searchBudget(page.maxExamined, partitions.length);
  const range = searchKeyRange(search);
  const asc = search.order === 'asc';
  // The cursor's key is the new inclusive bound (DynamoDB has one comparison per sort key); its own entry is dropped.
  const lower = asc ? (after ?? range.lo) : range.lo;
  const upper = asc ? range.hi : (after ?? range.hi);
  const streams: Stream[] = partitions.map((partition) => ({ partition, buffer: [], start: undefined, exhausted: false }));
  const items: RequestSummary[] = [];
  let read = 0;
  let last = after;

  const fetch = async (stream: Stream, limit: number): Promise<void> => {
    const condition = keyCondition(lower, upper);
    const startKey = stream.start;
    const output = await storeCall('Query', () =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: BY_STATUS_INDEX.name,
          KeyConditionExpression: condition.expression,
          ExpressionAttributeNames: { '#ipk': BY_STATUS_INDEX.partitionKey, ...(condition.values.length > 0 ? { '#isk': BY_STATUS_INDEX.sortKey } : {}) },
          ExpressionAttributeValues: { ':ipk': stream.partition, ...Object.fromEntries(condition.values) },
          ScanIndexForward: asc,
          Limit: limit,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      ),
    );
    const raw = output.Items ?? [];
    read += raw.length;
    stream.buffer = raw.map(entryOf).filter((entry) => entry.sortKey !== after);
    stream.start = output.LastEvaluatedKey;
    stream.exhausted = stream.start === undefined;
  };

  for (;;) {
    const needing = streams.filter((stream) => stream.buffer.length === 0 && !stream.exhausted);
    if (needing.length > 0) {
      const remaining = budget - read;
      // Past this point some partition's next entry is unknown, so nothing more can be handed out in order.
      if (remaining < needing.length) break;
      const chunk = Math.max(1, Math.min(page.limit - items.length, Math.floor(remaining / needing.length)));
      await mapBounded(needing, (stream) => fetch(stream, chunk), concurrency);
      continue;
    }
    let next: Stream | undefined;
    for (const stream of streams) {
      const head = stream.buffer[0];
      if (head === undefined) continue;
      const best = next?.buffer[0];
      if (best === undefined || (asc ? compareKeys(head.sortKey, best.sortKey) < 0 : compareKeys(head.sortKey, best.sortKey) > 0)) next = stream;
    }
    const entry = next?.buffer.shift();
    if (entry === undefined) break;
    last = entry.sortKey;
    if (matchesSearch(entry.summary, search)) items.push(entry.summary);
    if (items.length >= page.limit) break;
  }
  const more = streams.some((stream) => stream.buffer.length > 0 || !stream.exhausted);
  return more && last !== undefined ? { items, cursor: encodeSearchCursor(tenant, search, last) } : { items };
}

function keyCondition(lower: string | undefined, upper: string | undefined): { expression: string; values: [string, string][] } {
  if (lower !== undefined && upper !== undefined) {
    return {
      expression: '#ipk = :ipk AND #isk BETWEEN :lo AND :hi',
      values: [
        [':lo', lower],
        [':hi', upper],
      ],
    };
  }
  if (lower !== undefined) return { expression: '#ipk = :ipk AND #isk >= :lo', values: [[':lo', lower]] };
  if (upper !== undefined) return { expression: '#ipk = :ipk AND #isk <= :hi', values: [[':hi', upper]] };
  return { expression: '#ipk = :ipk', values: [] };
}

function entryOf(raw: Record<string, unknown>): Entry {
  const sortKey = raw[BY_STATUS_INDEX.sortKey];
  if (typeof sortKey !== 'string') throw new CorruptItemError(itemKey(raw), `index ${BY_STATUS_INDEX.name} returned an entry without a sort key`);
  return { sortKey, summary: toSummary(raw) };
}
