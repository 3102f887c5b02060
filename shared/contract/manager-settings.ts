import * as z from 'zod';
import { DEFAULT_TOPOLOGY_OPTIONS, MAX_QUEUE_SHARDS, shardQueues, type TopologyOptions } from './topology.js';
import { WireNamesSchema } from './wire-names.js';
import { RegardsIntegrationSchema } from './regards-sessions.js';
import { FairDispatchSettingsSchema } from './fair-dispatch-settings.js';

/*
 * The settings both hosts share: broker names, event source mappings (queue, batch size,
 * batching window), limits and timings. The CDK app passes them to every function as the
 * WM_SETTINGS environment variable and sizes the event source mappings from them; the local
 * host reads the same schema, so the two can never disagree.
 */

export const EventSourceMappingSettingsSchema = z.object({
  /** Lambda accepts 1 to 10,000 for Amazon MQ. */
  batchSize: z.number().int().min(1).max(10_000),
  /** Lambda accepts 0 to 300 s in whole seconds; 0 favours latency, the batch fills under load anyway. */
  maximumBatchingWindowSeconds: z.number().int().min(0).max(300),
});
export type EventSourceMappingSettings = z.infer<typeof EventSourceMappingSettingsSchema>;

/**
 * Default batch size of the request and response mappings. A thrown batch is redelivered whole
 * and the input queues dead-letter after `deliveryLimit` deliveries, so a batch is what a run of
 * infrastructure failures can dead-letter at once: 100 rather than 500 keeps that small and each
 * batch far below the function timeout. Provisional: to be set from the handler time per batch
 * measured on the bench (keep a batch under a third of the timeout).
 */
export const DEFAULT_REQUEST_BATCH_SIZE = 100;

/** A shard count: at least 1, at most MAX_QUEUE_SHARDS (past it the store is the bound, not the queues). */
function shardCount(setting: string) {
  return z
    .number()
    .int(`${setting} must be a whole number of shards`)
    .min(1, `${setting} must be at least 1: one shard is the unsharded queue`)
    .max(
      MAX_QUEUE_SHARDS,
      `${setting} must be at most ${MAX_QUEUE_SHARDS}: each shard is one more poller per queue and broker connection, and past that the store, not the queues, bounds the intake`,
    );
}

export const ManagerSettingsSchema = z.object({
  names: WireNamesSchema.prefault({}),
  /** Session counters and notifications sent to REGARDS' rs-admin (README, "Counters" and "Notifications"). */
  regards: RegardsIntegrationSchema.prefault({}),
  mappings: z
    .object({
      registerRequests: EventSourceMappingSettingsSchema.prefault({ batchSize: DEFAULT_REQUEST_BATCH_SIZE, maximumBatchingWindowSeconds: 0 }),
      handleWorkerResponses: EventSourceMappingSettingsSchema.prefault({ batchSize: DEFAULT_REQUEST_BATCH_SIZE, maximumBatchingWindowSeconds: 0 }),
      recordHeartbeats: EventSourceMappingSettingsSchema.prefault({ batchSize: 1000, maximumBatchingWindowSeconds: 0 }),
      handleWorkerDeadLetters: EventSourceMappingSettingsSchema.prefault({ batchSize: 100, maximumBatchingWindowSeconds: 0 }),
      handleSessionDeletions: EventSourceMappingSettingsSchema.prefault({ batchSize: 10, maximumBatchingWindowSeconds: 0 }),
    })
    .prefault({}),
  /** Redeliveries of an input message before the broker dead-letters it. */
  deliveryLimit: z.number().int().min(1).max(100).default(DEFAULT_TOPOLOGY_OPTIONS.deliveryLimit),
  /** Largest client body accepted; DynamoDB items stop at 400 KB and the history needs room. */
  maxRequestBytes: z
    .number()
    .int()
    .min(1)
    .max(300 * 1024)
    .default(256 * 1024),
  /** A worker type is alive while one instance beat within this delay (REGARDS: 60 s). */
  heartbeatExpirySeconds: z.number().int().min(1).default(60),
  /** How long a tenant's configuration is cached by a warm function. */
  configCacheSeconds: z.number().int().min(0).default(5),
  /** How long the list of alive worker types is cached by a warm function. */
  livenessCacheSeconds: z.number().min(0).default(2),
  /** How often a NO_WORKER_AVAILABLE request is looked at again by the sweeper, as a safety net. */
  waitingRecheckSeconds: z.number().int().min(1).default(300),
  /** How long SUCCESS requests stay visible; 0 deletes them at once, as REGARDS does. */
  successRetentionSeconds: z.number().int().min(0).default(0),
  /** A bulk job not updated for this long has lost its runner: the sweeper starts it again. */
  bulkJobStallSeconds: z.number().int().min(60).default(600),
  /**
   * Refuse worker answers and dead letters that carry no `wm.dispatch.token` (for requests
   * dispatched with one). Only for installations whose workers all echo it (our SDK does);
   * REGARDS workers do not, and their answers would then never be applied.
   */
  requireDispatchToken: z.boolean().default(false),
  /** Bounded parallelism of store calls inside one batch. */
  storeConcurrency: z.number().int().min(1).max(256).default(32),
  /**
   * Who creates tenants. `declared` (default): a tenant exists once an administrator imports its
   * configuration or declares it (PUT /tenants/{tenant}); a request naming any other tenant is
   * answered SKIPPED and nothing is stored. `open`: any request names a tenant into existence
   * (the behaviour before tenants were declared; anyone who can publish can then grow the
   * sweeper's work list).
   */
  tenants: z.enum(['declared', 'open']).default('declared'),
  /** Store queries one sweeper run may spend on its tenants; more tenants take more runs, never more per run. */
  sweepQueryBudget: z.number().int().min(20).max(100_000).default(200),
  /** Store queries the re-dispatch after a worker type revives may spend; the sweeper does the rest. */
  revivalQueryBudget: z.number().int().min(10).max(100_000).default(200),
  /** Worker types the registry holds at most; a heartbeat of a new type beyond this is dropped (warning logged). */
  maxWorkerTypes: z.number().int().min(1).max(100_000).default(1_000),
  /** Instances of one worker type the registry holds at most; a heartbeat of a new instance beyond this is dropped. */
  maxWorkerInstancesPerType: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Entries each in-process cache (tenant views, registered tenants, declared topology) keeps at most. */
  cacheMaxEntries: z.number().int().min(10).max(1_000_000).default(10_000),
  /**
   * The type of the queues the functions consume: quorum (default; the broker dead-letters a
   * message after `deliveryLimit` deliveries) or classic (no delivery limit: for a poller that
   * cannot consume quorum queues). See TopologyOptions.inputQueueType.
   */
  inputQueueType: z.enum(['quorum', 'classic']).default(DEFAULT_TOPOLOGY_OPTIONS.inputQueueType ?? 'quorum'),
  /**
   * Shards of the request queue and of the worker response queue: one event source mapping (one
   * poller) each, so the intake scales past one queue (README, "Scale-out: sharded queues").
   */
  shards: shardCount('shards').default(1),
  /**
   * After lowering `shards`: the former count, so the retired shard queues, fed no more, are still
   * consumed until empty. Leave it out again once they are (GET /dead-letters and the broker's
   * queue depths show it).
   */
  drainedShards: shardCount('drainedShards').optional(),
  /** Limits of requests in flight per worker type, and tenant weights (README, "Fair dispatch"); none by default. */
  fairDispatch: FairDispatchSettingsSchema.prefault({}),
});
export type ManagerSettings = z.infer<typeof ManagerSettingsSchema>;

export const DEFAULT_MANAGER_SETTINGS: ManagerSettings = ManagerSettingsSchema.parse({});

export type MappedFunction = 'register-requests' | 'handle-worker-responses' | 'record-heartbeats' | 'handle-worker-dead-letters';

export interface EventSourceMapping extends EventSourceMappingSettings {
  functionName: MappedFunction;
  queue: string;
}

/**
 * Which queue feeds which function, with what batching: read by the CDK stack and the local host
 * alike. One mapping per shard queue (shard 0 first: the unsharded queue).
 */
export function eventSourceMappings(settings: ManagerSettings): EventSourceMapping[] {
  const { names, mappings } = settings;
  const shards = topologyOptions(settings);
  return [
    ...shardQueues(names.requestQueue, shards).map((queue): EventSourceMapping => ({ functionName: 'register-requests', queue, ...mappings.registerRequests })),
    ...shardQueues(names.workerResponse, shards).map((queue): EventSourceMapping => ({
      functionName: 'handle-worker-responses',
      queue,
      ...mappings.handleWorkerResponses,
    })),
    { functionName: 'record-heartbeats', queue: names.heartbeatQueue, ...mappings.recordHeartbeats },
    { functionName: 'handle-worker-dead-letters', queue: names.workerDeadLetter, ...mappings.handleWorkerDeadLetters },
  ];
}

/**
 * rs-admin's session and source deletions feed handle-session-deletions. Not one of the mapped
 * functions above: it needs the bulk-job store and launcher, which only the hosts that run bulk
 * jobs have (the local host with its admin API; every AWS deployment).
 */
export function sessionDeletionMapping(settings: ManagerSettings): EventSourceMappingSettings & { functionName: 'handle-session-deletions'; queue: string } {
  return { functionName: 'handle-session-deletions', queue: settings.names.sessionDeletionQueue, ...settings.mappings.handleSessionDeletions };
}

/** The broker topology options these settings imply (both hosts declare the same queues). */
export function topologyOptions(settings: ManagerSettings): TopologyOptions {
  return {
    deliveryLimit: settings.deliveryLimit,
    heartbeatTtlMs: settings.heartbeatExpirySeconds * 1000,
    inputQueueType: settings.inputQueueType,
    shards: settings.shards,
    ...(settings.drainedShards === undefined ? {} : { drainedShards: settings.drainedShards }),
  };
}
