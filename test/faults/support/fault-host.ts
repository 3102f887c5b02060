import { deadLetterRouteOf } from '../../../shared/contract/topology.js';
import type { z } from 'zod';
import { createDocumentClient } from '../../../shared/adapters/dynamodb/client.js';
import { Header } from '../../../shared/contract/headers.js';
import { REJECTION_REASON_HEADER } from '../../../shared/application/services/batch-effects.js';
import { dedicatedDeadLetterQueue } from '../../../shared/contract/wire-names.js';
import { eventSourceMappings, ManagerSettingsSchema, type ManagerSettings, type MappedFunction } from '../../../shared/contract/manager-settings.js';
import { EventSourceEmulator, type EventSourceHandler } from '../../../infra/local/event-source-emulator.js';
import { MAPPED_FUNCTIONS } from '../../../infra/local/functions.js';
import { ManagerHost } from '../../../infra/local/manager-host.js';
import { createServices, type ManagerServices } from '../../../shared/lambda/services.js';
import { startWorker, type Job, type JobOutcome, type Worker } from '../../../shared/worker-sdk/src/index.js';
import { handleExtract } from '../../../shared/worker-sdk/examples/extract-worker.js';
import { TEST_JWT_SECRET, tokenFor } from '../../support/admin-api-client.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { createRabbitFixture, type RabbitFixture } from '../../support/rabbitmq.js';
import { Ledger } from './ledger.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/*
 * The manager under fault: the local host (`npm start`'s ManagerHost, sweep on, admin API on a
 * free port) in this process, on the real broker and a dynalite reached through a TCP proxy the
 * test can cut; the test's tenants declared by importing a configuration through the admin API;
 * workers of the SDK; and a ledger of every answer the client gets.
 */

export const TENANTS = ['fault-a', 'fault-b'] as const;
export const WORKER_TYPE = 'fault-extract';
export const CONTENT_TYPE = 'fault-file';

export const FAULT_CONFIG = {
  format: 'worker-manager/v1',
  resetBeforeImport: true,
  workers: [{ workerType: WORKER_TYPE, contentTypeInputs: [CONTENT_TYPE] }],
};

export interface FaultHostOptions {
  /** The broker; default the shared one. */
  amqpUrl?: string;
  /** Run these functions through a wrapper of their handler (a handler that throws mid-batch). */
  wrap?: Partial<Record<MappedFunction, (handler: EventSourceHandler) => EventSourceHandler>>;
  settings?: Omit<z.input<typeof ManagerSettingsSchema>, 'names'>;
  sweepIntervalMs?: number;
}

export interface FaultHost {
  rabbit: RabbitFixture;
  dynamo: DynaliteFixture;
  proxy: TcpProxy;
  settings: ManagerSettings;
  host: ManagerHost;
  services: ManagerServices;
  logger: CapturingLogger;
  ledger: Ledger;
  clientQueue: string;
  /** The connection names of this host's own broker connections (to close them and no other). */
  isOwnConnection(name: string): boolean;
  api(tenant: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; body: unknown }>;
  startWorkers(count: number, options?: { prefetch?: number; handle?: (job: Job) => Promise<JobOutcome> }): Promise<Worker[]>;
  /** Publishes one request per id, alternating tenants, `concurrency` at a time; returns the ledger keys. */
  send(ids: readonly string[], options?: { concurrency?: number; body?: (id: string) => string }): Promise<string[]>;
  /**
   * For keys with no final answer, what the admin API shows: a request in a non-final status
   * (waiting, visible to an operator), or a final status whose answer never reached the client.
   */
  visibleWaiting(keys: readonly string[]): Promise<{ waiting: string[]; finalWithoutAnswer: string[]; statuses: Record<string, number> }>;
  /** Messages in each dead-letter queue of the manager's inputs (and the shared DLQ), by queue. */
  deadLetters(): Promise<Record<string, DeadLetterCount>>;
  close(): Promise<void>;
}

/** What a dead-letter queue held (read and emptied): with the manager's reason header, or dead-lettered by the broker's delivery limit. */
export interface DeadLetterCount {
  messages: number;
  withReason: number;
  byBrokerDeliveryLimit: number;
  reasons: string[];
}

export function tenantOf(index: number): string {
  return TENANTS[index % TENANTS.length] as string;
}

export async function startFaultHost(label: string, options: FaultHostOptions = {}): Promise<FaultHost> {
  const rabbit = createRabbitFixture(label, options.amqpUrl === undefined ? {} : { url: options.amqpUrl });
  rabbit.trackWorkerType(WORKER_TYPE);
  const dynamo = await startDynalite();
  const proxy = await startTcpProxy(dynamo.endpoint);
  const client = createDocumentClient({ endpoint: proxy.endpoint });
  const settings = ManagerSettingsSchema.parse({ ...options.settings, names: rabbit.names, livenessCacheSeconds: 0, configCacheSeconds: 0 });
  const logger = new CapturingLogger();
  const wrapped = Object.keys(options.wrap ?? {}) as MappedFunction[];
  const allFunctions = eventSourceMappings(settings).map((mapping) => mapping.functionName);
  const host = await ManagerHost.start({
    settings,
    amqpUrl: rabbit.url,
    dynamo: { client, tableName: dynamo.tableName },
    logger,
    only: allFunctions.filter((fn) => !wrapped.includes(fn)),
    sweeper: { intervalMs: options.sweepIntervalMs ?? 2_000 },
    // No TTL emulator: a scan of its own must not land in a fault measured.
    ttl: false,
    http: { port: 0, auth: { secret: TEST_JWT_SECRET } },
  });
  const extra: EventSourceEmulator[] = [];
  for (const mapping of eventSourceMappings(settings)) {
    const wrap = options.wrap?.[mapping.functionName];
    const fn = MAPPED_FUNCTIONS[mapping.functionName];
    if (wrap === undefined || fn === undefined) continue;
    const fnServices = createServices({
      client,
      tableName: dynamo.tableName,
      settings,
      provider: host.provider,
      logger: logger.child({ fn: mapping.functionName }),
    });
    const emulator = EventSourceEmulator.forMapping(mapping, host.provider, wrap(fn.withDeps(fnServices)), {
      logger,
      deadLetterTo: deadLetterRouteOf(settings.names, mapping.queue),
    });
    await emulator.start();
    extra.push(emulator);
  }
  const services = createServices({ client: dynamo.client, tableName: dynamo.tableName, settings, provider: rabbit.provider(), logger });
  const clientQueue = rabbit.name('client');
  await rabbit.declareQueue(clientQueue);
  await rabbit.bindQueue(clientQueue, settings.names.responseExchange, '');
  const ledger = await Ledger.start(rabbit.url, clientQueue, `${rabbit.prefix}:ledger`);
  const workers: Worker[] = [];
  const adminUrl = host.adminApi?.url ?? '';

  const api: FaultHost['api'] = async (tenant, method, path, body) => {
    const response = await fetch(`${adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokenFor(tenant, 'PROJECT_ADMIN')}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, text, body: parsed };
  };

  for (const tenant of TENANTS) {
    const imported = await api(tenant, 'PUT', '/configuration/native', FAULT_CONFIG);
    if (imported.status !== 200) throw new Error(`configuration import for ${tenant}: ${imported.status} ${imported.text}`);
  }

  const fh: FaultHost = {
    rabbit,
    dynamo,
    proxy,
    settings,
    host,
    services,
    logger,
    ledger,
    clientQueue,
    isOwnConnection: (name) => name === `worker-manager-local:${process.pid}`,
    api,
    async startWorkers(count, workerOptions = {}) {
      const started: Worker[] = [];
      for (let n = 0; n < count; n += 1) {
        const worker = await startWorker({
          url: rabbit.url,
          names: rabbit.names,
          workerType: WORKER_TYPE,
          prefetch: workerOptions.prefetch ?? 20,
          heartbeatIntervalMs: 500,
          heartbeatTenant: TENANTS[0],
          connectionName: `${rabbit.prefix}:worker-${workers.length}`,
          handle: workerOptions.handle ?? handleExtract,
          // Lost connections are what these tests cause; the worker's reconnect warnings are expected.
          logger: new CapturingLogger(),
        });
        workers.push(worker);
        started.push(worker);
      }
      // The manager dispatches only to a type it saw alive.
      const deadline = Date.now() + 15_000;
      while (!(await api(TENANTS[0], 'GET', '/workers')).text.includes(WORKER_TYPE)) {
        if (Date.now() > deadline) throw new Error('the worker type did not show alive within 15 s');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return started;
    },
    async send(ids, sendOptions = {}) {
      const keys: string[] = [];
      const concurrency = sendOptions.concurrency ?? 50;
      for (let n = 0; n < ids.length; n += concurrency) {
        await Promise.all(
          ids.slice(n, n + concurrency).map(async (id, i) => {
            const tenant = tenantOf(n + i);
            ledger.markSent(tenant, id);
            keys.push(ledger.key(tenant, id));
            await publishWithRetry(rabbit, settings.names.requestExchange, sendOptions.body?.(id) ?? JSON.stringify({ file: `${id}.dat` }), {
              [Header.tenant]: tenant,
              [Header.requestId]: id,
              [Header.owner]: 'faults',
              [Header.session]: 'load',
              [Header.contentType]: CONTENT_TYPE,
            });
          }),
        );
      }
      return keys;
    },
    async visibleWaiting(keys) {
      const waiting: string[] = [];
      const finalWithoutAnswer: string[] = [];
      const statuses: Record<string, number> = {};
      for (const key of keys) {
        const [tenant, id] = key.split('/') as [string, string];
        const answer = await api(tenant, 'GET', `/requests/${percentEncode(id)}`);
        if (answer.status !== 200) continue;
        const status = String((answer.body as { content?: { status?: unknown } } | undefined)?.content?.status);
        statuses[status] = (statuses[status] ?? 0) + 1;
        (['SUCCESS', 'ERROR', 'INVALID_CONTENT'].includes(status) ? finalWithoutAnswer : waiting).push(key);
      }
      return { waiting, finalWithoutAnswer, statuses };
    },
    async deadLetters() {
      const names = settings.names;
      const queues = [...[names.requestQueue, names.workerResponse, names.workerDeadLetter].map(dedicatedDeadLetterQueue), names.deadLetterQueue];
      const counts: Record<string, DeadLetterCount> = {};
      for (const queue of queues) {
        const { messageCount } = await rabbit.queueState(queue);
        if (messageCount === 0) continue;
        const messages = await rabbit.collect(queue, messageCount, { timeoutMs: 20_000 });
        const count: DeadLetterCount = { messages: messages.length, withReason: 0, byBrokerDeliveryLimit: 0, reasons: [] };
        for (const message of messages) {
          const headers = message.properties.headers ?? {};
          const reason = headers[REJECTION_REASON_HEADER];
          if (reason !== undefined) {
            count.withReason += 1;
            const text = String(reason).slice(0, 100);
            if (count.reasons.length < 5 && !count.reasons.includes(text)) count.reasons.push(text);
          } else if (JSON.stringify(headers['x-death'] ?? '').includes('delivery_limit')) count.byBrokerDeliveryLimit += 1;
        }
        counts[queue.slice(rabbit.prefix.length + 1)] = count;
      }
      return counts;
    },
    async close() {
      await Promise.all(workers.splice(0).map((worker) => worker.stop().catch(() => undefined)));
      await Promise.all(extra.map((emulator) => emulator.stop().catch(() => undefined)));
      await host.stop().catch(() => undefined);
      await ledger.stop();
      client.destroy();
      await proxy.close();
      await rabbit.cleanup().catch(() => undefined);
      await dynamo.close();
    },
  };
  return fh;
}

/** encodeURIComponent, but a lone surrogate (fuzzed ids have them) goes as the UTF-8 of U+FFFD instead of throwing. */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`))
    .join('');
}

/** A client's publish with confirms, retried while the broker is away (as a REGARDS client would). */
export async function publishWithRetry(rabbit: RabbitFixture, exchange: string, body: string, headers: Record<string, string>): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await rabbit.publish(exchange, '', body, { headers, contentType: 'application/json' });
      return;
    } catch (error) {
      if (attempt >= 60) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
