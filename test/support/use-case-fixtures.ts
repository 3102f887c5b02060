import { MemorySlotStore } from '../../shared/adapters/memory/memory-slot-store.js';
import type { InboundMessage } from '../../shared/contract/amazon-mq-event.js';
import { Header } from '../../shared/contract/headers.js';
import { DEFAULT_MANAGER_SETTINGS, type ManagerSettings } from '../../shared/contract/manager-settings.js';
import { planImport } from '../../shared/domain/config/import-config.js';
import { EMPTY_TENANT_CONFIG, type TenantConfig } from '../../shared/domain/config/tenant-config.js';
import { Liveness } from '../../shared/application/services/liveness.js';
import { registerRequests } from '../../shared/application/use-cases/register-requests.js';
import { declareTenant } from '../../shared/application/use-cases/configure-tenant.js';
import { TenantConfigs } from '../../shared/application/services/tenant-configs.js';
import { MemoryConfigStore } from '../../shared/adapters/memory/memory-config-store.js';
import { MemoryCounterStore } from '../../shared/adapters/memory/memory-counter-store.js';
import { MemoryMessageBus } from '../../shared/adapters/memory/memory-message-bus.js';
import { MemoryRequestStore } from '../../shared/adapters/memory/memory-request-store.js';
import { MemoryWorkerRegistry } from '../../shared/adapters/memory/memory-worker-registry.js';
import { CapturingLogger } from './capturing-logger.js';
import type { Clock } from '../../shared/ports/clock.js';
import { ManualClock } from './manual-clock.js';
import type { ConfigStore } from '../../shared/ports/config-store.js';
import type { OutboundMessage } from '../../shared/contract/outbound-message.js';
import type { WorkerRegistry } from '../../shared/ports/worker-registry.js';

/**
 * The settings of a memory world: the REGARDS names, without the session events and notifications
 * they switch on (their own burst after each batch); the tests of those reports ask for them.
 */
export const MEMORY_WORLD_SETTINGS: ManagerSettings = {
  ...DEFAULT_MANAGER_SETTINGS,
  regards: { ...DEFAULT_MANAGER_SETTINGS.regards, sessionEvents: 'off', notifications: false },
};

/** Everything a use case needs, in memory, with a clock the test moves. */
export function memoryWorld(settings: ManagerSettings = MEMORY_WORLD_SETTINGS) {
  const clock = new ManualClock('2026-03-01T10:00:00.000Z');
  const configStore = new MemoryConfigStore();
  const registry = new MemoryWorkerRegistry({
    expiryMs: settings.heartbeatExpirySeconds * 1000,
    caps: { maxTypes: settings.maxWorkerTypes, maxInstancesPerType: settings.maxWorkerInstancesPerType },
  });
  return {
    clock,
    settings,
    configStore,
    registry,
    requests: new MemoryRequestStore({ clock }),
    counters: new MemoryCounterStore(),
    slots: new MemorySlotStore(),
    bus: new MemoryMessageBus(),
    logger: new CapturingLogger(),
    // No caching in unit tests: each step must see the state the test just set.
    tenants: new TenantConfigs(configStore, clock, 0, settings.cacheMaxEntries),
    liveness: new Liveness(registry, clock, 0),
  };
}

export type MemoryWorld = ReturnType<typeof memoryWorld>;

/** Imports a native-format configuration for a tenant, failing the test on any error. */
export async function configure(
  world: { configStore: ConfigStore },
  tenant: string,
  incoming: { workers?: unknown[]; workflows?: unknown[]; skipContentTypes?: string[] },
) {
  const current: TenantConfig = (await world.configStore.get(tenant)) ?? EMPTY_TENANT_CONFIG;
  const plan = planImport(current, {
    resetBeforeImport: true,
    workers: incoming.workers ?? [],
    workflows: incoming.workflows ?? [],
    settings: { skipContentTypes: incoming.skipContentTypes ?? [] },
  });
  if (!plan.ok) throw new Error(`bad test configuration: ${JSON.stringify(plan.errors)}`);
  const written = await world.configStore.put(tenant, plan.config, current === EMPTY_TENANT_CONFIG ? null : current.version);
  if (written !== 'written') throw new Error('test configuration conflict');
  // As the admin API's import does: a configured tenant is one the sweeper visits.
  await world.configStore.registerTenants([tenant]);
}

/**
 * Declares tenants as an instance administrator does (PUT /tenants/{tenant}): with the default
 * `declared` tenants mode, requests of a tenant nobody declared or configured are refused.
 */
export async function declare(world: MemoryWorld, ...tenants: string[]): Promise<void> {
  for (const tenant of tenants) await declareTenant(tenant, world);
}

/** Makes a worker type alive by recording one heartbeat of one instance at the clock's time. */
export async function bringAlive(world: { registry: WorkerRegistry; clock: Clock }, workerType: string, instanceId = `${workerType}-1`) {
  const now = world.clock.now();
  await world.registry.record([{ workerType, instanceId, receivedAt: now, reportedAt: now }], now);
}

export interface RequestMessageOptions {
  tenant?: string | undefined;
  requestId?: string | undefined;
  owner?: string | undefined;
  session?: string | undefined;
  contentType?: string | undefined;
  body?: string | Buffer;
  redelivered?: boolean;
  extraHeaders?: Record<string, string>;
}

/** A client request as the event source delivers it; pass a header as undefined to leave it out. */
export function requestMessage(options: RequestMessageOptions = {}, queue = DEFAULT_MANAGER_SETTINGS.names.requestQueue): InboundMessage {
  const values: Record<string, string | undefined> = {
    [Header.tenant]: 'tenant-a',
    [Header.requestId]: 'req-1',
    [Header.owner]: 'owner-1',
    [Header.session]: 'session-1',
    [Header.contentType]: 'to-extract',
  };
  const overrides: [string, keyof RequestMessageOptions][] = [
    [Header.tenant, 'tenant'],
    [Header.requestId, 'requestId'],
    [Header.owner, 'owner'],
    [Header.session, 'session'],
    [Header.contentType, 'contentType'],
  ];
  for (const [header, option] of overrides) {
    if (option in options) values[header] = options[option] as string | undefined;
  }
  const headers: Record<string, string> = { ...options.extraHeaders };
  for (const [name, value] of Object.entries(values)) if (value !== undefined) headers[name] = value;
  const body = options.body ?? '{"file":"a.dat"}';
  return {
    queue,
    vhost: '/',
    headers,
    properties: { contentType: 'application/json' },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    redelivered: options.redelivered ?? false,
  };
}

export function decodeJson(body: Uint8Array): unknown {
  return JSON.parse(Buffer.from(body).toString('utf8'));
}

/** A message the manager publishes, as the event source would deliver it back to a consumer. */
export function asInbound(message: OutboundMessage, queue: string, redelivered = false): InboundMessage {
  return {
    queue,
    vhost: '/',
    headers: { ...message.headers },
    properties: message.properties?.contentType ? { contentType: message.properties.contentType } : {},
    body: Buffer.from(message.body),
    redelivered,
  };
}

/** A heartbeat as the event source delivers it; `body` may be anything, to test what is refused. */
export function heartbeatMessage(
  body: { id?: unknown; type?: unknown; heartBeatDate?: unknown } | string | Buffer,
  queue = DEFAULT_MANAGER_SETTINGS.names.heartbeatQueue,
): InboundMessage {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { queue, vhost: '/', headers: { [Header.tenant]: 'tenant-a' }, properties: { contentType: 'application/json' }, body: bytes, redelivered: false };
}

/** A valid heartbeat of one instance, dated by the worker's clock (`reportedAt`, default the test clock's now). */
export function beat(workerType: string, instanceId: string, reportedAt: Date): InboundMessage {
  return heartbeatMessage({ id: instanceId, type: workerType, heartBeatDate: reportedAt.toISOString() });
}

/** `tenant/requestId` of every work item published to a worker exchange. */
export function workItemIds(world: MemoryWorld, exchange: string): string[] {
  return world.bus.to(exchange).map((message) => `${String(message.headers[Header.tenant])}/${String(message.headers[Header.requestId])}`);
}

/** Registers client requests (they wait or are dispatched, as the world's workers allow). */
export async function submitRequests(world: MemoryWorld, tenant: string, ids: readonly string[], contentType = 'to-extract'): Promise<void> {
  await registerRequests({ messages: ids.map((requestId) => requestMessage({ tenant, requestId, contentType })), unreadable: [] }, world);
}

export async function storedRequest(world: MemoryWorld, tenant: string, requestId: string) {
  return (await world.requests.getAll(tenant, [requestId])).get(requestId);
}
