import { describe, expect, it } from 'vitest';
import { CorruptItemError } from '../../../shared/adapters/dynamodb/request-item.js';
import { MemoryConfigStore } from '../../../shared/adapters/memory/memory-config-store.js';
import type { TenantConfig } from '../../../shared/domain/config/tenant-config.js';
import { StoreUnavailableError } from '../../../shared/ports/request-store.js';
import { describeConfigStoreContract, sampleConfig } from '../../support/store-contract/config-store-contract.js';

// One backing store, handed out to every "warm function" of the contract.
const shared = new MemoryConfigStore();
describeConfigStoreContract('MemoryConfigStore', () => shared);

describe('MemoryConfigStore', () => {
  it('validates what it reads back, like the DynamoDB store', async () => {
    const store = new MemoryConfigStore();
    const invalid = { ...sampleConfig(1), workers: [{ workerType: '' }] } as unknown as TenantConfig;
    await store.put('t', invalid, null);
    await expect(store.get('t')).rejects.toBeInstanceOf(CorruptItemError);
  });

  it('throws StoreUnavailableError while marked unavailable', async () => {
    const store = new MemoryConfigStore();
    store.unavailable = true;
    await expect(store.listTenants()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
