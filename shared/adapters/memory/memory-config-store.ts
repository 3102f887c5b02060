import { TenantConfigSchema, type TenantConfig } from '../../domain/config/tenant-config.js';
import { ConfigStore, type TenantPage } from '../../ports/config-store.js';
import { parseStoredItem } from '../dynamodb/stored-item.js';
import { throwIfUnavailable } from './faults.js';

/** The config store in memory: one versioned value per tenant, read back through TenantConfigSchema like the DynamoDB store. */
export class MemoryConfigStore extends ConfigStore {
  public unavailable = false;
  /** Reads of the tenant registry (pages and declared checks), for tests that count store work. */
  public queries = 0;
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

  public async listTenantPage(page: { after?: string | undefined; limit: number }): Promise<TenantPage> {
    throwIfUnavailable(this.unavailable, 'listTenantPage');
    this.queries += 1;
    const after = page.after;
    const rest = [...this.tenants].sort().filter((tenant) => after === undefined || tenant > after);
    const tenants = rest.slice(0, page.limit);
    const last = tenants.at(-1);
    return rest.length > page.limit && last !== undefined ? { tenants, next: last } : { tenants };
  }

  public async isDeclared(tenant: string): Promise<boolean> {
    throwIfUnavailable(this.unavailable, 'isDeclared');
    this.queries += 1;
    return this.tenants.has(tenant);
  }

  public async registerTenants(tenants: readonly string[]): Promise<void> {
    throwIfUnavailable(this.unavailable, 'registerTenants');
    for (const tenant of tenants) this.tenants.add(tenant);
  }
}
