import { BatchGetCommand, BatchWriteCommand, paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { backoffDelay, sleep, type BackoffPolicy } from '../../kernel/backoff.js';
import { StoreUnavailableError } from '../../ports/request-store.js';
import { storeCall } from './store-call.js';
import { TABLE_DEFINITION } from './table-definition.js';

/** An item as read from or written to the table; readers narrow it (zod) before use. */
export type DynamoItem = Record<string, unknown>;

export const DEFAULT_CONCURRENCY = 32;
/** DynamoDB limits: 100 keys per BatchGetItem, 25 requests per BatchWriteItem. */
export const BATCH_GET_LIMIT = 100;
export const BATCH_WRITE_LIMIT = 25;

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, results in input order. The first
 * failure rejects the whole map and stops starting new calls (calls in flight finish on their own).
 */
export async function mapBounded<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>, limit: number = DEFAULT_CONCURRENCY): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// --- Batches --------------------------------------------------------------------------------

export interface BatchRetryOptions {
  /** Rounds for unprocessed keys/items, the first call included. */
  maxAttempts?: number;
  /** First backoff; doubles each round, full jitter, capped at 2 s. */
  baseDelayMs?: number;
  concurrency?: number;
}

const DEFAULT_BATCH_ATTEMPTS = 8;
const DEFAULT_BASE_DELAY_MS = 25;

/** Unprocessed keys or items are DynamoDB throttling part of a batch: wait, then send what is left. */
function unprocessedBackoff(baseDelayMs: number): BackoffPolicy {
  return { initialDelayMs: baseDelayMs, maxDelayMs: 2_000, factor: 2, jitter: 1 };
}

function keyOf(item: DynamoItem): DynamoItem {
  return { [TABLE_DEFINITION.partitionKey]: item[TABLE_DEFINITION.partitionKey], [TABLE_DEFINITION.sortKey]: item[TABLE_DEFINITION.sortKey] };
}

function keyString(key: DynamoItem): string {
  return JSON.stringify([key[TABLE_DEFINITION.partitionKey], key[TABLE_DEFINITION.sortKey]]);
}

export interface BatchGetOptions extends BatchRetryOptions {
  consistentRead?: boolean;
}

/**
 * Reads the items at `keys` (missing ones are simply absent from the result, in no particular
 * order). Duplicate keys are read once: DynamoDB rejects a batch that names a key twice.
 */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly DynamoItem[],
  options: BatchGetOptions = {},
): Promise<DynamoItem[]> {
  const unique = [...new Map(keys.map((key) => [keyString(key), keyOf(key)])).values()];
  const maxAttempts = options.maxAttempts ?? DEFAULT_BATCH_ATTEMPTS;
  const policy = unprocessedBackoff(options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS);
  const chunks = await mapBounded(
    chunk(unique, BATCH_GET_LIMIT),
    async (part) => {
      const found: DynamoItem[] = [];
      let pending: DynamoItem[] = part;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= maxAttempts) {
          throw new StoreUnavailableError(`DynamoDB BatchGetItem left ${pending.length} keys unprocessed after ${maxAttempts} attempts (throttled)`);
        }
        if (attempt > 0) await sleep(backoffDelay(attempt, policy));
        const request = pending;
        const output = await storeCall('BatchGetItem', () =>
          client.send(
            new BatchGetCommand({
              RequestItems: { [tableName]: { Keys: request, ConsistentRead: options.consistentRead ?? false } },
            }),
          ),
        );
        const items: readonly DynamoItem[] = output.Responses?.[tableName] ?? [];
        found.push(...items);
        pending = output.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
      return found;
    },
    options.concurrency ?? DEFAULT_CONCURRENCY,
  );
  return chunks.flat();
}

export type BatchWriteRequest = { put: DynamoItem } | { delete: DynamoItem };

/**
 * Unconditional puts and deletes, 25 per call, unprocessed ones retried with backoff. When a key
 * appears twice the last request wins, as it would if they were sent one by one.
 */
export async function batchWriteAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly BatchWriteRequest[],
  options: BatchRetryOptions = {},
): Promise<void> {
  const byKey = new Map<string, BatchWriteRequest>();
  for (const request of requests) {
    const key = 'put' in request ? keyOf(request.put) : keyOf(request.delete);
    const id = keyString(key);
    byKey.delete(id);
    byKey.set(id, request);
  }
  const maxAttempts = options.maxAttempts ?? DEFAULT_BATCH_ATTEMPTS;
  const policy = unprocessedBackoff(options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS);
  const wire = [...byKey.values()].map((request) =>
    'put' in request ? { PutRequest: { Item: request.put } } : { DeleteRequest: { Key: keyOf(request.delete) } },
  );
  await mapBounded(
    chunk(wire, BATCH_WRITE_LIMIT),
    async (part) => {
      let pending: typeof part = part;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= maxAttempts) {
          throw new StoreUnavailableError(`DynamoDB BatchWriteItem left ${pending.length} requests unprocessed after ${maxAttempts} attempts (throttled)`);
        }
        if (attempt > 0) await sleep(backoffDelay(attempt, policy));
        const request = pending;
        const output = await storeCall('BatchWriteItem', () => client.send(new BatchWriteCommand({ RequestItems: { [tableName]: request } })));
        pending = [];
        for (const unprocessed of output.UnprocessedItems?.[tableName] ?? []) {
          if (unprocessed.PutRequest?.Item !== undefined) pending.push({ PutRequest: { Item: unprocessed.PutRequest.Item } });
          else if (unprocessed.DeleteRequest?.Key !== undefined) pending.push({ DeleteRequest: { Key: unprocessed.DeleteRequest.Key } });
        }
      }
    },
    options.concurrency ?? DEFAULT_CONCURRENCY,
  );
}

/**
 * Every page of one query, for the small partitions read whole (tenants, a worker type's
 * instances): the items, and the count DynamoDB reports (what `Select: 'COUNT'` returns). A
 * transient failure reads the partition again from its first page.
 */
export async function queryAllPages(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<{ items: DynamoItem[]; count: number }> {
  return storeCall('Query', async () => {
    const items: DynamoItem[] = [];
    let count = 0;
    // The paginator writes each page's start key into the input it is given: a copy per attempt.
    for await (const page of paginateQuery({ client }, { ...input })) {
      items.push(...(page.Items ?? []));
      count += page.Count ?? 0;
    }
    return { items, count };
  });
}
