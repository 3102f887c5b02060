import { randomUUID } from 'node:crypto';
import type { AmqpConnectionProvider } from '../../amqp-kit/connection.js';
import { buildHeartbeat } from '../../contract/heartbeat.js';
import { WireNamesSchema, workerRequestName, type WireNames } from '../../contract/wire-names.js';
import type { BackoffPolicy } from '../../kernel/backoff.js';
import type { Logger } from '../../kernel/logger.js';
import { WorkerOptionsError } from './errors.js';
import type { Job, JobOutcome } from './job.js';

export type JobHandler = (job: Job) => Promise<JobOutcome> | JobOutcome;

export interface ReconnectOptions {
  /** Delay before the first new attempt after a loss. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  /** Fraction (0..1) of each delay drawn at random, so a fleet does not reconnect in lock-step. */
  jitter?: number;
}

/** Either a URL (the worker opens and closes its own connection) or a shared connection provider. */
export type WorkerConnectionOptions =
  | { url: string; connection?: never }
  | {
      /** Shared with other users (another worker, a test fixture); the worker never closes it. */
      connection: AmqpConnectionProvider;
      url?: never;
    };

export interface WorkerBaseOptions {
  /** As configured in the manager; the queue name uses it lower-cased, heartbeats as is. */
  workerType: string;
  handle: JobHandler;
  /** Wire names; anything left out is the REGARDS default. */
  names?: Partial<WireNames>;
  /** Work items held at once, hence the number of jobs running at once. Default 1. */
  prefetch?: number;
  /** Default 5,000 ms; the manager forgets an instance after 60 s of silence. */
  heartbeatIntervalMs?: number;
  /** `regards.tenant` of heartbeats. A REGARDS manager drops heartbeats without an active tenant. */
  heartbeatTenant?: string;
  /** This instance in heartbeats. Default: a random UUID. */
  instanceId?: string;
  /** How long stop() waits for running jobs before giving their work items back. Default 30,000 ms. */
  stopTimeoutMs?: number;
  /**
   * Decides, for an error a handler threw, whether to dead-letter the work item (true) instead of
   * answering ERROR. Default: never.
   */
  rejectOn?: (error: unknown, job: Job) => boolean;
  /** Backoff of reconnections and of answers the broker did not confirm. */
  reconnect?: ReconnectOptions;
  /** Shown by the broker next to the connection (own connection only). */
  connectionName?: string;
  /** Default: warnings and errors on the console. */
  logger?: Logger;
}

export type WorkerOptions = WorkerBaseOptions & WorkerConnectionOptions;

/** The reconnect options with their defaults: the kernel's backoff policy. */
export type ResolvedReconnect = BackoffPolicy;

export interface ResolvedWorkerOptions {
  workerType: string;
  queue: string;
  names: WireNames;
  handle: JobHandler;
  prefetch: number;
  heartbeatIntervalMs: number;
  heartbeatTenant: string | undefined;
  instanceId: string;
  stopTimeoutMs: number;
  rejectOn: ((error: unknown, job: Job) => boolean) | undefined;
  reconnect: ResolvedReconnect;
  logger: Logger | undefined;
}

export const WORKER_DEFAULTS = {
  prefetch: 1,
  heartbeatIntervalMs: 5_000,
  stopTimeoutMs: 30_000,
  reconnect: { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.2 },
} as const satisfies Omit<ResolvedWorkerOptions, 'workerType' | 'queue' | 'names' | 'handle' | 'heartbeatTenant' | 'instanceId' | 'rejectOn' | 'logger'>;

/** RabbitMQ's basic.qos prefetch-count is an unsigned short. */
const MAX_PREFETCH = 65_535;
/** The manager's heartbeat expiry: a longer interval would make the worker flicker dead and alive. */
export const MANAGER_HEARTBEAT_EXPIRY_MS = 60_000;

/** Checks everything that does not need the broker, so a typo fails at once and not at the first job. */
export function resolveWorkerOptions(options: WorkerBaseOptions): ResolvedWorkerOptions {
  const workerType = options.workerType.trim();
  if (workerType === '') throw new WorkerOptionsError('workerType must not be empty');
  if (typeof options.handle !== 'function') throw new WorkerOptionsError('handle must be a function');
  const namesResult = WireNamesSchema.safeParse(options.names ?? {});
  if (!namesResult.success) throw new WorkerOptionsError(`invalid wire names: ${namesResult.error.message}`, { cause: namesResult.error });
  const names = namesResult.data;

  const prefetch = options.prefetch ?? WORKER_DEFAULTS.prefetch;
  requireInteger('prefetch', prefetch, 1, MAX_PREFETCH);
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? WORKER_DEFAULTS.heartbeatIntervalMs;
  requireInteger('heartbeatIntervalMs', heartbeatIntervalMs, 1, MANAGER_HEARTBEAT_EXPIRY_MS - 1);
  const stopTimeoutMs = options.stopTimeoutMs ?? WORKER_DEFAULTS.stopTimeoutMs;
  requireInteger('stopTimeoutMs', stopTimeoutMs, 0, Number.MAX_SAFE_INTEGER);
  const reconnect = resolveReconnect(options.reconnect ?? {});

  const instanceId = options.instanceId ?? randomUUID();
  const heartbeatTenant = options.heartbeatTenant;
  try {
    // Builds one heartbeat now, so an id or type the contract refuses is reported at start.
    buildHeartbeat(
      { exchange: names.heartbeatExchange },
      { instanceId, workerType, reportedAt: new Date(), ...(heartbeatTenant === undefined ? {} : { tenant: heartbeatTenant }) },
    );
  } catch (error) {
    throw new WorkerOptionsError(`the heartbeat of this worker would be refused: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }

  return {
    workerType,
    queue: workerRequestName(names, workerType),
    names,
    handle: options.handle,
    prefetch,
    heartbeatIntervalMs,
    heartbeatTenant,
    instanceId,
    stopTimeoutMs,
    rejectOn: options.rejectOn,
    reconnect,
    logger: options.logger,
  };
}

function resolveReconnect(options: ReconnectOptions): ResolvedReconnect {
  const defaults = WORKER_DEFAULTS.reconnect;
  const initialDelayMs = options.initialDelayMs ?? defaults.initialDelayMs;
  requireInteger('reconnect.initialDelayMs', initialDelayMs, 1, Number.MAX_SAFE_INTEGER);
  const maxDelayMs = options.maxDelayMs ?? Math.max(defaults.maxDelayMs, initialDelayMs);
  requireInteger('reconnect.maxDelayMs', maxDelayMs, initialDelayMs, Number.MAX_SAFE_INTEGER);
  const factor = options.factor ?? defaults.factor;
  if (!Number.isFinite(factor) || factor < 1) throw new WorkerOptionsError(`reconnect.factor must be at least 1, got ${factor}`);
  const jitter = options.jitter ?? defaults.jitter;
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1) throw new WorkerOptionsError(`reconnect.jitter must be within 0..1, got ${jitter}`);
  return { initialDelayMs, maxDelayMs, factor, jitter };
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new WorkerOptionsError(`${name} must be an integer within ${min}..${max}, got ${value}`);
  }
}
