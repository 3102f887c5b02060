import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { toSearchParametersInput } from '../../contract/search-request-parameters.js';
import { BulkJobSchema, JobStore, type BulkJob } from '../../ports/job-store.js';
import type { Page, PageQuery } from '../../ports/request-store.js';
import { conditionalCall, storeCall } from './store-call.js';
import { checkPageLimit, decodeCursor, encodeCursor, InvalidCursorError } from './cursor.js';
import { JobKeys } from './keys.js';
import { itemKey, parseStoredItem } from './stored-item.js';
import { TABLE_DEFINITION } from './table-definition.js';

/*
 * Items, one partition per tenant (JobKeys):
 *   { pk, sk, version, job: <the BulkJob, its filter in wire form>, ttl? }
 * `version` is copied out of the job for the write condition. A finished job gets a `ttl`, so
 * DynamoDB drops it after the retention (never relied on: listing is bounded by pages anyway).
 */

/** How long a finished job stays listed: REGARDS keeps failed jobs 30 days, succeeded ones 1. */
export const FINISHED_JOB_RETENTION_SECONDS = 30 * 24 * 3600;

const JobItemSchema = z.object({ job: z.unknown() });
const JobCursorSchema = z.object({ v: z.literal(1), sk: z.string().min(1) });

export class DynamoJobStore extends JobStore {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    super();
  }

  public async create(job: BulkJob): Promise<void> {
    const outcome = await conditionalCall('PutItem', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(job),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey },
        }),
      ),
    );
    if (outcome === 'conflict') throw new Error(`job ${job.tenant}/${job.id} already exists`);
  }

  public async get(tenant: string, id: string): Promise<BulkJob | undefined> {
    const output = await storeCall('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: JobKeys.job(tenant, id), ConsistentRead: true })),
    );
    return output.Item === undefined ? undefined : jobFromItem(output.Item);
  }

  public async update(previous: BulkJob, next: BulkJob): Promise<'written' | 'conflict'> {
    if (next.version !== previous.version + 1 || next.tenant !== previous.tenant || next.id !== previous.id) {
      throw new Error(`a job update must keep its identity and bump the version by one (${previous.version} → ${next.version})`);
    }
    return conditionalCall('PutItem', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(next),
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': previous.version },
        }),
      ),
    );
  }

  public async list(tenant: string, page: PageQuery): Promise<Page<BulkJob>> {
    checkPageLimit(page.limit);
    const partition = JobKeys.partition(tenant);
    let start: Record<string, unknown> | undefined;
    if (page.cursor !== undefined) {
      const { sk } = decodeCursor(page.cursor, JobCursorSchema);
      if (!sk.startsWith('J#')) throw new InvalidCursorError('the cursor belongs to another listing');
      start = { [TABLE_DEFINITION.partitionKey]: partition, [TABLE_DEFINITION.sortKey]: sk };
    }
    const startKey = start;
    const output = await storeCall('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': TABLE_DEFINITION.partitionKey, '#sk': TABLE_DEFINITION.sortKey },
          ExpressionAttributeValues: { ':pk': partition, ':prefix': 'J#' },
          // Job ids sort by creation time: newest first.
          ScanIndexForward: false,
          Limit: page.limit,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      ),
    );
    const items = (output.Items ?? []).map(jobFromItem);
    const last = output.LastEvaluatedKey?.[TABLE_DEFINITION.sortKey];
    return typeof last === 'string' ? { items, cursor: encodeCursor({ v: 1, sk: last }) } : { items };
  }

  private item(job: BulkJob): Record<string, unknown> {
    const finished = job.status === 'DONE' || job.status === 'FAILED';
    return {
      ...JobKeys.job(job.tenant, job.id),
      version: job.version,
      job: { ...job, filter: toSearchParametersInput(job.filter) },
      ...(finished ? { [TABLE_DEFINITION.timeToLiveAttribute]: Math.floor(Date.parse(job.updatedAt) / 1000) + FINISHED_JOB_RETENTION_SECONDS } : {}),
    };
  }
}

function jobFromItem(item: Record<string, unknown>): BulkJob {
  const key = itemKey(item);
  return parseStoredItem(BulkJobSchema, parseStoredItem(JobItemSchema, item, key, 'job item').job, key, 'bulk job');
}
