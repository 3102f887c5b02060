import type { Clock } from '../../ports/clock.js';
import type { ConfigStore } from '../../ports/config-store.js';
import { buildRouting, type TenantRouting } from '../../domain/config/routing.js';
import { EMPTY_TENANT_CONFIG } from '../../domain/config/tenant-config.js';
import { DEFAULT_CACHE_MAX_ENTRIES, LruSet, TtlCache } from './ttl-cache.js';

export interface TenantView {
  tenant: string;
  /** False for a tenant nobody configured: its requests wait, unrouted, until a configuration arrives. */
  configured: boolean;
  /**
   * In the registry: configured, declared by an administrator, or (in the `open` tenants mode)
   * named by earlier traffic. In the default `declared` mode, requests of other tenants are refused.
   */
  declared: boolean;
  routing: TenantRouting;
}

/**
 * Tenant configurations as the functions read them: cached for a few seconds per warm process,
 * each tenant loaded once per batch however many of its messages the batch holds. Both the cache
 * and the memo of registered tenants are bounded: their keys come from traffic, which anyone who
 * can publish chooses.
 */
export class TenantConfigs {
  private readonly cache: TtlCache<string, TenantView>;
  private readonly registered: LruSet<string>;
  /** Tenants just read from the registry (by the sweeper): their views need no declared check. */
  private readonly listed: LruSet<string>;

  public constructor(
    private readonly store: ConfigStore,
    clock: Clock,
    cacheMs: number,
    maxEntries: number = DEFAULT_CACHE_MAX_ENTRIES,
  ) {
    this.registered = new LruSet(maxEntries);
    this.listed = new LruSet(maxEntries);
    this.cache = new TtlCache(
      clock,
      cacheMs,
      async (tenant) => {
        const config = await store.get(tenant);
        // A configured tenant is always declared (the import registers it): one read for those.
        const declared = config !== undefined || this.listed.has(tenant) || (await store.isDeclared(tenant));
        return { tenant, configured: config !== undefined, declared, routing: buildRouting(config ?? EMPTY_TENANT_CONFIG) };
      },
      maxEntries,
    );
  }

  public get(tenant: string): Promise<TenantView> {
    return this.cache.get(tenant);
  }

  public async getAll(tenants: Iterable<string>): Promise<Map<string, TenantView>> {
    const unique = [...new Set(tenants)];
    const views = await Promise.all(unique.map((tenant) => this.get(tenant)));
    return new Map(views.map((view) => [view.tenant, view]));
  }

  /** Tenants the caller just read from the registry: declared, so loading their views costs one read, not two. */
  public noteListed(tenants: Iterable<string>): void {
    for (const tenant of tenants) this.listed.add(tenant);
  }

  public invalidate(tenant?: string): void {
    this.cache.invalidate(tenant);
  }

  /**
   * Records tenants in the registry so the sweeper visits them; one store write per new tenant per
   * process. Called by the `open` tenants mode for traffic, and when a tenant is declared.
   */
  public async register(tenants: Iterable<string>): Promise<void> {
    const unseen = [...new Set(tenants)].filter((tenant) => !this.registered.has(tenant));
    if (unseen.length === 0) return;
    await this.store.registerTenants(unseen);
    for (const tenant of unseen) {
      this.registered.add(tenant);
      this.cache.invalidate(tenant);
    }
  }
}
