import type { Clock } from '../../ports/clock.js';
import type { AliveWorkerType, WorkerRegistry } from '../../ports/worker-registry.js';
import { TtlCache } from './ttl-cache.js';

/** Which worker types are alive, read from the shared registry at most once per cache period. */
export class Liveness {
  private readonly cache: TtlCache<'alive', ReadonlyMap<string, AliveWorkerType>>;

  public constructor(registry: WorkerRegistry, clock: Clock, cacheMs: number) {
    this.cache = new TtlCache(clock, cacheMs, async () => {
      const alive = await registry.aliveWorkerTypes(clock.now());
      return new Map(alive.map((type) => [type.workerType, type]));
    });
  }

  public async aliveTypes(): Promise<ReadonlyMap<string, AliveWorkerType>> {
    return this.cache.get('alive');
  }

  /** After a heartbeat revived a type, the next read must see it at once. */
  public invalidate(): void {
    this.cache.invalidate();
  }
}
