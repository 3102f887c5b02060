import { toSearchParametersInput } from '../../contract/search-request-parameters.js';
import { BulkJobSchema, JobStore, type BulkJob } from '../../ports/job-store.js';
import type { Page, PageQuery } from '../../ports/request-store.js';
import { checkPageLimit, decodeCursor, encodeCursor, InvalidCursorError } from '../dynamodb/cursor.js';
import * as z from 'zod';
import { parseStoredItem } from '../dynamodb/stored-item.js';
import { throwIfUnavailable } from './faults.js';

const MemoryJobCursorSchema = z.object({ v: z.literal(1), tenant: z.string(), after: z.string() });

/** The job store in memory; jobs go through their wire form and back, as they do in DynamoDB. */
export class MemoryJobStore extends JobStore {
  public unavailable = false;
  private readonly jobs = new Map<string, unknown>();

  public async create(job: BulkJob): Promise<void> {
    throwIfUnavailable(this.unavailable, 'create');
    const key = mapKey(job.tenant, job.id);
    if (this.jobs.has(key)) throw new Error(`job ${job.tenant}/${job.id} already exists`);
    this.jobs.set(key, stored(job));
  }

  public async get(tenant: string, id: string): Promise<BulkJob | undefined> {
    throwIfUnavailable(this.unavailable, 'get');
    const raw = this.jobs.get(mapKey(tenant, id));
    return raw === undefined ? undefined : jobOf(raw, mapKey(tenant, id));
  }

  public async update(previous: BulkJob, next: BulkJob): Promise<'written' | 'conflict'> {
    throwIfUnavailable(this.unavailable, 'update');
    if (next.version !== previous.version + 1 || next.tenant !== previous.tenant || next.id !== previous.id) {
      throw new Error(`a job update must keep its identity and bump the version by one (${previous.version} → ${next.version})`);
    }
    const key = mapKey(previous.tenant, previous.id);
    const current = await this.get(previous.tenant, previous.id);
    if (current?.version !== previous.version) return 'conflict';
    this.jobs.set(key, stored(next));
    return 'written';
  }

  public async list(tenant: string, page: PageQuery): Promise<Page<BulkJob>> {
    throwIfUnavailable(this.unavailable, 'list');
    checkPageLimit(page.limit);
    let after: string | undefined;
    if (page.cursor !== undefined) {
      const decoded = decodeCursor(page.cursor, MemoryJobCursorSchema);
      if (decoded.tenant !== tenant) throw new InvalidCursorError('the cursor belongs to another listing');
      after = decoded.after;
    }
    const all = [...this.jobs]
      .map(([key, raw]) => jobOf(raw, key))
      .filter((job) => job.tenant === tenant && (after === undefined || job.id < after))
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const items = all.slice(0, page.limit);
    const last = items.at(-1);
    return all.length > page.limit && last !== undefined ? { items, cursor: encodeCursor({ v: 1, tenant, after: last.id }) } : { items };
  }
}

function stored(job: BulkJob): unknown {
  return structuredClone({ ...job, filter: toSearchParametersInput(job.filter) });
}

function jobOf(raw: unknown, key: string): BulkJob {
  return parseStoredItem(BulkJobSchema, raw, key, 'bulk job');
}

function mapKey(tenant: string, id: string): string {
  return JSON.stringify([tenant, id]);
}
