import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WorkerTypeLimit } from '../../contract/fair-dispatch-settings.js';
import { SlotStore, slotsThatFit, type SlotCounts, type TakeOptions } from '../../ports/slot-store.js';
import { SlotKeys, unescapeKeyPart } from './keys.js';
import { conditionalCall, storeCall } from './store-call.js';
import { CorruptItemError, itemKey } from './stored-item.js';

/*
 * One item per limited worker type at SlotKeys.workerType:
 *   { pk, sk, n: total in flight, "t:<tenant>": in flight of that tenant, last: tenant that last took,
 *     q: string set of the tenants with requests waiting for a slot }
 * Top-level attributes, because ADD works only on those; names go through
 * ExpressionAttributeNames. A take is ONE UpdateItem whose condition checks the total and the
 * tenant's count together, so the two limits never need a transaction (dynalite has none).
 * A hot item by design: it is only written for limited worker types, whose rate the limit bounds.
 */
const TENANT_PREFIX = 't:';
const WORKER_TYPE_PREFIX = SlotKeys.workerType('').sk;

export class DynamoSlotStore extends SlotStore {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    super();
  }

  public async read(workerType: string): Promise<SlotCounts> {
    const output = await storeCall('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: SlotKeys.workerType(workerType), ConsistentRead: true })),
    );
    return countsOf(output.Item ?? {});
  }

  public async take(workerType: string, tenant: string, want: number, limit: WorkerTypeLimit, options: TakeOptions = {}): Promise<number> {
    // What fits in empty counters: an absent counter passes its condition, so it must not be asked more.
    const first = slotsThatFit({ total: 0, byTenant: new Map(), waitingTenants: new Set() }, tenant, want, limit);
    if (first <= 0) return 0;
    // First as if the counters had room (one write); on a refusal, read them and ask for what fits.
    if (await this.takeExactly(workerType, tenant, first, limit, options)) return first;
    const fits = slotsThatFit(await this.read(workerType), tenant, want, limit, options);
    if (fits > 0 && (await this.takeExactly(workerType, tenant, fits, limit, options))) return fits;
    return 0;
  }

  public async release(workerType: string, tenant: string, count: number): Promise<void> {
    if (count <= 0) return;
    await storeCall('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: SlotKeys.workerType(workerType),
          UpdateExpression: 'ADD #n :minus, #t :minus',
          ExpressionAttributeNames: { '#n': 'n', '#t': `${TENANT_PREFIX}${tenant}` },
          ExpressionAttributeValues: { ':minus': -count },
        }),
      ),
    );
  }

  public async noteWaiting(workerType: string, tenants: readonly string[]): Promise<void> {
    if (tenants.length === 0) return;
    await this.updateSet('ADD', workerType, tenants);
  }

  public async forgetWaiting(workerType: string, tenant: string): Promise<void> {
    await this.updateSet('DELETE', workerType, [tenant]);
  }

  private async updateSet(action: 'ADD' | 'DELETE', workerType: string, tenants: readonly string[]): Promise<void> {
    await storeCall('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: SlotKeys.workerType(workerType),
          UpdateExpression: `${action} #q :tenants`,
          ExpressionAttributeNames: { '#q': 'q' },
          ExpressionAttributeValues: { ':tenants': new Set(tenants) },
        }),
      ),
    );
  }

  public async reset(workerType: string, byTenant: ReadonlyMap<string, number>): Promise<void> {
    const stored = await this.read(workerType);
    const tenants = [...new Set([...stored.byTenant.keys(), ...byTenant.keys()])];
    const names: Record<string, string> = { '#n': 'n' };
    const values: Record<string, number> = { ':n': [...byTenant.values()].reduce((sum, count) => sum + count, 0) };
    const sets = ['#n = :n'];
    // A tenant with nothing in flight is dropped, so the tenants a reconciliation counts stay those holding slots.
    const removes: string[] = [];
    tenants.forEach((tenant, index) => {
      names[`#t${index}`] = `${TENANT_PREFIX}${tenant}`;
      const count = byTenant.get(tenant) ?? 0;
      if (count === 0) {
        removes.push(`#t${index}`);
        return;
      }
      values[`:t${index}`] = count;
      sets.push(`#t${index} = :t${index}`);
    });
    await storeCall('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: SlotKeys.workerType(workerType),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length === 0 ? '' : ` REMOVE ${removes.join(', ')}`}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  public async listWorkerTypes(limit: number): Promise<string[]> {
    // Every counter item shares one small partition: one query, keys only.
    const { pk } = SlotKeys.workerType('');
    const output = await storeCall('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ProjectionExpression: 'sk',
          Limit: limit,
        }),
      ),
    );
    return (output.Items ?? []).flatMap((item) => {
      const sk = item['sk'];
      return typeof sk === 'string' && sk.startsWith(WORKER_TYPE_PREFIX) ? [unescapeKeyPart(sk.slice(WORKER_TYPE_PREFIX.length))] : [];
    });
  }

  public async dropIdle(workerType: string, tenants: readonly string[]): Promise<void> {
    // One conditional write per tenant: a take or release since the read makes it a no-op.
    for (const tenant of tenants) {
      await conditionalCall('UpdateItem', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: SlotKeys.workerType(workerType),
            UpdateExpression: 'REMOVE #t',
            ConditionExpression: '#t = :zero',
            ExpressionAttributeNames: { '#t': `${TENANT_PREFIX}${tenant}` },
            ExpressionAttributeValues: { ':zero': 0 },
          }),
        ),
      );
    }
  }

  public async removeIfNoneWaiting(workerType: string): Promise<boolean> {
    const result = await conditionalCall('DeleteItem', () =>
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: SlotKeys.workerType(workerType),
          ConditionExpression: 'attribute_not_exists(#q)',
          ExpressionAttributeNames: { '#q': 'q' },
        }),
      ),
    );
    return result === 'written';
  }

  /** Adds `count` if both counts stay within their limits after it (and, behind waiting, if nobody waits ahead: see waitingAhead). */
  private async takeExactly(workerType: string, tenant: string, count: number, limit: WorkerTypeLimit, options: TakeOptions): Promise<boolean> {
    const perTenant = limit.maxInFlightPerTenant;
    const condition = ['(attribute_not_exists(#n) OR #n <= :roomTotal)'];
    const names: Record<string, string> = { '#n': 'n', '#t': `${TENANT_PREFIX}${tenant}`, '#last': 'last' };
    const values: Record<string, unknown> = { ':count': count, ':tenant': tenant, ':roomTotal': limit.maxInFlight - count };
    if (perTenant !== undefined) {
      condition.push('(attribute_not_exists(#t) OR #t <= :roomTenant)');
      values[':roomTenant'] = perTenant - count;
    }
    if (options.behindWaiting === true) {
      // An emptied string set is removed, so "nobody waits" is the attribute's absence.
      names['#q'] = 'q';
      condition.push(perTenant === undefined ? 'attribute_not_exists(#q)' : '(attribute_not_exists(#q) OR NOT contains(#q, :tenant))');
    }
    const result = await conditionalCall('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: SlotKeys.workerType(workerType),
          UpdateExpression: 'SET #last = :tenant ADD #n :count, #t :count',
          ConditionExpression: condition.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return result === 'written';
  }
}

function countsOf(item: Record<string, unknown>): SlotCounts {
  const byTenant = new Map<string, number>();
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(TENANT_PREFIX)) continue;
    if (typeof value !== 'number') throw new CorruptItemError(itemKey(item), `slot count ${name} is not a number`);
    byTenant.set(name.slice(TENANT_PREFIX.length), value);
  }
  const total = item['n'] ?? 0;
  if (typeof total !== 'number') throw new CorruptItemError(itemKey(item), 'slot total is not a number');
  const last = item['last'];
  const waiting = item['q'];
  const waitingTenants = waiting instanceof Set ? new Set([...waiting].filter((tenant): tenant is string => typeof tenant === 'string')) : new Set<string>();
  return { total, byTenant, lastTenant: typeof last === 'string' ? last : undefined, waitingTenants };
}
