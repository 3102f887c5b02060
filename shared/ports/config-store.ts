import type { TenantConfig } from '../domain/config/tenant-config.js';

// use case --> (port) --> adapters/dynamodb | adapters/memory

/** One page of the tenant registry, in the store's fixed order. */
export interface TenantPage {
  tenants: string[];
  /** The last tenant of this page, to pass as `after` for the next one; absent at the end of the registry. */
  next?: string;
}

export abstract class ConfigStore {
  /** The tenant's configuration, or undefined when it was never configured. */
  public abstract get(tenant: string): Promise<TenantConfig | undefined>;

  /**
   * Replaces the whole configuration in one conditional write (nothing is ever half-imported).
   * `expectedVersion` null means "only if the tenant has no configuration yet".
   */
  public abstract put(tenant: string, config: TenantConfig, expectedVersion: number | null): Promise<'written' | 'conflict'>;

  /**
   * Every declared tenant, configured or not: the sweeper's work list. One call reads the whole
   * registry: for admin views and tests; the sweeper reads it a page at a time (listTenantPage).
   */
  public abstract listTenants(): Promise<string[]>;

  /** At most `limit` tenants after `after` (from the start when undefined): one store query. */
  public abstract listTenantPage(page: { after?: string | undefined; limit: number }): Promise<TenantPage>;

  /** Whether the tenant is in the registry (declared by an administrator, an import, or open-mode traffic). */
  public abstract isDeclared(tenant: string): Promise<boolean>;

  /** Idempotent; called when an import or an administrator declares a tenant (and by traffic in the `open` tenants mode). */
  public abstract registerTenants(tenants: readonly string[]): Promise<void>;
}
