import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../../shared/adapters/dynamodb/cursor.js';
import { SearchRequestParametersSchema } from '../../../shared/contract/search-request-parameters.js';
import { newJobId } from '../../../shared/application/use-cases/bulk-jobs.js';
import type { BulkJob, JobStore } from '../../../shared/ports/job-store.js';
import { uniqueTenant } from './requests.js';

export function sampleJob(tenant: string, overrides: Partial<BulkJob> = {}, now = new Date('2026-03-01T10:00:00.000Z')): BulkJob {
  return {
    tenant,
    id: newJobId(now),
    kind: 'retry',
    filter: SearchRequestParametersSchema.parse({
      source: 'owner',
      statuses: { mode: 'INCLUDE', values: ['ERROR'] },
      creationDate: { after: '2026-02-01T00:00:00Z' },
    }),
    createdBefore: now.toISOString(),
    status: 'PENDING',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    processed: 0,
    succeeded: 0,
    skipped: 0,
    version: 0,
    ...overrides,
  };
}

/** What every JobStore must do. Tests share a backing store, each in its own tenant. */
export function describeJobStoreContract(name: string, createStore: () => JobStore): void {
  describe(`${name}: JobStore contract`, () => {
    it('creates a job and reads it back field for field, filter dates included', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const job = sampleJob(tenant, { total: 12, totalExact: true, requestedBy: 'admin@example.org', cursor: 'abc' });
      await store.create(job);
      const read = await store.get(tenant, job.id);
      expect(read).toEqual(job);
      expect(read?.filter.creationDate?.after).toBeInstanceOf(Date);
      expect(await store.get(tenant, 'missing')).toBeUndefined();
      expect(await store.get(uniqueTenant(), job.id)).toBeUndefined();
    });

    it('refuses to create the same job twice', async () => {
      const store = createStore();
      const job = sampleJob(uniqueTenant());
      await store.create(job);
      await expect(store.create(job)).rejects.toThrow(/already exists/);
    });

    it('updates on condition of the version read: a second writer from the same version loses', async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const job = sampleJob(tenant);
      await store.create(job);
      const running: BulkJob = { ...job, status: 'RUNNING', processed: 100, succeeded: 90, skipped: 10, cursor: 'next', version: 1 };
      expect(await store.update(job, running)).toBe('written');
      expect(await store.update(job, { ...running, processed: 5 })).toBe('conflict');
      const done: BulkJob = { ...running, status: 'DONE', cursor: undefined, version: 2 };
      expect(await store.update(running, done)).toBe('written');
      const read = await store.get(tenant, job.id);
      expect(read).toMatchObject({ status: 'DONE', processed: 100, version: 2 });
      expect(read?.cursor).toBeUndefined();
      await expect(store.update(done, { ...done, version: 5 })).rejects.toThrow(/version/);
    });

    it("lists a tenant's jobs newest first, page by page, and only that tenant's", async () => {
      const store = createStore();
      const tenant = uniqueTenant();
      const jobs = Array.from({ length: 7 }, (_, i) => sampleJob(tenant, {}, new Date(Date.parse('2026-03-01T10:00:00.000Z') + i * 1000)));
      for (const job of jobs) await store.create(job);
      await store.create(sampleJob(uniqueTenant()));
      const listed: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list(tenant, { limit: 3, cursor });
        expect(page.items.length).toBeLessThanOrEqual(3);
        listed.push(...page.items.map((job) => job.id));
        cursor = page.cursor;
        pages += 1;
      } while (cursor !== undefined && pages < 10);
      expect(listed).toEqual(jobs.map((job) => job.id).reverse());
      expect(await store.list(uniqueTenant(), { limit: 3 })).toEqual({ items: [] });
      await expect(store.list(tenant, { limit: 3, cursor: 'nope' })).rejects.toBeInstanceOf(InvalidCursorError);
    });
  });
}
