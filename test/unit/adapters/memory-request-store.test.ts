import { describe, expect, it } from 'vitest';
import { MemoryRequestStore } from '../../../shared/adapters/memory/memory-request-store.js';
import { StoreUnavailableError } from '../../../shared/ports/request-store.js';
import { describeRequestStoreContract } from '../../support/store-contract/request-store-contract.js';
import { makeRequest, uniqueTenant } from '../../support/store-contract/requests.js';

const shared = new MemoryRequestStore();
describeRequestStoreContract('MemoryRequestStore', () => shared);

describe('MemoryRequestStore', () => {
  it('throws StoreUnavailableError while marked unavailable, like an unreachable DynamoDB', async () => {
    const store = new MemoryRequestStore();
    const tenant = uniqueTenant();
    store.unavailable = true;
    await expect(store.insertAll([makeRequest(tenant, 'x')])).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.getAll(tenant, ['x'])).rejects.toBeInstanceOf(StoreUnavailableError);
    store.unavailable = false;
    expect(await store.insertAll([makeRequest(tenant, 'x')])).toEqual([{ requestId: 'x', inserted: true }]);
    expect(store.size).toBe(1);
  });
});
