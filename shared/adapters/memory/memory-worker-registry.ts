import { WorkerRegistry, type AliveWorkerType, type Heartbeat, type RecordOutcome } from '../../ports/worker-registry.js';
import {
  droppedOutcome,
  latestBeats,
  resolveRegistryOptions,
  WrittenBeats,
  type ResolvedRegistryOptions,
  type WorkerRegistryOptions,
} from '../dynamodb/worker-beats.js';
import { throwIfUnavailable } from './faults.js';

/**
 * What several registry objects share, as several manager hosts share the table. Counts the writes
 * the DynamoDB registry would send, so tests can check the coalescing on the double too.
 */
export class MemoryWorkerState {
  public unavailable = false;
  public readonly writes = { types: 0, instances: 0 };
  public readonly types = new Map<string, { lastBeatAt: number; aliveUntil: number }>();
  public readonly instances = new Map<string, Map<string, { lastBeatAt: number; reportedAt: number }>>();
}

/** The worker registry in memory, with the DynamoDB registry's rules (same skipped writes, same revival and expiry). */
export class MemoryWorkerRegistry extends WorkerRegistry {
  private readonly options: ResolvedRegistryOptions;
  private readonly written: WrittenBeats;

  public constructor(
    options: WorkerRegistryOptions = {},
    public readonly state: MemoryWorkerState = new MemoryWorkerState(),
  ) {
    super();
    this.options = resolveRegistryOptions(options);
    this.written = new WrittenBeats(this.options);
  }

  public async record(beats: readonly Heartbeat[], now: Date): Promise<RecordOutcome> {
    throwIfUnavailable(this.state.unavailable, 'record');
    this.written.prune(now);
    const latest = latestBeats(beats, now, this.options.expiryMs);
    const { maxTypes, maxInstancesPerType } = this.options.caps;
    const revived: string[] = [];
    const refusedTypes = new Set<string>();
    const cappedTypes = new Set<string>();
    let dropped = 0;
    for (const [workerType, at] of latest.types) {
      // The caps, exactly: a new type only while the registry holds fewer than maxTypes.
      if (!this.state.types.has(workerType) && this.state.types.size >= maxTypes) {
        refusedTypes.add(workerType);
        continue;
      }
      if (this.written.typeIsFresh(workerType, at, now)) continue;
      this.state.writes.types++;
      const until = at.getTime() + this.options.expiryMs;
      const stored = this.state.types.get(workerType);
      this.written.markType(workerType, at);
      // Same condition as the DynamoDB write: aliveUntil never moves back.
      if (stored !== undefined && stored.aliveUntil >= until) continue;
      if (stored === undefined || stored.aliveUntil <= now.getTime()) revived.push(workerType);
      this.state.types.set(workerType, { lastBeatAt: at.getTime(), aliveUntil: until });
    }
    for (const beat of latest.instances) {
      if (refusedTypes.has(beat.workerType)) {
        dropped += 1;
        continue;
      }
      if (this.written.instanceIsFresh(beat)) continue;
      let instances = this.state.instances.get(beat.workerType);
      if (instances === undefined) {
        instances = new Map();
        this.state.instances.set(beat.workerType, instances);
      }
      if (!instances.has(beat.instanceId) && instances.size >= maxInstancesPerType) {
        dropped += 1;
        cappedTypes.add(beat.workerType);
        continue;
      }
      this.state.writes.instances++;
      const stored = instances.get(beat.instanceId);
      if (stored === undefined || stored.lastBeatAt < beat.receivedAt.getTime()) {
        instances.set(beat.instanceId, { lastBeatAt: beat.receivedAt.getTime(), reportedAt: beat.reportedAt.getTime() });
      }
      this.written.markInstance(beat);
    }
    return { revived, dropped: droppedOutcome(dropped, [...refusedTypes, ...cappedTypes]) };
  }

  public async aliveWorkerTypes(now: Date): Promise<AliveWorkerType[]> {
    throwIfUnavailable(this.state.unavailable, 'aliveWorkerTypes');
    const cutoff = now.getTime() - this.options.expiryMs;
    const alive: AliveWorkerType[] = [];
    for (const [workerType, type] of this.state.types) {
      if (type.aliveUntil <= now.getTime()) continue;
      const instances = [...(this.state.instances.get(workerType)?.values() ?? [])].filter((i) => i.lastBeatAt > cutoff).length;
      if (instances > 0) alive.push({ workerType, instances, lastBeatAt: new Date(type.lastBeatAt) });
    }
    return alive.sort((a, b) => (a.workerType < b.workerType ? -1 : a.workerType > b.workerType ? 1 : 0));
  }

  public async expire(now: Date): Promise<{ removedInstances: number; deadTypes: string[] }> {
    throwIfUnavailable(this.state.unavailable, 'expire');
    const cutoff = now.getTime() - this.options.expiryMs;
    let removedInstances = 0;
    const deadTypes: string[] = [];
    for (const [workerType, type] of [...this.state.types]) {
      const instances = this.state.instances.get(workerType) ?? new Map<string, { lastBeatAt: number }>();
      for (const [instanceId, instance] of [...instances]) {
        if (instance.lastBeatAt > cutoff) continue;
        instances.delete(instanceId);
        removedInstances++;
      }
      if (instances.size === 0 && type.aliveUntil <= now.getTime()) {
        this.state.types.delete(workerType);
        this.state.instances.delete(workerType);
        deadTypes.push(workerType);
      }
    }
    return { removedInstances, deadTypes: deadTypes.sort() };
  }
}
