import type { Heartbeat, RegistryCaps } from '../../ports/worker-registry.js';

/*
 * Heartbeat bookkeeping shared by the DynamoDB registry and its memory double, so both skip the
 * same writes and therefore expire at the same instants.
 *
 * A fleet beats every few seconds; writing every beat would cost more than the rest of the
 * manager. A registry object remembers what it wrote itself and skips a write that would only move
 * a timestamp forward by less than `refreshMs`. The price: a stored lastBeatAt may lag the real
 * last beat by up to refreshMs, so an instance (or a type) whose beats stopped is declared gone
 * between expiryMs - refreshMs and expiryMs after its last beat. refreshMs ≤ expiryMs / 2 keeps a
 * beating instance safely alive.
 */

export interface WorkerRegistryOptions {
  /** A worker instance (and a type) is alive until this long after its last beat (manager clock). */
  expiryMs?: number;
  /** Writes that would only advance a timestamp by less than this are skipped. */
  refreshMs?: number;
  /** Size bounds of the stored registry (see RegistryCaps). */
  caps?: Partial<RegistryCaps>;
}

export interface ResolvedRegistryOptions {
  expiryMs: number;
  refreshMs: number;
  caps: RegistryCaps;
}

export const DEFAULT_WORKER_EXPIRY_MS = 60_000;
export const DEFAULT_REGISTRY_CAPS: RegistryCaps = { maxTypes: 1_000, maxInstancesPerType: 10_000 };

export function resolveRegistryOptions(options: WorkerRegistryOptions = {}): ResolvedRegistryOptions {
  const expiryMs = options.expiryMs ?? DEFAULT_WORKER_EXPIRY_MS;
  const refreshMs = options.refreshMs ?? expiryMs / 4;
  if (!(expiryMs > 0)) throw new RangeError(`expiryMs must be positive, got ${expiryMs}`);
  if (!(refreshMs >= 0 && refreshMs <= expiryMs / 2)) {
    throw new RangeError(`refreshMs must be between 0 and expiryMs / 2 (${expiryMs / 2}), got ${refreshMs}`);
  }
  const caps = { ...DEFAULT_REGISTRY_CAPS, ...options.caps };
  if (!(caps.maxTypes >= 1 && caps.maxInstancesPerType >= 1)) throw new RangeError(`registry caps must be at least 1, got ${JSON.stringify(caps)}`);
  return { expiryMs, refreshMs, caps };
}

export interface LatestBeats {
  /** The latest beat of each instance. */
  instances: Heartbeat[];
  /** The latest beat time of each worker type. */
  types: Map<string, Date>;
}

/**
 * Keeps the latest beat per instance and per type. A beat already past the expiry (a redelivered
 * old batch) says nothing about the present and is dropped: it must not revive a type.
 */
export function latestBeats(beats: readonly Heartbeat[], now: Date, expiryMs: number): LatestBeats {
  const instances = new Map<string, Heartbeat>();
  const types = new Map<string, Date>();
  for (const beat of beats) {
    if (beat.receivedAt.getTime() + expiryMs <= now.getTime()) continue;
    const key = instanceKey(beat.workerType, beat.instanceId);
    const known = instances.get(key);
    if (known === undefined || known.receivedAt.getTime() <= beat.receivedAt.getTime()) instances.set(key, beat);
    const latest = types.get(beat.workerType);
    if (latest === undefined || latest.getTime() < beat.receivedAt.getTime()) types.set(beat.workerType, beat.receivedAt);
  }
  return { instances: [...instances.values()], types };
}

export function instanceKey(workerType: string, instanceId: string): string {
  return JSON.stringify([workerType, instanceId]);
}

/**
 * What this registry object itself wrote recently (per warm process, never shared). Bounded by
 * the caps (forgetting an entry only costs a write that could have been skipped): instances churn,
 * and a flood of invented ones must not grow the process.
 */
export class WrittenBeats {
  private readonly instances = new Map<string, number>();
  private readonly types = new Map<string, { lastBeatAt: number; aliveUntil: number }>();
  private readonly maxInstances: number;

  public constructor(private readonly options: ResolvedRegistryOptions) {
    this.maxInstances = Math.min(options.caps.maxTypes * options.caps.maxInstancesPerType, MAX_REMEMBERED_INSTANCES);
  }

  public get size(): { instances: number; types: number } {
    return { instances: this.instances.size, types: this.types.size };
  }

  public instanceIsFresh(beat: Heartbeat): boolean {
    const written = this.instances.get(instanceKey(beat.workerType, beat.instanceId));
    return written !== undefined && beat.receivedAt.getTime() - written < this.options.refreshMs;
  }

  public markInstance(beat: Heartbeat): void {
    const key = instanceKey(beat.workerType, beat.instanceId);
    const at = Math.max(this.instances.get(key) ?? 0, beat.receivedAt.getTime());
    // Re-inserted so the Map's order stays the order of the last writes: the oldest go first.
    this.instances.delete(key);
    this.instances.set(key, at);
    dropOldest(this.instances, this.maxInstances);
  }

  /**
   * Fresh means: we wrote the type recently AND what we wrote still makes it alive now. The second
   * half is what keeps a revival from being skipped: a type we know alive cannot be revived.
   */
  public typeIsFresh(workerType: string, lastBeatAt: Date, now: Date): boolean {
    const written = this.types.get(workerType);
    return written !== undefined && lastBeatAt.getTime() - written.lastBeatAt < this.options.refreshMs && written.aliveUntil > now.getTime();
  }

  public markType(workerType: string, lastBeatAt: Date): void {
    const known = this.types.get(workerType);
    if (known !== undefined && known.lastBeatAt >= lastBeatAt.getTime()) return;
    this.types.delete(workerType);
    this.types.set(workerType, { lastBeatAt: lastBeatAt.getTime(), aliveUntil: lastBeatAt.getTime() + this.options.expiryMs });
    dropOldest(this.types, this.options.caps.maxTypes);
  }

  /** Forgets entries that can no longer make a write skippable, so instance churn cannot grow the cache. */
  public prune(now: Date): void {
    const horizon = now.getTime() - this.options.expiryMs;
    for (const [key, at] of this.instances) if (at <= horizon) this.instances.delete(key);
    for (const [key, written] of this.types) if (written.lastBeatAt <= horizon) this.types.delete(key);
  }
}

/** Instances one registry object remembers writing at most, whatever the caps multiply to. */
export const MAX_REMEMBERED_INSTANCES = 100_000;

function dropOldest<K, V>(map: Map<K, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}

/** Dropped beats of several checks, as RecordOutcome reports them. */
export function droppedOutcome(dropped: number, workerTypes: Iterable<string>): { beats: number; workerTypes: string[] } {
  return { beats: dropped, workerTypes: [...new Set(workerTypes)].sort() };
}
