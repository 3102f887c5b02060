import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { CounterStore, type CounterDelta, type SessionCounters } from '../../ports/counter-store.js';
import { sumDeltas } from './counter-sum.js';
import { DEFAULT_CONCURRENCY, mapBounded } from './batch.js';
import { storeCall } from './store-call.js';
import { CounterKeys } from './keys.js';
import { CorruptItemError, itemKey, parseStoredItem } from './stored-item.js';

/*
 * One item per (tenant, source, session) at CounterKeys.session:
 *   { pk, sk, tenant, source, session, "c:<property>": number, ... }
 * Each counter is a TOP-LEVEL attribute named "c:" + the property (e.g. "c:workers.extract.dispatched"),
 * because ADD only works on top-level attributes and a map attribute would first have to exist.
 * The prefix keeps counters apart from the item's own attributes; names are always passed through
 * ExpressionAttributeNames, so the dots are never read as a document path.
 */
export const COUNTER_ATTRIBUTE_PREFIX = 'c:';

export interface DynamoCounterStoreOptions {
  concurrency?: number;
}

const CounterItemSchema = z.object({ tenant: z.string(), source: z.string(), session: z.string() }).catchall(z.unknown());

export class DynamoCounterStore extends CounterStore {
  private readonly concurrency: number;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoCounterStoreOptions = {},
  ) {
    super();
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  }

  public async apply(deltas: readonly CounterDelta[]): Promise<SessionCounters[]> {
    return mapBounded(
      sumDeltas(deltas),
      async ({ tenant, source, session, values }) => {
        const names: Record<string, string> = { '#tenant': 'tenant', '#source': 'source', '#session': 'session' };
        const expressionValues: Record<string, unknown> = { ':tenant': tenant, ':source': source, ':session': session };
        const adds = [...values].map(([property, value], i) => {
          names[`#c${i}`] = `${COUNTER_ATTRIBUTE_PREFIX}${property}`;
          expressionValues[`:c${i}`] = value;
          return `#c${i} :c${i}`;
        });
        const output = await storeCall('UpdateItem', () =>
          this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: CounterKeys.session(tenant, source, session),
              UpdateExpression: `SET #tenant = :tenant, #source = :source, #session = :session ADD ${adds.join(', ')}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: expressionValues,
              // The item as this write left it: the same write units, and no read to race with.
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        return this.countersOf(output.Attributes ?? {}, tenant, source, session);
      },
      this.concurrency,
    );
  }

  public async get(tenant: string, source: string, session: string): Promise<SessionCounters | undefined> {
    const output = await storeCall('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: CounterKeys.session(tenant, source, session), ConsistentRead: true })),
    );
    if (output.Item === undefined) return undefined;
    return this.countersOf(output.Item, tenant, source, session);
  }

  private countersOf(stored: Record<string, unknown>, tenant: string, source: string, session: string): SessionCounters {
    const key = itemKey(stored);
    const item = parseStoredItem(CounterItemSchema, stored, key, `counter item of ${tenant}/${source}/${session}`);
    const values = new Map<string, number>();
    for (const [name, value] of Object.entries(item)) {
      if (!name.startsWith(COUNTER_ATTRIBUTE_PREFIX)) continue;
      if (typeof value !== 'number') throw new CorruptItemError(key, `counter ${name} of ${tenant}/${source}/${session} is not a number`);
      values.set(name.slice(COUNTER_ATTRIBUTE_PREFIX.length), value);
    }
    // fromEntries defines own properties, so a property named like an Object member stays a counter.
    return { tenant: item.tenant, source: item.source, session: item.session, values: Object.fromEntries(values) };
  }
}
