import amqp, { type ChannelModel } from 'amqplib';
import { ManagerHost } from '../../infra/local/manager-host.js';
import type { EventSourceHandler } from '../../infra/local/event-source-emulator.js';
import { createDocumentClient, ensureTable } from '../../shared/adapters/dynamodb/client.js';
import { MemoryConfigStore, MemoryCounterStore, MemoryRequestStore, MemoryWorkerRegistry } from '../../shared/adapters/memory/index.js';
import type { AmazonMqEvent } from '../../shared/contract/amazon-mq-event.js';
import { Header } from '../../shared/contract/headers.js';
import { ManagerSettingsSchema, type ManagerSettings } from '../../shared/contract/manager-settings.js';
import { JsonLogger } from '../../shared/lambda/json-logger.js';
import type { ManagerServices, ServiceStores } from '../../shared/lambda/services.js';
import { createRabbitFixture, type RabbitFixture } from '../support/rabbitmq.js';
import { bringAlive, configure } from '../support/use-case-fixtures.js';
import { rawConditionalPutRate } from './bench-kit.js';
import { benchBody, type BodyKind } from './bodies.js';
import { CpuMonitor, epochNow, pidsNamed, round, runPhases, Tracker, waitFor, waitForQuiet } from './load.js';
import type { CommonOptions, ScenarioResult } from './peers.js';
import { startChild, type Child } from './processes.js';
import { StoreMeter, type FunctionMeter } from './store-meter.js';

/*
 * Ours, end to end: clients of 3 tenants publish requests; the local host (the same handlers a
 * Lambda runs, behind the event-source emulator) registers and dispatches them; SDK workers in
 * their own process answer SUCCESS; the manager answers the client. With the in-memory stores,
 * or with the embedded store (dynalite, what `npm start` gives) in its own process.
 */

export type StoreKind = 'memory' | 'embedded';
export type Workflow = 'single' | 'two';

export const TENANTS = ['bench-t1', 'bench-t2', 'bench-t3'] as const;
const CONTENT_TYPE: Record<Workflow, string> = { single: 'bench-single', two: 'bench-two' };
const WORKER_TYPES: Record<Workflow, { type: string; stamp: boolean }[]> = {
  single: [{ type: 'bench-a', stamp: true }],
  two: [
    { type: 'bench-a', stamp: true },
    { type: 'bench-b', stamp: false },
  ],
};

/** The queue-fed functions a request goes through (heartbeats are metered apart). */
export const REQUEST_PATH = ['register-requests', 'handle-worker-responses'] as const;

export interface ProfileResult {
  store: StoreKind;
  workflow: Workflow;
  bodyBytes: number;
  /** What the body holds (bodies.ts): how well the store can deflate it. */
  bodyKind: BodyKind;
  requests: number;
  /** Per function, from a phase where it ran alone in the manager process. */
  functions: Record<string, FunctionProfile>;
}

export interface FunctionProfile {
  invocations: number;
  messagesPerInvocation: number;
  /** Messages this function handled per client request (a two-step request crosses handle-worker-responses twice). */
  messagesPerRequest: number;
  cpuMsPerMessage: number;
  cpuMsPerInvocation: number;
  wallMsPerInvocation: number;
  storeCallsPerRequest: Record<string, number>;
  storeCallsPerRequestTotal: number;
  roundTripsPerInvocation: number;
  peakInFlightPerInvocation: number;
  writeUnitsPerRequest: Record<string, number>;
  writeUnitsPerRequestTotal: number;
  readUnitsPerRequest: Record<string, number>;
  readUnitsPerRequestTotal: number;
}

export interface OursResult extends ScenarioResult {
  store: StoreKind;
  workflow: Workflow;
  /** Store calls per request of the full-speed phase (request path only). */
  storeCallsPerRequest: number | null;
  /** The embedded store's own conditional put rate, measured in this run. */
  storePutPerSecond: number | null;
  /** storePutPerSecond / storeCallsPerRequest. */
  storeBoundCeiling: number | null;
  profiles: ProfileResult[];
}

interface World {
  rabbit: RabbitFixture;
  settings: ManagerSettings;
  host: ManagerHost;
  services: ManagerServices;
  meter: StoreMeter;
  store: Child | undefined;
  endpoint: string | undefined;
  connection: ChannelModel;
  holder: { tracker: Tracker };
  granted: { count: number };
  close(): Promise<void>;
}

async function startWorld(kind: StoreKind, label: string, shards: number): Promise<World> {
  const rabbit = createRabbitFixture(label);
  const settings = ManagerSettingsSchema.parse({ names: rabbit.names, shards });
  const logger = new JsonLogger('warn');
  let store: Child | undefined;
  let endpoint: string | undefined;
  let stores: ServiceStores | undefined;
  const tableName = `bench-${process.pid}`;
  let client;
  if (kind === 'embedded') {
    store = await startChild({ role: 'store' });
    endpoint = String(store.info['endpoint']);
    client = createDocumentClient({ endpoint });
    await ensureTable(client, tableName);
  } else {
    // Never called: the stores below replace every DynamoDB adapter.
    client = createDocumentClient({ endpoint: 'http://127.0.0.1:9' });
    stores = {
      requests: new MemoryRequestStore(),
      counters: new MemoryCounterStore(),
      configStore: new MemoryConfigStore(),
      registry: new MemoryWorkerRegistry({ expiryMs: settings.heartbeatExpirySeconds * 1000 }),
    };
  }
  const meter = new StoreMeter(kind === 'embedded' ? client : undefined);
  const wrapHandler =
    (fn: string, handler: EventSourceHandler): EventSourceHandler =>
    (event) =>
      meter.invocation(fn, recordsOf(event), () => handler(event));
  const host = await ManagerHost.start({
    settings,
    amqpUrl: rabbit.url,
    dynamo: { client, tableName },
    logger,
    sweeper: false,
    ttl: false,
    wrapHandler,
    ...(stores ? { stores } : {}),
  });
  const services = host.services.get('register-requests')!;
  for (const tenant of TENANTS) {
    await configure(services, tenant, {
      workers: [
        { workerType: 'bench-a', contentTypeInputs: [CONTENT_TYPE.single], contentTypeOutput: 'bench-mid' },
        { workerType: 'bench-b', contentTypeInputs: ['bench-mid'] },
      ],
      workflows: [
        {
          workflowType: CONTENT_TYPE.two,
          steps: [
            { stepNumber: 1, workerType: 'bench-a' },
            { stepNumber: 2, workerType: 'bench-b' },
          ],
        },
      ],
    });
  }
  rabbit.trackWorkerType('bench-a');
  rabbit.trackWorkerType('bench-b');

  const connection = await amqp.connect(rabbit.url, { noDelay: true });
  const clientQueue = rabbit.name('client');
  await rabbit.declareQueue(clientQueue);
  await rabbit.bindQueue(clientQueue, settings.names.responseExchange, '');
  const holder = { tracker: new Tracker() };
  const granted = { count: 0 };
  const consumer = await connection.createChannel();
  await consumer.prefetch(1000);
  await consumer.consume(clientQueue, (message) => {
    if (message === null) return;
    consumer.ack(message);
    const body = JSON.parse(message.content.toString()) as { state: string; requestId: string; content?: string };
    if (body.state === 'GRANTED') {
      granted.count += 1;
      return;
    }
    if (body.state === 'DELAYED') return;
    let stamp: number | undefined;
    if (body.state === 'SUCCESS' && body.content !== undefined) {
      try {
        stamp = (JSON.parse(Buffer.from(body.content, 'base64').toString()) as { r?: number }).r;
      } catch {
        stamp = undefined;
      }
    }
    holder.tracker.final(body.requestId, epochNow(), stamp, body.state === 'SUCCESS');
  });
  return {
    rabbit,
    settings,
    host,
    services,
    meter,
    store,
    endpoint,
    connection,
    holder,
    granted,
    close: async () => {
      await connection.close().catch(() => undefined);
      await host.stop().catch(() => undefined);
      client.destroy();
      await store?.stop();
      await rabbit.cleanup();
    },
  };
}

function idle(world: World): boolean {
  return world.host.allEmulators.every((emulator) => emulator.stats.inFlight === 0 && emulator.stats.buffered === 0);
}

function recordsOf(event: AmazonMqEvent): number {
  return Object.values(event.rmqMessagesByQueue).reduce((sum, records) => sum + records.length, 0);
}

/** A profile's body: its size and what it holds. */
export interface ProfileBody {
  bytes: number;
  kind: BodyKind;
}

function publisherOf(world: World, workflow: Workflow, body: Buffer) {
  let channel: Promise<amqp.ConfirmChannel> | undefined;
  let n = 0;
  return {
    send: async (ids: readonly string[]) => {
      channel ??= world.connection.createConfirmChannel();
      const publisher = await channel;
      for (const id of ids) {
        const tenant = TENANTS[n++ % TENANTS.length]!;
        publisher.publish(world.settings.names.requestExchange, '', body, {
          persistent: true,
          headers: {
            [Header.tenant]: tenant,
            [Header.requestId]: id,
            [Header.owner]: 'o',
            [Header.session]: 's',
            [Header.contentType]: CONTENT_TYPE[workflow],
          },
        });
      }
      await publisher.waitForConfirms();
    },
  };
}

async function startWorkers(world: World, workflow: Workflow, instances: number): Promise<Child> {
  const workers = await startChild({
    role: 'sdk-workers',
    url: world.rabbit.url,
    names: world.settings.names,
    workerTypes: WORKER_TYPES[workflow],
    instances,
    prefetch: 50,
  });
  const types = WORKER_TYPES[workflow].map((w) => w.type);
  await waitFor(
    async () => {
      const alive = await world.services.liveness.aliveTypes();
      return types.every((type) => alive.has(type));
    },
    20_000,
    'the workers alive',
  );
  return workers;
}

export async function benchOurs(
  kind: StoreKind,
  workflow: Workflow,
  options: CommonOptions & { profile: { requests: number; bodies: ProfileBody[] } | false; shards?: number },
): Promise<OursResult> {
  // One shard is the scenario as it always was, under its usual name.
  const shards = options.shards ?? 1;
  const name = `ours-${kind}-${workflow}${shards === 1 ? '' : `-${shards}-shards`}`;
  const world = await startWorld(kind, `bench-${kind}-${workflow}-${shards}`, shards);
  let workers: Child | undefined;
  try {
    let storePutPerSecond: number | null = null;
    if (world.endpoint !== undefined) {
      const raw = createDocumentClient({ endpoint: world.endpoint });
      try {
        await ensureTable(raw, `bench-raw-${process.pid}`);
        storePutPerSecond = round(
          await rawConditionalPutRate(
            raw,
            `bench-raw-${process.pid}`,
            Math.min(1000, options.plan.requests),
            options.bodyBytes,
            world.settings.storeConcurrency,
          ),
        );
      } finally {
        raw.destroy();
      }
      options.log(`  ${name}: the embedded store's own conditional put rate: ${storePutPerSecond}/s`);
    }
    const quietBefore = await waitForQuiet(options.quiet.maxPercent, options.quiet.maxWaitMs);
    workers = await startWorkers(world, workflow, options.workers);
    const monitor = new CpuMonitor();
    const activeWorkers = workers;
    monitor.group('client+manager', () => [process.pid]);
    monitor.group('workers', () => [activeWorkers.pid]);
    if (world.store) monitor.group('store', () => [world.store!.pid]);
    monitor.group('rabbitmq', () => pidsNamed('beam.smp'));
    const target = publisherOf(world, workflow, benchBody('json', options.bodyBytes));
    // The store calls are those of the full-speed phase.
    let fullCalls: Record<string, FunctionMeter> | undefined;
    const phases = await runPhases(name, target, world.holder, monitor, options.plan, options.log, {
      before: (phase) => {
        if (phase === 'full') world.meter.reset();
      },
      after: async (phase) => {
        if (phase !== 'full') return;
        // The last batches delete their rows after the answers went out: wait for them.
        await waitFor(() => idle(world), 30_000, 'the manager idle').catch(() => undefined);
        fullCalls = world.meter.snapshot();
      },
    });
    const completed = phases.full.completed;
    const calls = fullCalls ?? {};
    const pathCalls = REQUEST_PATH.reduce((sum, fn) => sum + Object.values(calls[fn]?.calls ?? {}).reduce((a, b) => a + b, 0), 0);
    const storeCallsPerRequest = kind === 'embedded' && completed > 0 ? round(pathCalls / completed, 3) : null;
    const storeBoundCeiling = storePutPerSecond !== null && storeCallsPerRequest ? round(storePutPerSecond / storeCallsPerRequest) : null;
    await workers.stop();
    workers = undefined;

    const profiles: ProfileResult[] = [];
    if (options.profile !== false) {
      for (const body of options.profile.bodies) profiles.push(await profile(world, kind, workflow, body, options.profile.requests, options));
    }
    return {
      name,
      store: kind,
      workflow,
      ...phases,
      quietBefore,
      notes: [],
      storeCallsPerRequest,
      storePutPerSecond,
      storeBoundCeiling,
      profiles,
    };
  } finally {
    await workers?.stop();
    await world.close();
  }
}

/**
 * Each function alone in the manager process, with capacity metering on: register-requests takes
 * the whole backlog while no worker runs (the worker types kept alive by recorded heartbeats),
 * then the workers start and handle-worker-responses answers them (dispatching step 2 of a
 * two-step request as it goes). CPU per message is process CPU around that function's
 * invocations; the client's answer consumer runs in the same process and is counted too.
 */
async function profile(
  world: World,
  kind: StoreKind,
  workflow: Workflow,
  { bytes: bodyBytes, kind: bodyKind }: ProfileBody,
  requests: number,
  options: CommonOptions,
): Promise<ProfileResult> {
  const label = `profile-${workflow}-${bodyBytes}-${bodyKind}`;
  world.meter.capacity = kind === 'embedded';
  for (const { type } of WORKER_TYPES[workflow]) await bringAlive(world.services, type);
  await waitFor(
    async () => {
      const alive = await world.services.liveness.aliveTypes();
      return WORKER_TYPES[workflow].every(({ type }) => alive.has(type));
    },
    10_000,
    'the worker types alive',
  );
  const tracker = new Tracker();
  world.holder.tracker = tracker;
  world.meter.reset();
  world.granted.count = 0;
  const ids = Array.from({ length: requests }, (_, n) => `${label}-${n}`);
  const publisher = publisherOf(world, workflow, benchBody(bodyKind, bodyBytes));
  for (let n = 0; n < ids.length; n += 100) {
    tracker.markSent(ids.slice(n, n + 100), epochNow());
    await publisher.send(ids.slice(n, n + 100));
  }
  await waitFor(() => world.granted.count >= requests, options.plan.phaseTimeoutMs, `${label}: every request granted`);
  await waitFor(() => idle(world), 30_000, 'register-requests idle');
  const intake = world.meter.snapshot();
  world.meter.reset();
  const workers = await startWorkers(world, workflow, options.workers);
  try {
    await waitFor(() => tracker.completed >= requests, options.plan.phaseTimeoutMs, `${label}: every answer`);
    await waitFor(() => idle(world), 30_000, 'handle-worker-responses idle');
  } finally {
    await workers.stop();
  }
  const answers = world.meter.snapshot();
  world.meter.capacity = false;
  const functions: Record<string, FunctionProfile> = {};
  const fromIntake = intake['register-requests'];
  if (fromIntake) functions['register-requests'] = summarize(fromIntake, requests);
  const fromAnswers = answers['handle-worker-responses'];
  if (fromAnswers) functions['handle-worker-responses'] = summarize(fromAnswers, requests);
  options.log(
    `  profile ${kind} ${workflow} ${bodyBytes} B ${bodyKind}: ` +
      Object.entries(functions)
        .map(
          ([fn, p]) =>
            `${fn} ${p.cpuMsPerMessage} ms CPU/msg, ${p.storeCallsPerRequestTotal} calls/req, ${p.writeUnitsPerRequestTotal} WRU/req, ${p.roundTripsPerInvocation} round trips/batch`,
        )
        .join('; '),
  );
  return { store: kind, workflow, bodyBytes, bodyKind, requests, functions };
}

function summarize(meter: FunctionMeter, requests: number): FunctionProfile {
  const perRequest = (record: Record<string, number>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, round(v / requests, 3)]));
  const total = (record: Record<string, number>) => round(Object.values(record).reduce((a, b) => a + b, 0) / requests, 3);
  const invocations = Math.max(1, meter.invocations);
  return {
    invocations: meter.invocations,
    messagesPerInvocation: round(meter.messages / invocations, 1),
    messagesPerRequest: round(meter.messages / requests, 3),
    cpuMsPerMessage: round(meter.cpuMicros / 1000 / Math.max(1, meter.messages), 3),
    cpuMsPerInvocation: round(meter.cpuMicros / 1000 / invocations, 2),
    wallMsPerInvocation: round(meter.wallMs / invocations, 2),
    storeCallsPerRequest: perRequest(meter.calls),
    storeCallsPerRequestTotal: total(meter.calls),
    roundTripsPerInvocation: round(meter.rounds / invocations, 2),
    peakInFlightPerInvocation: round(meter.peakSum / invocations, 1),
    writeUnitsPerRequest: perRequest(meter.writeUnits),
    writeUnitsPerRequestTotal: total(meter.writeUnits),
    readUnitsPerRequest: perRequest(meter.readUnits),
    readUnitsPerRequestTotal: total(meter.readUnits),
  };
}
