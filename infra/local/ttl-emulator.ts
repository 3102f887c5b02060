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
 * beside the table, as the event-source emulator emulates the Lambda poller. The scan is bounded
 * per run (MAX_PAGES_PER_RUN pages of PAGE_SIZE items examined) and resumes where it stopped, so
 * a run costs the same on a table of any size; the whole table is gone over in
 * items / (PAGES × PAGE_SIZE) runs. Each delete is conditional on the item still being expired,
 * so an item written again meanwhile (a new request over a trace, a worker beating again) stays.
 */

export const DEFAULT_TTL_INTERVAL_MS = 5 * 60_000;
/** Items examined per Scan page, and pages per run: 2,000 items a run at most. */
const PAGE_SIZE = 200;
const MAX_PAGES_PER_RUN = 10;
const DELETE_CONCURRENCY = 8;

export interface TtlEmulatorOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  logger: Logger;
  clock?: Clock;
  intervalMs?: number;
  /** Items examined per page (tests page through a small table). */
  pageSize?: number;
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
    for (let page = 0; page < MAX_PAGES_PER_RUN && !report.wrapped; page++) {
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
