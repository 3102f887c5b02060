import type { RequestStatus } from '../../contract/status.js';

/*
 * The REGARDS session counters (reference section 9): for each source and session, how many
 * requests were received and how many sit in each status, per worker type. Deltas come from the
 * status change a write actually made, so a replayed batch, whose writes are refused by their
 * version condition, adds nothing. Two reference quirks are fixed here: a workflow step change
 * does not count the request again, and a mixed batch never decrements a counter twice (each
 * request's delta is derived from its own before/after, not from a batch-wide tally).
 */

/** What the counters need to know of a request at one point in time. */
export interface CountedState {
  status: RequestStatus;
  dispatchedWorkerType: string | null;
}

export interface PropertyDelta {
  property: string;
  delta: number;
}

export const REQUESTS_PROPERTY = 'workers.requests';
export const NO_WORKER_AVAILABLE_PROPERTY = 'workers.no_worker_available';

const SUFFIX: Partial<Record<RequestStatus, string>> = {
  DISPATCHED: 'dispatched',
  RUNNING: 'running',
  SUCCESS: 'done',
  ERROR: 'error',
  INVALID_CONTENT: 'invalid',
  TO_DISPATCH: 'retry',
  TO_DELETE: 'deletion',
};

/** The counter a request in this state contributes to, or null (e.g. no worker type yet). */
export function statusProperty(state: CountedState): string | null {
  if (state.status === 'NO_WORKER_AVAILABLE') return NO_WORKER_AVAILABLE_PROPERTY;
  const suffix = SUFFIX[state.status];
  if (suffix === undefined || state.dispatchedWorkerType === null) return null;
  return `workers.${state.dispatchedWorkerType}.${suffix}`;
}

export type CountedChange =
  /** A client request was stored. */
  | { kind: 'created'; after: CountedState }
  /** A stored request changed status (or worker type). */
  | { kind: 'changed'; before: CountedState; after: CountedState }
  /** A row was removed because the request is over (SUCCESS, keepErrors false): cumulative counts stay. */
  | { kind: 'retired'; before: CountedState }
  /** A row was removed by an operator's deletion: it no longer counts at all. */
  | { kind: 'deleted'; before: CountedState };

export function counterDeltas(change: CountedChange): PropertyDelta[] {
  const deltas: PropertyDelta[] = [];
  const add = (property: string | null, delta: number) => {
    if (property !== null) deltas.push({ property, delta });
  };
  switch (change.kind) {
    case 'created':
      add(REQUESTS_PROPERTY, 1);
      add(statusProperty(change.after), 1);
      break;
    case 'changed': {
      const before = statusProperty(change.before);
      const after = statusProperty(change.after);
      if (before !== after) {
        add(before, -1);
        add(after, 1);
      }
      break;
    }
    case 'retired':
      break;
    case 'deleted':
      add(REQUESTS_PROPERTY, -1);
      add(statusProperty(change.before), -1);
      break;
  }
  return deltas;
}
