import { CounterStore, type CounterDelta, type SessionCounters } from '../../ports/counter-store.js';
import { sumDeltas, type SessionSum } from '../dynamodb/counter-sum.js';
import { throwIfUnavailable } from './faults.js';

/** The counter store in memory: deltas summed per session first, exactly as the DynamoDB store writes them. */
export class MemoryCounterStore extends CounterStore {
  public unavailable = false;
  /** Session writes so far: what the DynamoDB store would have sent as UpdateItem calls. */
  public writes = 0;
  private readonly sessions = new Map<string, SessionSum>();

  public async apply(deltas: readonly CounterDelta[]): Promise<SessionCounters[]> {
    throwIfUnavailable(this.unavailable, 'apply');
    const changed: SessionCounters[] = [];
    for (const sum of sumDeltas(deltas)) {
      const id = JSON.stringify([sum.tenant, sum.source, sum.session]);
      const stored = this.sessions.get(id) ?? { tenant: sum.tenant, source: sum.source, session: sum.session, values: new Map() };
      for (const [property, delta] of sum.values) stored.values.set(property, (stored.values.get(property) ?? 0) + delta);
      this.sessions.set(id, stored);
      this.writes++;
      changed.push({ tenant: sum.tenant, source: sum.source, session: sum.session, values: Object.fromEntries(stored.values) });
    }
    return changed;
  }

  public async get(tenant: string, source: string, session: string): Promise<SessionCounters | undefined> {
    throwIfUnavailable(this.unavailable, 'get');
    const stored = this.sessions.get(JSON.stringify([tenant, source, session]));
    if (stored === undefined) return undefined;
    // fromEntries defines own properties, so a property named like an Object member stays a counter.
    return { tenant, source, session, values: Object.fromEntries(stored.values) };
  }
}
