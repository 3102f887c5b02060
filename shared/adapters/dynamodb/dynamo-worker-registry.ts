import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { WorkerRegistry, type AliveWorkerType, type Heartbeat, type RecordOutcome } from '../../ports/worker-registry.js';
import { DEFAULT_CONCURRENCY, mapBounded, queryAllPages } from './batch.js';
import { conditionalCall, isConditionalCheckFailed, storeCall } from './store-call.js';
import { WorkerKeys } from './keys.js';
import { itemKey, parseStoredItem } from './stored-item.js';
import { TABLE_DEFINITION } from './table-definition.js';
import { droppedOutcome, latestBeats, resolveRegistryOptions, WrittenBeats, type ResolvedRegistryOptions, type WorkerRegistryOptions } from './worker-beats.js';

/*
 * Items (timestamps are ISO strings from toISOString, fixed width, so string order is time order):
 *   WorkerKeys.type(t)          { workerType, lastBeatAt, aliveUntil, ttl }   in the WORKERS partition
 *   WorkerKeys.instance(t, i)   { workerType, instanceId, lastBeatAt (manager receive time),
 *                                 reportedAt (the worker's own date, display only), ttl }
 * A type is alive while aliveUntil > now. `ttl` (epoch seconds, a day after the item stops
 * mattering) only lets AWS clean up leftovers; nothing relies on it.
 *
 * Caps (soft): each registry object keeps a count of the stored types, and of the instances of
 * each type it writes, read again at most once per refresh period. While a write could pass a
 * cap, it is made conditional on the item existing: what the registry holds keeps beating, a
 * new type or instance is refused. Hosts that read their counts at once may together pass a cap
 * by the new entries of one refresh period; never without bound.
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

type TypeOutcome = 'revived' | 'alive' | 'dropped';

export class DynamoWorkerRegistry extends WorkerRegistry {
  private readonly options: ResolvedRegistryOptions;
  private readonly written: WrittenBeats;
  private readonly concurrency: number;
  /** Stored counts as last read (plus what this object created since), with when they were read. */
  private typeCount: { value: number; readAt: number } | undefined;
  private readonly instanceCounts = new Map<string, { value: number; readAt: number }>();

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

  public async record(beats: readonly Heartbeat[], now: Date): Promise<RecordOutcome> {
    this.written.prune(now);
    const latest = latestBeats(beats, now, this.options.expiryMs);
    const types = [...latest.types].filter(([workerType, at]) => !this.written.typeIsFresh(workerType, at, now));
    const instances = latest.instances.filter((beat) => !this.written.instanceIsFresh(beat));
    const typesCapped = types.length > 0 && (await this.storedTypes(now)) + types.length > this.options.caps.maxTypes;
    const touchTypes = () => mapBounded(types, ([workerType, at]) => this.touchType(workerType, at, now, typesCapped), this.concurrency);
    const touchInstances = async (refused: ReadonlySet<string>) => {
      const admitted = instances.filter((beat) => !refused.has(beat.workerType));
      const capped = await this.cappedTypes(admitted, now);
      const written = await mapBounded(admitted, (beat) => this.touchInstance(beat, capped.has(beat.workerType)), this.concurrency);
      return { refused: admitted.filter((_, i) => written[i] === 'dropped') };
    };
    // Beats of a refused type must not create its instances: near the type cap, types go first.
    let outcomes: TypeOutcome[];
    let instanceResult: Awaited<ReturnType<typeof touchInstances>>;
    if (typesCapped) {
      outcomes = await touchTypes();
      instanceResult = await touchInstances(new Set(types.filter((_, i) => outcomes[i] === 'dropped').map(([workerType]) => workerType)));
    } else {
      [outcomes, instanceResult] = await Promise.all([touchTypes(), touchInstances(new Set())]);
    }
    const refusedTypes = types.filter((_, i) => outcomes[i] === 'dropped').map(([workerType]) => workerType);
    // A refused type's fresh-skipped instances (none were written) count as dropped too.
    const droppedBeats = latest.instances.filter((beat) => refusedTypes.includes(beat.workerType)).length + instanceResult.refused.length;
    return {
      revived: types.filter((_, i) => outcomes[i] === 'revived').map(([workerType]) => workerType),
      dropped: droppedOutcome(droppedBeats, [...refusedTypes, ...instanceResult.refused.map((beat) => beat.workerType)]),
    };
  }

  /** The number of stored worker types, read at most once per refresh period. */
  private async storedTypes(now: Date): Promise<number> {
    if (this.typeCount === undefined || now.getTime() - this.typeCount.readAt >= this.options.refreshMs) {
      const { count } = await queryAllPages(this.client, {
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey },
        ExpressionAttributeValues: { ':pk': WorkerKeys.typesPartition },
        Select: 'COUNT',
      });
      this.typeCount = { value: count, readAt: now.getTime() };
    }
    return this.typeCount.value;
  }

  /** The types whose instance writes could pass the instance cap: their writes only refresh existing instances. */
  private async cappedTypes(beats: readonly Heartbeat[], now: Date): Promise<Set<string>> {
    const perType = new Map<string, number>();
    for (const beat of beats) perType.set(beat.workerType, (perType.get(beat.workerType) ?? 0) + 1);
    const capped = new Set<string>();
    await mapBounded(
      [...perType],
      async ([workerType, writes]) => {
        let known = this.instanceCounts.get(workerType);
        if (known === undefined || now.getTime() - known.readAt >= this.options.refreshMs) {
          const { count } = await queryAllPages(this.client, {
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey },
            ExpressionAttributeValues: { ':pk': WorkerKeys.instancesPartition(workerType) },
            Select: 'COUNT',
          });
          known = { value: count, readAt: now.getTime() };
          this.instanceCounts.delete(workerType);
          this.instanceCounts.set(workerType, known);
          // One count per type at most, and types are capped: this memo is bounded too.
          for (const oldest of this.instanceCounts.keys()) {
            if (this.instanceCounts.size <= this.options.caps.maxTypes) break;
            this.instanceCounts.delete(oldest);
          }
        }
        if (known.value + writes > this.options.caps.maxInstancesPerType) capped.add(workerType);
      },
      this.concurrency,
    );
    return capped;
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
  private async touchType(workerType: string, at: Date, now: Date, onlyExisting: boolean): Promise<TypeOutcome> {
    const until = new Date(at.getTime() + this.options.expiryMs);
    const condition = 'attribute_not_exists(#pk) OR #aliveUntil < :until';
    try {
      const output = await storeCall('UpdateItem', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: WorkerKeys.type(workerType),
            UpdateExpression: 'SET #workerType = :workerType, #lastBeatAt = :lastBeatAt, #aliveUntil = :until, #ttl = :ttl',
            ConditionExpression: onlyExisting ? 'attribute_exists(#pk) AND #aliveUntil < :until' : condition,
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
      if (old?.aliveUntil === undefined && this.typeCount !== undefined) this.typeCount.value += 1;
      return old?.aliveUntil === undefined || Date.parse(old.aliveUntil) <= now.getTime() ? 'revived' : 'alive';
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // At the cap, a failed condition may mean the type is not stored: refused then.
      if (onlyExisting && !(await this.exists(WorkerKeys.type(workerType)))) return 'dropped';
      // The stored aliveUntil is already later than ours, hence after now: alive, not revived.
      this.written.markType(workerType, at);
      return 'alive';
    }
  }

  private async exists(key: Record<string, string>): Promise<boolean> {
    const output = await storeCall('GetItem', () => this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })));
    return output.Item !== undefined;
  }

  private async touchInstance(beat: Heartbeat, onlyExisting: boolean): Promise<'written' | 'stale' | 'dropped'> {
    const lastBeatAt = beat.receivedAt.toISOString();
    const key = WorkerKeys.instance(beat.workerType, beat.instanceId);
    // Conditional so a host holding an older beat cannot move lastBeatAt back; losing is fine.
    const outcome = await conditionalCall('PutItem', () =>
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
          ConditionExpression: onlyExisting ? 'attribute_exists(#pk) AND #lastBeatAt < :lastBeatAt' : 'attribute_not_exists(#pk) OR #lastBeatAt < :lastBeatAt',
          ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey, '#lastBeatAt': 'lastBeatAt' },
          ExpressionAttributeValues: { ':lastBeatAt': lastBeatAt },
        }),
      ),
    );
    if (outcome === 'conflict' && onlyExisting && !(await this.exists(key))) return 'dropped';
    this.written.markInstance(beat);
    return outcome === 'written' ? 'written' : 'stale';
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
