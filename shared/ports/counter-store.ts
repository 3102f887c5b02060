// use case --> (port) --> adapters/dynamodb | adapters/memory

/** The REGARDS session counters (`workers.requests`, `workers.<type>.dispatched`, ...) of one source and session. */
export interface CounterDelta {
  tenant: string;
  source: string;
  session: string;
  property: string;
  delta: number;
}

export interface SessionCounters {
  tenant: string;
  source: string;
  session: string;
  values: Record<string, number>;
}

export abstract class CounterStore {
  /**
   * Adds the deltas; the adapter sums them per session first, so a batch costs one write per
   * session. Returns each changed session's counters as that write left them (what REGARDS'
   * dashboard is sent), read from the write itself at no extra cost.
   */
  public abstract apply(deltas: readonly CounterDelta[]): Promise<SessionCounters[]>;

  public abstract get(tenant: string, source: string, session: string): Promise<SessionCounters | undefined>;
}
