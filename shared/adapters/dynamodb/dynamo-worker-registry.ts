import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { WorkerRegistry, type AliveWorkerType, type Heartbeat } from '../../ports/worker-registry.js';
import { DEFAULT_CONCURRENCY, mapBounded, queryAllPages } from './batch.js';
import { conditionalCall, isConditionalCheckFailed, storeCall } from './store-call.js';
import { WorkerKeys } from './keys.js';
import { itemKey, parseStoredItem } from './stored-item.js';
import { TABLE_DEFINITION } from './table-definition.js';
import { latestBeats, resolveRegistryOptions, WrittenBeats, type ResolvedRegistryOptions, type WorkerRegistryOptions } from './worker-beats.js';

/*
 * Items (timestamps are ISO strings from toISOString, fixed width, so string order is time order):
 *   WorkerKeys.type(t)          { workerType, lastBeatAt, aliveUntil, ttl }   in the WORKERS partition
 *   WorkerKeys.instance(t, i)   { workerType, instanceId, lastBeatAt (manager receive time),
 *                                 reportedAt (the worker's own date, display only), ttl }
 * A type is alive while aliveUntil > now. `ttl` (epoch seconds, a day after the item stops
 * mattering) only lets AWS clean up leftovers; nothing relies on it.
 */

export interface DynamoWorkerRegistryOptions extends WorkerRegistryOptions {
  concurrency?: number;
}

const TypeItemSchema = z.object({ workerType: z.string(), lastBeatAt: z.iso.datetime(), aliveUntil: z.iso.datetime() });
type TypeItem = z.infer<typeof TypeItemSchema>;
const InstanceItemSchema = z.object({ pk: z.string(), sk: z.string(), lastBeatAt: z.iso.datetime() });
const OldAliveUntilSchema = z.object({ aliveUntil: z.iso.datetime().optional() }).optional();

const TTL_GRACE_SECONDS = 86_400;

function ttlOf(at: number): number {
  return Math.ceil(at / 1000) + TTL_GRACE_SECONDS;
}

export class DynamoWorkerRegistry extends WorkerRegistry {
  private readonly options: ResolvedRegistryOptions;
  private readonly written: WrittenBeats;
  private readonly concurrency: number;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoWorkerRegistryOptions = {},
  ) {
    super();
    this.options = resolveRegistryOptions(options);
    this.written = new WrittenBeats(this.options);
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  }

  public async record(beats: readonly Heartbeat[], now: Date): Promise<{ revived: string[] }> {
    this.written.prune(now);
    const latest = latestBeats(beats, now, this.options.expiryMs);
    const types = [...latest.types].filter(([workerType, at]) => !this.written.typeIsFresh(workerType, at, now));
    const instances = latest.instances.filter((beat) => !this.written.instanceIsFresh(beat));
    const [revived] = await Promise.all([
      mapBounded(types, ([workerType, at]) => this.touchType(workerType, at, now), this.concurrency),
      mapBounded(instances, (beat) => this.touchInstance(beat), this.concurrency),
    ]);
    return { revived: types.filter((_, i) => revived[i] === true).map(([workerType]) => workerType) };
  }

  public async aliveWorkerTypes(now: Date): Promise<AliveWorkerType[]> {
    const alive = (await this.typeItems()).filter((type) => Date.parse(type.aliveUntil) > now.getTime());
    const cutoff = new Date(now.getTime() - this.options.expiryMs).toISOString();
    const counted = await mapBounded(
      alive,
      async (type): Promise<AliveWorkerType> => ({
        workerType: type.workerType,
        instances: await this.countLiveInstances(type.workerType, cutoff),
        lastBeatAt: new Date(type.lastBeatAt),
      }),
      this.concurrency,
    );
    return counted.filter((type) => type.instances > 0).sort((a, b) => (a.workerType < b.workerType ? -1 : a.workerType > b.workerType ? 1 : 0));
  }

  public async expire(now: Date): Promise<{ removedInstances: number; deadTypes: string[] }> {
    const cutoff = now.getTime() - this.options.expiryMs;
    const results = await mapBounded(
      await this.typeItems(),
      async (type) => {
        const instances = await this.instanceItems(type.workerType);
        const expired = instances.filter((instance) => Date.parse(instance.lastBeatAt) <= cutoff);
        const outcomes = await mapBounded(
          expired,
          (instance) =>
            // Conditional on the beat we saw: a fresh beat written meanwhile wins over the delete.
            conditionalCall('DeleteItem', () =>
              this.client.send(
                new DeleteCommand({
                  TableName: this.tableName,
                  Key: { [TABLE_DEFINITION.partitionKey]: instance.pk, [TABLE_DEFINITION.sortKey]: instance.sk },
                  ConditionExpression: '#lastBeatAt = :seen',
                  ExpressionAttributeNames: { '#lastBeatAt': 'lastBeatAt' },
                  ExpressionAttributeValues: { ':seen': instance.lastBeatAt },
                }),
              ),
            ),
          this.concurrency,
        );
        const removed = outcomes.filter((outcome) => outcome === 'written').length;
        const live = instances.length - removed;
        let dead = false;
        if (live === 0 && Date.parse(type.aliveUntil) <= now.getTime()) {
          // The type item goes with its last instance, so exactly one expirer reports it dead, and
          // a beat racing this delete either keeps the type (it extended aliveUntil first) or
          // recreates it and reports the revival.
          const outcome = await conditionalCall('DeleteItem', () =>
            this.client.send(
              new DeleteCommand({
                TableName: this.tableName,
                Key: WorkerKeys.type(type.workerType),
                ConditionExpression: '#aliveUntil <= :now',
                ExpressionAttributeNames: { '#aliveUntil': 'aliveUntil' },
                ExpressionAttributeValues: { ':now': now.toISOString() },
              }),
            ),
          );
          dead = outcome === 'written';
        }
        return { workerType: type.workerType, removed, dead };
      },
      this.concurrency,
    );
    return {
      removedInstances: results.reduce((sum, result) => sum + result.removed, 0),
      deadTypes: results
        .filter((result) => result.dead)
        .map((result) => result.workerType)
        .sort(),
    };
  }

  /**
   * ONE conditional write that both extends the type and tells whether it was dead: the condition
   * keeps aliveUntil from moving back, and the old value (returned atomically) says whether the
   * type was alive before. Two hosts racing on a revival: only the first sees a dead old value.
   */
  private async touchType(workerType: string, at: Date, now: Date): Promise<boolean> {
    const until = new Date(at.getTime() + this.options.expiryMs);
    try {
      const output = await storeCall('UpdateItem', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: WorkerKeys.type(workerType),
            UpdateExpression: 'SET #workerType = :workerType, #lastBeatAt = :lastBeatAt, #aliveUntil = :until, #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(#pk) OR #aliveUntil < :until',
            ExpressionAttributeNames: {
              '#pk': TABLE_DEFINITION.partitionKey,
              '#workerType': 'workerType',
              '#lastBeatAt': 'lastBeatAt',
              '#aliveUntil': 'aliveUntil',
              '#ttl': TABLE_DEFINITION.timeToLiveAttribute,
            },
            ExpressionAttributeValues: {
              ':workerType': workerType,
              ':lastBeatAt': at.toISOString(),
              ':until': until.toISOString(),
              ':ttl': ttlOf(until.getTime()),
            },
            ReturnValues: 'UPDATED_OLD',
          }),
        ),
      );
      this.written.markType(workerType, at);
      const old = parseStoredItem(OldAliveUntilSchema, output.Attributes, itemKey(WorkerKeys.type(workerType)), 'worker type');
      return old?.aliveUntil === undefined || Date.parse(old.aliveUntil) <= now.getTime();
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // The stored aliveUntil is already later than ours, hence after now: alive, not revived.
      this.written.markType(workerType, at);
      return false;
    }
  }

  private async touchInstance(beat: Heartbeat): Promise<void> {
    const lastBeatAt = beat.receivedAt.toISOString();
    // Conditional so a host holding an older beat cannot move lastBeatAt back; losing is fine.
    await conditionalCall('PutItem', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...WorkerKeys.instance(beat.workerType, beat.instanceId),
            workerType: beat.workerType,
            instanceId: beat.instanceId,
            lastBeatAt,
            reportedAt: beat.reportedAt.toISOString(),
            [TABLE_DEFINITION.timeToLiveAttribute]: ttlOf(beat.receivedAt.getTime() + this.options.expiryMs),
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #lastBeatAt < :lastBeatAt',
          ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey, '#lastBeatAt': 'lastBeatAt' },
          ExpressionAttributeValues: { ':lastBeatAt': lastBeatAt },
        }),
      ),
    );
    this.written.markInstance(beat);
  }

  private async typeItems(): Promise<TypeItem[]> {
    const items = await this.queryAll(WorkerKeys.typesPartition);
    return items.map((item) => parseStoredItem(TypeItemSchema, item, itemKey(item), 'worker type'));
  }

  private async instanceItems(workerType: string) {
    const items = await this.queryAll(WorkerKeys.instancesPartition(workerType), [TABLE_DEFINITION.partitionKey, TABLE_DEFINITION.sortKey, 'lastBeatAt']);
    return items.map((item) => parseStoredItem(InstanceItemSchema, item, itemKey(item), 'worker instance'));
  }

  private async countLiveInstances(workerType: string, cutoff: string): Promise<number> {
    const { count } = await queryAllPages(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      FilterExpression: '#lastBeatAt > :cutoff',
      ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey, '#lastBeatAt': 'lastBeatAt' },
      ExpressionAttributeValues: { ':pk': WorkerKeys.instancesPartition(workerType), ':cutoff': cutoff },
      Select: 'COUNT',
    });
    return count;
  }

  private async queryAll(partition: string, attributes?: readonly string[]): Promise<Record<string, unknown>[]> {
    const projected = Object.fromEntries((attributes ?? []).map((name, i) => [`#p${i}`, name]));
    const { items } = await queryAllPages(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey, ...projected },
      ExpressionAttributeValues: { ':pk': partition },
      ...(attributes === undefined ? {} : { ProjectionExpression: Object.keys(projected).join(', ') }),
    });
    return items;
  }
}
