import { DeleteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapBounded, type DynamoItem } from '../../shared/adapters/dynamodb/batch.js';
import { conditionalCall, storeCall } from '../../shared/adapters/dynamodb/store-call.js';
import { TABLE_DEFINITION } from '../../shared/adapters/dynamodb/table-definition.js';
import { SystemClock, type Clock } from '../../shared/ports/clock.js';
import type { Logger } from '../../shared/kernel/logger.js';
import { ScheduleEmulator } from './schedule-emulator.js';

/*
 * A local stand-in for DynamoDB's Time to Live, which dynalite lacks: every few minutes it deletes
 * the items whose TTL attribute (epoch seconds) has passed: the traces of removed requests,
 * finished bulk jobs, worker registry entries. Nothing relies on it for correctness (as in AWS,
 * where deletion comes within days); without it those items only pile up in the local store.
 *
 * It reads by Scan, which no path of the manager does: it emulates an AWS feature that runs
 * beside the table, as the event-source emulator emulates the Lambda poller. A run is bounded (at
 * most MAX_EXAMINED_PER_RUN items read and MAX_DELETED_PER_RUN deleted) and the next resumes where
 * it stopped, so a run costs the same on a table of any size. Measured on dynalite here: a page of
 * 1,000 items scans in ~15 ms and a delete takes ~0.8 ms, so a run is about a second of the store's
 * time at most. Each delete is conditional on the item still being expired, so an item written
 * again meanwhile (a new request over a trace, a worker beating again) stays. What it keeps up
 * with: 5,000 expired items a minute (about 80 removed requests a second, sustained); past that,
 * traces pile up until the load drops.
 */

export const DEFAULT_TTL_INTERVAL_MS = 60_000;
/** Items examined per Scan page. */
const PAGE_SIZE = 1_000;
const MAX_EXAMINED_PER_RUN = 50_000;
const MAX_DELETED_PER_RUN = 5_000;
const DELETE_CONCURRENCY = 8;

export interface TtlEmulatorOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  logger: Logger;
  clock?: Clock;
  intervalMs?: number;
  /** Items examined per page, and a run's bounds (tests page through a small table). */
  pageSize?: number;
  maxExaminedPerRun?: number;
  maxDeletedPerRun?: number;
}

export interface TtlRunReport {
  examined: number;
  deleted: number;
  /** Whether this run reached the end of the table (the next one starts over). */
  wrapped: boolean;
}

export class TtlEmulator {
  public readonly stats = { runs: 0, deleted: 0 };
  private readonly schedule: ScheduleEmulator;
  private readonly clock: Clock;
  /** Where the next run's scan resumes; undefined: at the start of the table. */
  private position: DynamoItem | undefined;

  public constructor(private readonly options: TtlEmulatorOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.schedule = new ScheduleEmulator({
      name: 'ttl',
      intervalMs: options.intervalMs ?? DEFAULT_TTL_INTERVAL_MS,
      run: () => this.runOnce(),
      logger: options.logger,
    });
  }

  public start(): void {
    this.schedule.start();
  }

  /** Stops scheduling and waits for the run in flight. */
  public stop(): Promise<void> {
    return this.schedule.stop();
  }

  /** One bounded run: deletes the expired items among those it examines. */
  public async runOnce(): Promise<TtlRunReport> {
    const { client, tableName } = this.options;
    const ttl = TABLE_DEFINITION.timeToLiveAttribute;
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const report: TtlRunReport = { examined: 0, deleted: 0, wrapped: false };
    const maxExamined = this.options.maxExaminedPerRun ?? MAX_EXAMINED_PER_RUN;
    const maxDeleted = this.options.maxDeletedPerRun ?? MAX_DELETED_PER_RUN;
    while (!report.wrapped && report.examined < maxExamined && report.deleted < maxDeleted) {
      const output = await storeCall('Scan', () =>
        client.send(
          new ScanCommand({
            TableName: tableName,
            Limit: this.options.pageSize ?? PAGE_SIZE,
            // As DynamoDB's TTL: only a number of epoch seconds that has passed expires an item.
            FilterExpression: '#ttl <= :now',
            ProjectionExpression: '#pk, #sk',
            ExpressionAttributeNames: { '#ttl': ttl, '#pk': TABLE_DEFINITION.partitionKey, '#sk': TABLE_DEFINITION.sortKey },
            ExpressionAttributeValues: { ':now': now },
            ...(this.position === undefined ? {} : { ExclusiveStartKey: this.position }),
          }),
        ),
      );
      report.examined += output.ScannedCount ?? 0;
      const results = await mapBounded(
        output.Items ?? [],
        (key) =>
          conditionalCall('DeleteItem', () =>
            client.send(
              new DeleteCommand({
                TableName: tableName,
                Key: key,
                ConditionExpression: '#ttl <= :now',
                ExpressionAttributeNames: { '#ttl': ttl },
                ExpressionAttributeValues: { ':now': now },
              }),
            ),
          ),
        DELETE_CONCURRENCY,
      );
      report.deleted += results.filter((result) => result === 'written').length;
      this.position = output.LastEvaluatedKey;
      report.wrapped = output.LastEvaluatedKey === undefined;
    }
    this.stats.runs += 1;
    this.stats.deleted += report.deleted;
    if (report.deleted > 0) this.options.logger.debug('expired items deleted (local TTL)', { ...report });
    return report;
  }
}
