import type { CounterDelta } from '../../ports/counter-store.js';

export interface SessionSum {
  tenant: string;
  source: string;
  session: string;
  values: Map<string, number>;
}

/** Sums the deltas per session, dropping zero sums, so a batch costs one write per session that changed. */
export function sumDeltas(deltas: readonly CounterDelta[]): SessionSum[] {
  const sessions = new Map<string, SessionSum>();
  for (const { tenant, source, session, property, delta } of deltas) {
    if (!Number.isFinite(delta)) throw new RangeError(`counter delta for ${property} must be a finite number, got ${delta}`);
    if (delta === 0) continue;
    const id = JSON.stringify([tenant, source, session]);
    let sum = sessions.get(id);
    if (sum === undefined) {
      sum = { tenant, source, session, values: new Map() };
      sessions.set(id, sum);
    }
    sum.values.set(property, (sum.values.get(property) ?? 0) + delta);
  }
  const out: SessionSum[] = [];
  for (const sum of sessions.values()) {
    for (const [property, value] of sum.values) if (value === 0) sum.values.delete(property);
    if (sum.values.size > 0) out.push(sum);
  }
  return out;
}
