import { ManagerSettingsSchema, type ManagerSettings } from '../../shared/contract/manager-settings.js';
import type { MappedFunction } from '../../shared/contract/manager-settings.js';
import type { ConsumeMessage } from 'amqplib';
import { ManagerHost, type ManagerHostOptions } from '../../infra/local/manager-host.js';
import { Header } from '../../shared/contract/headers.js';
import { workerTopology } from '../../shared/contract/topology.js';
import { CapturingLogger } from './capturing-logger.js';
import { createServices, type ManagerServices } from '../../shared/lambda/services.js';
import { declareTenant } from '../../shared/application/use-cases/configure-tenant.js';
import { startDynalite, type DynaliteFixture } from './dynalite.js';
import { createRabbitFixture, type RabbitFixture } from './rabbitmq.js';
import { startWorker, type Worker } from '../../shared/worker-sdk/src/index.js';
import { bringAlive, configure } from './use-case-fixtures.js';

/**
 * A manager on the real broker and a dynalite table, with every name prefixed for this test file,
 * plus a client response queue and direct access to the stores for arranging and asserting.
 */
export interface HostHarness {
  rabbit: RabbitFixture;
  dynamo: DynaliteFixture;
  settings: ManagerSettings;
  host: ManagerHost;
  /** Services on the same table and broker, for the test's own arranging and reading. */
  services: ManagerServices;
  logger: CapturingLogger;
  /** A queue bound to the response exchange: what a REGARDS client would consume. */
  clientQueue: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  only?: MappedFunction[];
  settings?: Partial<ManagerSettings>;
  /** The host's sweep schedule; off unless a test asks for it. */
  sweeper?: { intervalMs?: number } | false;
  /** The host's TTL emulator; off unless a test asks for it. */
  ttl?: { intervalMs?: number } | false;
  /** Serve the admin API on a free port (see `host.adminApi`). */
  http?: ManagerHostOptions['http'];
  /**
   * Tenants declared before the test starts, as an instance administrator would (the default
   * `declared` tenants mode refuses requests of any other tenant). Default: HARNESS_TENANTS.
   */
  tenants?: readonly string[];
  /** Wraps the handler of each mapping (see ManagerHostOptions.wrapHandler). */
  wrapHandler?: ManagerHostOptions['wrapHandler'];
}

/** The tenants `publishRequest` and most tests name. */
export const HARNESS_TENANTS = ['tenant-a', 'tenant-b'] as const;

export async function startHarness(label: string, options: HarnessOptions = {}): Promise<HostHarness> {
  const rabbit = createRabbitFixture(label);
  const dynamo = await startDynalite();
  const settings = ManagerSettingsSchema.parse({ ...options.settings, names: rabbit.names, livenessCacheSeconds: 0, configCacheSeconds: 0 });
  const logger = new CapturingLogger();
  const host = await ManagerHost.start({
    settings,
    amqpUrl: rabbit.url,
    dynamo: { client: dynamo.client, tableName: dynamo.tableName },
    logger,
    ...(options.only ? { only: options.only } : {}),
    sweeper: options.sweeper ?? false,
    ttl: options.ttl ?? false,
    ...(options.http ? { http: options.http } : {}),
    ...(options.wrapHandler ? { wrapHandler: options.wrapHandler } : {}),
  });
  const clientQueue = rabbit.name('client-responses');
  await rabbit.declareQueue(clientQueue);
  await rabbit.bindQueue(clientQueue, settings.names.responseExchange, '');
  const services = createServices({ client: dynamo.client, tableName: dynamo.tableName, settings, provider: rabbit.provider(), logger });
  // Its own logger: the test's captured logs hold only what the test did.
  for (const tenant of options.tenants ?? HARNESS_TENANTS) await declareTenant(tenant, { ...services, logger: new CapturingLogger() });
  return {
    rabbit,
    dynamo,
    settings,
    host,
    services,
    logger,
    clientQueue,
    async close() {
      await host.stop();
      await rabbit.cleanup();
      await dynamo.close();
    },
  };
}

export function json(message: ConsumeMessage): Record<string, unknown> {
  return JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
}

/**
 * Another manager host on the harness's broker names and table, as a second Lambda instance or a
 * second `npm start` would be. The caller stops it (before the harness closes).
 */
export async function startPeerHost(
  h: HostHarness,
  options: { only?: MappedFunction[]; logger?: CapturingLogger; sweeper?: { intervalMs?: number } | false } = {},
): Promise<ManagerHost> {
  return ManagerHost.start({
    settings: h.settings,
    amqpUrl: h.rabbit.url,
    dynamo: { client: h.dynamo.newClient(), tableName: h.dynamo.tableName },
    logger: options.logger ?? new CapturingLogger(),
    ...(options.only ? { only: options.only } : {}),
    sweeper: options.sweeper ?? false,
    ttl: false,
  });
}

/** Polls until `check` returns a value other than undefined/false, or fails with the last error after the timeout. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`not within ${options.timeoutMs ?? 10_000} ms: ${options.what ?? 'condition'}`, { cause: last });
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** A client request on the request exchange, with every header set unless overridden (undefined leaves one out). */
export function publishRequest(
  h: HostHarness,
  requestId: string,
  overrides: Record<string, string | undefined> = {},
  body = `{"id":"${requestId}"}`,
): Promise<void> {
  const all: Record<string, string | undefined> = {
    [Header.tenant]: 'tenant-a',
    [Header.requestId]: requestId,
    [Header.owner]: 'owner',
    [Header.session]: 'session',
    [Header.contentType]: 'to-extract',
    ...overrides,
  };
  const headers = Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return h.rabbit.publish(h.settings.names.requestExchange, '', body, { headers, contentType: 'application/json' });
}

export type HeartbeatBody = string | { id?: unknown; type?: unknown; heartBeatDate?: unknown };

/**
 * Heartbeat bodies (anything, to test refusals): through the heartbeat exchange as workers send
 * them, or straight into the heartbeat queue in one confirmed burst (for many at once).
 */
export async function publishHeartbeats(h: HostHarness, bodies: readonly HeartbeatBody[], via: 'exchange' | 'queue' = 'exchange'): Promise<void> {
  const encoded = bodies.map((body) => (typeof body === 'string' ? body : JSON.stringify(body)));
  const options = { headers: { [Header.tenant]: 'tenant-a' }, contentType: 'application/json', persistent: false };
  if (via === 'queue') return h.rabbit.sendToQueue(h.settings.names.heartbeatQueue, encoded, options);
  await Promise.all(encoded.map((body) => h.rabbit.publish(h.settings.names.heartbeatExchange, 'worker.heartbeat', body, options)));
}

/**
 * Declares the queues of worker types as their workers would when they start (the manager itself
 * declares one at its first dispatch), and tracks them so the harness deletes them afterwards.
 */
export async function declareWorkerQueues(h: HostHarness, types: readonly string[]): Promise<void> {
  for (const type of types) {
    h.rabbit.trackWorkerType(type);
    await h.services.bus.ensureTopology(workerTopology(h.settings.names, type));
  }
}

/**
 * Configures `workerType` for the tenant, makes it alive and starts an SDK worker of it on the
 * harness' broker, answering each work item with `handle` (a heartbeat every 30 s: the tests
 * bring the type alive themselves).
 */
export async function startEchoWorker(
  h: HostHarness,
  worker: { tenant: string; workerType: string; contentTypeInputs: string[]; keepErrors?: boolean },
  handle: Parameters<typeof startWorker>[0]['handle'],
): Promise<Worker> {
  const { tenant, workerType, ...config } = worker;
  await configure(h.services, tenant, { workers: [{ workerType, ...config }] });
  h.rabbit.trackWorkerType(workerType);
  await bringAlive(h.services, workerType);
  return startWorker({ connection: h.rabbit.provider(), names: h.settings.names, heartbeatIntervalMs: 30_000, workerType, handle });
}
