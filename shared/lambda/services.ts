import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../adapters/dynamodb/client.js';
import { DynamoConfigStore } from '../adapters/dynamodb/dynamo-config-store.js';
import { DynamoSlotStore } from '../adapters/dynamodb/dynamo-slot-store.js';
import type { SlotStore } from '../ports/slot-store.js';
import { DynamoCounterStore } from '../adapters/dynamodb/dynamo-counter-store.js';
import { DynamoRequestStore } from '../adapters/dynamodb/dynamo-request-store.js';
import { DynamoWorkerRegistry } from '../adapters/dynamodb/dynamo-worker-registry.js';
import { countStoreCalls } from '../adapters/dynamodb/store-call-metrics.js';
import { AmqpMessageBus } from '../adapters/rabbitmq/amqp-message-bus.js';
import { AmqpConnectionProvider } from '../amqp-kit/connection.js';
import type { ManagerSettings } from '../contract/manager-settings.js';
import { Liveness } from '../application/services/liveness.js';
import { TenantConfigs } from '../application/services/tenant-configs.js';
import { SystemClock, type Clock } from '../ports/clock.js';
import type { ConfigStore } from '../ports/config-store.js';
import type { CounterStore } from '../ports/counter-store.js';
import type { Logger } from '../kernel/logger.js';
import type { MessageBus } from '../ports/message-bus.js';
import { NO_METRICS, type Metrics } from '../ports/metrics.js';
import type { RequestStore } from '../ports/request-store.js';
import type { RegistryCaps, WorkerRegistry } from '../ports/worker-registry.js';
import { resolveAmqpUrl, type ResolveAmqpUrlOptions } from './broker-url.js';
import type { AmqpEnv, BaseEnv } from './env.js';
import { LambdaLogger } from './lambda-logger.js';

/*
 * The one place that pairs ports with their DynamoDB and RabbitMQ adapters. Every function's
 * dependencies are a subset of ManagerServices, so a Lambda builds it from its environment and
 * the local host builds one per function from its own options.
 */

export interface ManagerServices {
  clock: Clock;
  settings: ManagerSettings;
  logger: Logger;
  requests: RequestStore;
  counters: CounterStore;
  configStore: ConfigStore;
  registry: WorkerRegistry;
  tenants: TenantConfigs;
  liveness: Liveness;
  bus: MessageBus;
  /** Fair dispatch's in-flight counters (used only for worker types with a limit). */
  slots?: SlotStore | undefined;
  /** Where the use cases and the function wrapper record metrics (ports/metrics.ts); NO_METRICS when none. */
  metrics?: Metrics;
}

export interface ServicesOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  settings: ManagerSettings;
  provider: AmqpConnectionProvider;
  logger: Logger;
  clock?: Clock;
  /** Default NO_METRICS. The store calls are counted by whoever instruments the client (countStoreCalls). */
  metrics?: Metrics;
  /** Stores to use instead of the DynamoDB adapters (the benchmark's in-memory run); `client` is then unused. */
  stores?: ServiceStores;
}

/** The stored state a manager reads and writes: one table in AWS. */
export type ServiceStores = Pick<ManagerServices, 'requests' | 'counters' | 'configStore' | 'registry' | 'slots'>;

export function createServices(options: ServicesOptions): ManagerServices {
  const { client, tableName, settings, logger } = options;
  const clock = options.clock ?? new SystemClock();
  const storeOptions = { concurrency: settings.storeConcurrency };
  const { configStore, registry, requests, counters } = options.stores ?? {
    configStore: new DynamoConfigStore(client, tableName, { maxRemembered: settings.cacheMaxEntries }),
    registry: new DynamoWorkerRegistry(client, tableName, { expiryMs: settings.heartbeatExpirySeconds * 1000, caps: registryCaps(settings) }),
    requests: new DynamoRequestStore(client, tableName, { ...storeOptions, clock }),
    counters: new DynamoCounterStore(client, tableName, storeOptions),
  };
  const slots = options.stores === undefined ? new DynamoSlotStore(client, tableName) : options.stores.slots;
  return {
    clock,
    settings,
    logger,
    requests,
    counters,
    slots,
    configStore,
    registry,
    tenants: new TenantConfigs(configStore, clock, settings.configCacheSeconds * 1000, settings.cacheMaxEntries),
    liveness: new Liveness(registry, clock, settings.livenessCacheSeconds * 1000),
    bus: new AmqpMessageBus(options.provider, { logger, maxDeclared: settings.cacheMaxEntries }),
    metrics: options.metrics ?? NO_METRICS,
  };
}

/** The worker registry's size bounds, from the settings. */
export function registryCaps(settings: ManagerSettings): RegistryCaps {
  return { maxTypes: settings.maxWorkerTypes, maxInstancesPerType: settings.maxWorkerInstancesPerType };
}

const providers = new Map<string, AmqpConnectionProvider>();

/** One connection per broker URL per process, shared by every function of a warm process. */
export function sharedConnection(url: string, logger: Logger): AmqpConnectionProvider {
  let provider = providers.get(url);
  if (provider === undefined) {
    provider = new AmqpConnectionProvider({ url, connectionName: `worker-manager:${process.pid}`, logger });
    providers.set(url, provider);
  }
  return provider;
}

export interface ServicesFromEnvOptions extends ResolveAmqpUrlOptions {
  /**
   * The function's metrics (EmfMetrics in Lambda), given by its handler so that a function that
   * records none (admin-api) does not bundle EmfMetrics; its store calls are counted too.
   */
  metrics?: Metrics;
}

/**
 * A Lambda's services, from its validated environment. Async because in AWS the broker
 * credentials are read from Secrets Manager (once per warm process).
 */
export async function servicesFromEnv(env: BaseEnv & AmqpEnv, functionName: string, options: ServicesFromEnvOptions = {}): Promise<ManagerServices> {
  const logger = LambdaLogger.create(env.LOG_LEVEL, { fn: functionName });
  const url = await resolveAmqpUrl(env, options);
  const client = documentClient({ endpoint: env.DYNAMODB_ENDPOINT, region: env.AWS_REGION });
  if (options.metrics !== undefined) countStoreCalls(client, options.metrics, functionName);
  return createServices({
    client,
    tableName: env.TABLE_NAME,
    settings: env.WM_SETTINGS,
    provider: sharedConnection(url, logger),
    logger,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
}
