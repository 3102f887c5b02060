import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { applyTopology } from '../../shared/amqp-kit/topology.js';
import { AmqpConnectionProvider } from '../../shared/amqp-kit/connection.js';
import { availableQueuePolicies } from '../../shared/amqp-kit/management.js';
import {
  eventSourceMappings,
  sessionDeletionMapping,
  type EventSourceMapping,
  topologyOptions,
  type ManagerSettings,
  type MappedFunction,
} from '../../shared/contract/manager-settings.js';
import { deadLetterRouteOf, managerTopology } from '../../shared/contract/topology.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { Logger } from '../../shared/kernel/logger.js';
import type { AuthSettingsInput } from '../../shared/lambda/auth.js';
import { countStoreCalls } from '../../shared/adapters/dynamodb/store-call-metrics.js';
import { PrometheusRegistry } from '../../shared/adapters/metrics/prometheus-registry.js';
import { createServices, type ManagerServices, type ServiceStores } from '../../shared/lambda/services.js';
import { startLocalAdminApi, type LocalAdminApi } from './admin-api-host.js';
import { EventSourceEmulator, type EventSourceHandler } from './event-source-emulator.js';
import { MAPPED_FUNCTIONS, sessionDeletionsHandler, sweepHandler } from './functions.js';
import { ScheduleEmulator } from './schedule-emulator.js';
import { TtlEmulator } from './ttl-emulator.js';

/*
 * The manager as one process: the broker topology declared at start, then one event-source
 * emulator per event source mapping of the shared settings, each invoking the same handler a
 * Lambda runs. Integration tests start it on prefixed names and a dynalite table; `npm start`
 * starts it on the real names.
 */

export interface ManagerHostOptions {
  settings: ManagerSettings;
  amqpUrl: string;
  /** The broker's management API, for the queues' policies; default: AMQP URL's host, port 15672. */
  managementUrl?: string;
  dynamo: { client: DynamoDBDocumentClient; tableName: string };
  logger: Logger;
  clock?: Clock;
  /** Run only these functions (tests); default: every function the local host has. */
  only?: readonly MappedFunction[];
  /** The sweep's schedule (AWS: every minute); false turns it off, as tests do unless they test it. */
  sweeper?: { intervalMs?: number } | false;
  /** The local stand-in for the table's TTL (default every minute; not with `stores`); false turns it off. */
  ttl?: { intervalMs?: number } | false;
  /** Serve the admin API (port 0: any free port), with bulk jobs run in this process. */
  http?: { port: number; host?: string; auth: AuthSettingsInput; maxBodyBytes?: number; corsOrigins?: readonly string[] };
  /** Stores shared by every function instead of the DynamoDB table (the benchmark's in-memory run). */
  stores?: ServiceStores;
  /**
   * Wraps each queue-fed function's handler (the benchmark times and attributes invocations; a
   * fault test fails one shard's batch by its queue).
   */
  wrapHandler?: (fn: MappedFunction, handler: EventSourceHandler, mapping: EventSourceMapping) => EventSourceHandler;
}

export const DEFAULT_SWEEP_INTERVAL_MS = 5_000;

export class ManagerHost {
  private constructor(
    public readonly provider: AmqpConnectionProvider,
    /** The emulator of each function's first queue (shard 0). */
    public readonly emulators: ReadonlyMap<MappedFunction, EventSourceEmulator>,
    /** Every emulator: one per mapping, so one per shard of a sharded queue. */
    public readonly allEmulators: readonly EventSourceEmulator[],
    /** The services of each function, for tests that need to look inside. */
    public readonly services: ReadonlyMap<MappedFunction, ManagerServices>,
    /** The sweep's schedule, when it runs; `runNow()` lets a test sweep at once. */
    public readonly sweeper: ScheduleEmulator | undefined,
    /** The admin API, when `http` was given: its URL and its bulk jobs. */
    public readonly adminApi: LocalAdminApi | undefined,
    /** What every function of this host records, as Lambda would in CloudWatch; served at GET /metrics with the admin API. */
    public readonly metrics: PrometheusRegistry,
    /** rs-admin's session and source deletions: read only where bulk jobs run (with the admin API). */
    public readonly sessionDeletions: EventSourceEmulator | undefined,
    /** Deletes expired items, as the table's TTL does in AWS (dynalite has none). */
    public readonly ttl: TtlEmulator | undefined,
  ) {}

  public static async start(options: ManagerHostOptions): Promise<ManagerHost> {
    const { settings, logger } = options;
    const provider = new AmqpConnectionProvider({ url: options.amqpUrl, connectionName: `worker-manager-local:${process.pid}`, logger });
    const metrics = new PrometheusRegistry();
    // One client for every function here: its calls are counted under one Function value.
    countStoreCalls(options.dynamo.client, metrics, 'local-host');
    let adminApi: LocalAdminApi | undefined;
    try {
      if (options.http !== undefined) {
        adminApi = await startLocalAdminApi({
          ...options.http,
          settings,
          provider,
          dynamo: options.dynamo,
          logger,
          metrics,
          ...(options.clock ? { clock: options.clock } : {}),
        });
      }
      await applyTopology(await provider.get(), managerTopology(settings.names, topologyOptions(settings)), {
        policies: await availableQueuePolicies(options.amqpUrl, logger, options.managementUrl),
        onWarning: (warning) => logger.warn('broker topology differs from ours; kept as is', { ...warning }),
      });
      const emulators = new Map<MappedFunction, EventSourceEmulator>();
      const shardEmulators: EventSourceEmulator[] = [];
      const services = new Map<MappedFunction, ManagerServices>();
      // One emulator per mapping, as Lambda runs one poller per mapping: a sharded queue gets one per shard.
      for (const mapping of eventSourceMappings(settings)) {
        const fn = MAPPED_FUNCTIONS[mapping.functionName];
        if (fn === undefined || (options.only && !options.only.includes(mapping.functionName))) continue;
        const fnLogger = logger.child({ fn: mapping.functionName });
        const fnServices =
          services.get(mapping.functionName) ??
          createServices({ ...options.dynamo, settings, provider, logger: fnLogger, metrics, ...optionalServices(options) });
        services.set(mapping.functionName, fnServices);
        const emulator = EventSourceEmulator.forMapping(
          mapping,
          provider,
          options.wrapHandler?.(mapping.functionName, fn.withDeps(fnServices), mapping) ?? fn.withDeps(fnServices),
          { logger: fnLogger, deadLetterTo: deadLetterRouteOf(settings.names, mapping.queue) },
        );
        if (!emulators.has(mapping.functionName)) emulators.set(mapping.functionName, emulator);
        shardEmulators.push(emulator);
      }
      const deletions = adminApi === undefined ? undefined : sessionDeletionsEmulator(options, provider, adminApi);
      await Promise.all([...shardEmulators, ...(deletions ? [deletions] : [])].map((emulator) => emulator.start()));
      const sweeper = options.sweeper === false ? undefined : sweepSchedule(options, provider, metrics, adminApi, options.sweeper?.intervalMs);
      sweeper?.start();
      const ttl = options.ttl === false || options.stores !== undefined ? undefined : ttlEmulator(options, options.ttl?.intervalMs);
      ttl?.start();
      return new ManagerHost(provider, emulators, shardEmulators, services, sweeper, adminApi, metrics, deletions, ttl);
    } catch (error) {
      await adminApi?.close().catch(() => undefined);
      await provider.close().catch(() => undefined);
      throw error;
    }
  }

  /** Stops the admin API (bulk jobs stop at a page boundary), waits for a sweep in flight, lets in-flight batches finish (their messages are acked), requeues the rest, closes the connection. */
  public async stop(): Promise<void> {
    await this.adminApi?.close();
    await this.sweeper?.stop();
    await this.ttl?.stop();
    await Promise.all([...this.allEmulators, ...(this.sessionDeletions ? [this.sessionDeletions] : [])].map((emulator) => emulator.stop()));
    await this.provider.close();
  }
}

function sweepSchedule(
  options: ManagerHostOptions,
  provider: AmqpConnectionProvider,
  metrics: PrometheusRegistry,
  adminApi: LocalAdminApi | undefined,
  intervalMs = DEFAULT_SWEEP_INTERVAL_MS,
): ScheduleEmulator {
  const logger = options.logger.child({ fn: 'sweep' });
  const services = createServices({ ...options.dynamo, settings: options.settings, provider, logger, metrics, ...optionalServices(options) });
  // Bulk jobs run only where the admin API does; there the sweep restarts those that stalled.
  const handler = sweepHandler(services, adminApi === undefined ? undefined : { jobs: adminApi.jobStore, launcher: adminApi.jobs }, provider);
  return new ScheduleEmulator({ name: 'sweep', intervalMs, run: () => handler(), logger });
}

function ttlEmulator(options: ManagerHostOptions, intervalMs: number | undefined): TtlEmulator {
  return new TtlEmulator({
    ...options.dynamo,
    logger: options.logger.child({ fn: 'ttl' }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(intervalMs === undefined ? {} : { intervalMs }),
  });
}

function sessionDeletionsEmulator(options: ManagerHostOptions, provider: AmqpConnectionProvider, adminApi: LocalAdminApi): EventSourceEmulator {
  const mapping = sessionDeletionMapping(options.settings);
  const logger = options.logger.child({ fn: mapping.functionName });
  const services = createServices({ ...options.dynamo, settings: options.settings, provider, logger, ...optionalServices(options) });
  return new EventSourceEmulator({
    connection: provider,
    queue: mapping.queue,
    batchSize: mapping.batchSize,
    maximumBatchingWindowMs: mapping.maximumBatchingWindowSeconds * 1000,
    handler: sessionDeletionsHandler({ ...services, jobs: adminApi.jobStore, launcher: adminApi.jobs }),
    logger,
    deadLetterTo: deadLetterRouteOf(options.settings.names, mapping.queue),
  });
}

function optionalServices(options: ManagerHostOptions): { clock?: Clock; stores?: ServiceStores } {
  return { ...(options.clock ? { clock: options.clock } : {}), ...(options.stores ? { stores: options.stores } : {}) };
}
