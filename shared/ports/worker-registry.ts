// use case --> (port) --> adapters/dynamodb | adapters/memory

/** One heartbeat as received. Liveness uses `receivedAt` (the manager's clock), never the worker's. */
export interface Heartbeat {
  workerType: string;
  instanceId: string;
  receivedAt: Date;
  /** The worker's own `heartBeatDate`, kept for display only. */
  reportedAt: Date;
}

export interface AliveWorkerType {
  workerType: string;
  instances: number;
  lastBeatAt: Date;
}

/**
 * The registry's size bounds: heartbeats come from anyone who can publish, so the registry
 * refuses a new worker type past `maxTypes` and a new instance of a type past
 * `maxInstancesPerType`; beats of what it already holds are always recorded.
 */
export interface RegistryCaps {
  maxTypes: number;
  maxInstancesPerType: number;
}

export interface RecordOutcome {
  /** Worker types that had no live instance before these beats. */
  revived: string[];
  /** Instances whose beats the caps refused (nothing written for them; one per instance however many beats it sent), and their types. */
  dropped: { beats: number; workerTypes: string[] };
}

export abstract class WorkerRegistry {
  /**
   * Records the beats (the store may skip writes for beats it still considers fresh) and returns
   * the worker types that had no live instance before these beats: the caller re-dispatches their
   * waiting requests. A type is reported revived by at most one concurrent caller. Beats of a new
   * type or instance beyond the caps are dropped and reported.
   */
  public abstract record(beats: readonly Heartbeat[], now: Date): Promise<RecordOutcome>;

  /** Worker types with at least one instance that beat within the expiry. */
  public abstract aliveWorkerTypes(now: Date): Promise<AliveWorkerType[]>;

  /** Removes instances past the expiry; returns the worker types left with no live instance. */
  public abstract expire(now: Date): Promise<{ removedInstances: number; deadTypes: string[] }>;
}
