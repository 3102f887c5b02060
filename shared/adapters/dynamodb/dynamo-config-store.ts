import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { TenantConfigSchema, type TenantConfig } from '../../domain/config/tenant-config.js';
import { LruSet } from '../../application/services/ttl-cache.js';
import { ConfigStore, type TenantPage } from '../../ports/config-store.js';
import { batchWriteAll, queryAllPages } from './batch.js';
import { conditionalCall, storeCall } from './store-call.js';
import { TenantKeys } from './keys.js';
import { itemKey, parseStoredItem } from './stored-item.js';
import { TABLE_DEFINITION } from './table-definition.js';

/*
 * Items:
 *   TenantKeys.config(tenant)        { tenant, version, config: <the whole TenantConfig as a map> }
 *                                    `version` is config.version, copied out for the write condition.
 *   TenantKeys.registryEntry(tenant) { tenant }   one small partition listing every declared tenant.
 */

const ConfigItemSchema = z.object({ config: z.unknown() });
const RegistryItemSchema = z.object({ tenant: z.string().min(1) });

export class DynamoConfigStore extends ConfigStore {
  /**
   * Tenants this warm process already registered: traffic names the same few tenants in every
   * batch. Bounded: forgetting one only costs an idempotent write.
   */
  private readonly registered: LruSet<string>;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { maxRemembered?: number } = {},
  ) {
    super();
    this.registered = new LruSet(options.maxRemembered);
  }

  public async get(tenant: string): Promise<TenantConfig | undefined> {
    const key = TenantKeys.config(tenant);
    const output = await storeCall('GetItem', () => this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })));
    if (output.Item === undefined) return undefined;
    const what = `configuration of tenant ${JSON.stringify(tenant)}`;
    const item = parseStoredItem(ConfigItemSchema, output.Item, itemKey(output.Item), what);
    return parseStoredItem(TenantConfigSchema, item.config, itemKey(output.Item), what);
  }

  public async put(tenant: string, config: TenantConfig, expectedVersion: number | null): Promise<'written' | 'conflict'> {
    const condition: Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> =
      expectedVersion === null
        ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey } }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expectedVersion },
          };
    return conditionalCall('PutItem', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...TenantKeys.config(tenant), tenant, version: config.version, config },
          ...condition,
        }),
      ),
    );
  }

  public async listTenants(): Promise<string[]> {
    const { items } = await queryAllPages(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey },
      ExpressionAttributeValues: { ':pk': TenantKeys.registryPartition },
    });
    const tenants = items.map((raw) => parseStoredItem(RegistryItemSchema, raw, itemKey(raw), 'tenant registry entry').tenant);
    return tenants.sort();
  }

  public async listTenantPage(page: { after?: string | undefined; limit: number }): Promise<TenantPage> {
    const output = await storeCall('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey },
          ExpressionAttributeValues: { ':pk': TenantKeys.registryPartition },
          Limit: page.limit,
          ...(page.after === undefined ? {} : { ExclusiveStartKey: TenantKeys.registryEntry(page.after) }),
        }),
      ),
    );
    const items = output.Items ?? [];
    const tenants = items.map((raw) => parseStoredItem(RegistryItemSchema, raw, itemKey(raw), 'tenant registry entry').tenant);
    const last = tenants.at(-1);
    return output.LastEvaluatedKey === undefined || last === undefined ? { tenants } : { tenants, next: last };
  }

  public async isDeclared(tenant: string): Promise<boolean> {
    const output = await storeCall('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: TenantKeys.registryEntry(tenant), ConsistentRead: true })),
    );
    return output.Item !== undefined;
  }

  public async registerTenants(tenants: readonly string[]): Promise<void> {
    const fresh = [...new Set(tenants)].filter((tenant) => !this.registered.has(tenant));
    if (fresh.length === 0) return;
    await batchWriteAll(
      this.client,
      this.tableName,
      fresh.map((tenant) => ({ put: { ...TenantKeys.registryEntry(tenant), tenant } })),
    );
    for (const tenant of fresh) this.registered.add(tenant);
  }
}
