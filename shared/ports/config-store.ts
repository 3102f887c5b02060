import type { TenantConfig } from '../domain/config/tenant-config.js';

// use case --> (port) --> adapters/dynamodb | adapters/memory

export abstract class ConfigStore {
  /** The tenant's configuration, or undefined when it was never configured. */
  public abstract get(tenant: string): Promise<TenantConfig | undefined>;

  /**
   * Replaces the whole configuration in one conditional write (nothing is ever half-imported).
   * `expectedVersion` null means "only if the tenant has no configuration yet".
   */
  public abstract put(tenant: string, config: TenantConfig, expectedVersion: number | null): Promise<'written' | 'conflict'>;

  /** Every tenant the manager has seen, configured or not: the sweeper's work list. */
  public abstract listTenants(): Promise<string[]>;

  /** Idempotent; called when traffic or an import names a tenant. */
  public abstract registerTenants(tenants: readonly string[]): Promise<void>;
}
