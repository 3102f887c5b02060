import { describe, expect, it } from 'vitest';
import { EMPTY_TENANT_CONFIG, TenantConfigSchema, type TenantConfig } from '../../../shared/domain/config/tenant-config.js';
import type { ConfigStore } from '../../../shared/ports/config-store.js';
import { uniqueTenant } from './requests.js';

export function sampleConfig(version: number, workerType = 'extract'): TenantConfig {
  return TenantConfigSchema.parse({
    workers: [
      { workerType, contentTypeInputs: ['application/json', 'text/plain'], contentTypeOutput: 'application/x-extracted' },
      { workerType: 'index', contentTypeInputs: ['application/x-extracted'], keepErrors: false, retry: { maxAttempts: 3 } },
    ],
    workflows: [
      {
        workflowType: 'pipeline',
        steps: [
          { stepNumber: 0, workerType },
          { stepNumber: 10, workerType: 'index' },
        ],
      },
    ],
    settings: { skipContentTypes: ['image/png'] },
    version,
  });
}

/**
 * The behaviour every ConfigStore must have. `createStore` is called once per test; two calls may
 * return two objects on the same backing store (two warm functions), which some tests rely on.
 */
export function describeConfigStoreContract(name: string, createStore: () => ConfigStore): void {
  describe(`${name}: ConfigStore contract`, () => {
    it('has no configuration for a tenant never configured', async () => {
      expect(await createStore().get(uniqueTenant())).toBeUndefined();
    });

    it('writes the first configuration only if there is none yet', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const first = sampleConfig(1);
      expect(await store.put(tenant, first, null)).toBe('written');
      expect(await store.get(tenant)).toEqual(first);
      expect(await store.put(tenant, sampleConfig(1, 'other'), null)).toBe('conflict');
      expect(await store.get(tenant)).toEqual(first);
    });

    it('replaces the configuration only on the version it was read at', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      await store.put(tenant, sampleConfig(1), null);
      const v2 = sampleConfig(2, 'extract-v2');
      expect(await store.put(tenant, v2, 1)).toBe('written');
      expect(await store.get(tenant)).toEqual(v2);
      // A concurrent import that also read version 1 loses.
      expect(await store.put(tenant, sampleConfig(2, 'late'), 1)).toBe('conflict');
      expect(await store.put(tenant, sampleConfig(3), 5)).toBe('conflict');
      expect((await store.get(tenant))?.version).toBe(2);
      // Expecting a version on a tenant with none is a conflict too.
      expect(await store.put(uniqueTenant(), sampleConfig(1), 0)).toBe('conflict');
    });

    it('stores an empty configuration and keeps tenants apart', async () => {
      const store = createStore();
      const base = uniqueTenant();
      expect(await store.put(`${base}#x`, EMPTY_TENANT_CONFIG, null)).toBe('written');
      expect(await store.put(`${base}%23x`, sampleConfig(4), null)).toBe('written');
      expect(await store.get(`${base}#x`)).toEqual(EMPTY_TENANT_CONFIG);
      expect((await store.get(`${base}%23x`))?.version).toBe(4);
    });

    it('copies values in and out', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const config = sampleConfig(1);
      await store.put(tenant, config, null);
      config.workers[0]!.contentTypeInputs.push('mutated');
      const read = await store.get(tenant);
      expect(read?.workers[0]?.contentTypeInputs).toEqual(['application/json', 'text/plain']);
      read?.workers.pop();
      expect((await store.get(tenant))?.workers).toHaveLength(2);
    });

    it('is seen by another store object on the same backing store', async () => {
      const tenant = uniqueTenant();
      await createStore().put(tenant, sampleConfig(1), null);
      expect(await createStore().put(tenant, sampleConfig(2), null)).toBe('conflict');
      expect((await createStore().get(tenant))?.version).toBe(1);
    });

    describe('tenant registry', () => {
      it('registers tenants idempotently and lists each once, sorted', async () => {
        const store = createStore();
        const base = uniqueTenant('reg');
        const tenants = [`${base}-b`, `${base}-a`, `${base}#c`, `${base}%d`];
        await store.registerTenants([...tenants, tenants[0]!]);
        await store.registerTenants(tenants);
        await createStore().registerTenants([tenants[1]!]);
        await store.registerTenants([]);
        const listed = (await createStore().listTenants()).filter((tenant) => tenant.startsWith(base));
        expect(listed).toEqual([...tenants].sort());
      });

      it('lists many tenants', async () => {
        const store = createStore();
        const base = uniqueTenant('many');
        const tenants = Array.from({ length: 120 }, (_, i) => `${base}-${String(i).padStart(3, '0')}`);
        await store.registerTenants(tenants);
        const listed = (await store.listTenants()).filter((tenant) => tenant.startsWith(base));
        expect(listed).toEqual(tenants);
      });

      it('reads the registry a page at a time, each tenant once, from any tenant on', async () => {
        const store = createStore();
        const base = uniqueTenant('paged');
        const tenants = Array.from({ length: 25 }, (_, i) => `${base}-${String(i).padStart(2, '0')}`);
        await store.registerTenants(tenants);
        const all: string[] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await store.listTenantPage({ after, limit: 7 });
          expect(page.tenants.length).toBeLessThanOrEqual(7);
          all.push(...page.tenants);
          after = page.next;
          pages += 1;
        } while (after !== undefined && pages < 1000);
        expect(all.filter((tenant) => tenant.startsWith(base))).toEqual(tenants);
        expect(new Set(all).size).toBe(all.length);
        const fromMiddle = await store.listTenantPage({ after: tenants[9], limit: 3 });
        expect(fromMiddle.tenants).toEqual(tenants.slice(10, 13));
        expect(fromMiddle.next).toBe(tenants[12]);
      });

      it('says whether a tenant is declared', async () => {
        const tenant = uniqueTenant('declared');
        expect(await createStore().isDeclared(tenant)).toBe(false);
        await createStore().registerTenants([tenant]);
        expect(await createStore().isDeclared(tenant)).toBe(true);
      });

      it('lists tenants registered by another store object (another warm function)', async () => {
        const tenant = uniqueTenant('other');
        await createStore().registerTenants([tenant]);
        expect(await createStore().listTenants()).toContain(tenant);
      });
    });
  });
}
