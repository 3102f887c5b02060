import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../shared/adapters/memory/memory-job-store.js';
import { MemoryRequestStore } from '../../../shared/adapters/memory/memory-request-store.js';
import { StoreUnavailableError } from '../../../shared/ports/request-store.js';
import { describeJobStoreContract, sampleJob } from '../../support/store-contract/job-store-contract.js';
import { describeRequestSearchContract, searchOf } from '../../support/store-contract/request-search-contract.js';
import { uniqueTenant } from '../../support/store-contract/requests.js';

const requests = new MemoryRequestStore();
describeRequestSearchContract('MemoryRequestStore', () => requests);

const jobs = new MemoryJobStore();
describeJobStoreContract('MemoryJobStore', () => jobs);

describe('memory stores while unavailable', () => {
  it('throw StoreUnavailableError from search and from every job call', async () => {
    const store = new MemoryRequestStore();
    store.unavailable = true;
    await expect(store.search(uniqueTenant(), searchOf({}), { limit: 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
    const jobStore = new MemoryJobStore();
    jobStore.unavailable = true;
    await expect(jobStore.create(sampleJob(uniqueTenant()))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(jobStore.list(uniqueTenant(), { limit: 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
