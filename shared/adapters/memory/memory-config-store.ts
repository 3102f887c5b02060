import { TenantConfigSchema, type TenantConfig } from '../../domain/config/tenant-config.js';
import { ConfigStore } from '../../ports/config-store.js';
import { parseStoredItem } from '../dynamodb/stored-item.js';
import { throwIfUnavailable } from './faults.js';

/** The config store in memory: one versioned value per tenant, read back through TenantConfigSchema like the DynamoDB store. */
export class MemoryConfigStore extends ConfigStore {
  public unavailable = false;
  private readonly configs = new Map<string, TenantConfig>();
  private readonly tenants = new Set<string>();

  public async get(tenant: string): Promise<TenantConfig | undefined> {
    throwIfUnavailable(this.unavailable, 'get');
    const stored = this.configs.get(tenant);
    if (stored === undefined) return undefined;
    // Parsing also copies: the caller gets its own value.
    return parseStoredItem(TenantConfigSchema, stored, JSON.stringify(tenant), `configuration of tenant ${JSON.stringify(tenant)}`);
  }

  public async put(tenant: string, config: TenantConfig, expectedVersion: number | null): Promise<'written' | 'conflict'> {
    throwIfUnavailable(this.unavailable, 'put');
    const stored = this.configs.get(tenant);
    const matches = expectedVersion === null ? stored === undefined : stored?.version === expectedVersion;
    if (!matches) return 'conflict';
    this.configs.set(tenant, structuredClone(config));
    return 'written';
  }

  public async listTenants(): Promise<string[]> {
    throwIfUnavailable(this.unavailable, 'listTenants');
    return [...this.tenants].sort();
  }

  public async registerTenants(tenants: readonly string[]): Promise<void> {
    throwIfUnavailable(this.unavailable, 'registerTenants');
    for (const tenant of tenants) this.tenants.add(tenant);
  }
}
