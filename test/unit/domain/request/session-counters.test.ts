import { describe, expect, it } from 'vitest';
import { counterDeltas, statusProperty } from '../../../../shared/domain/request/session-counters.js';

describe('session counters', () => {
  it('names the REGARDS properties per status and worker type', () => {
    expect(statusProperty({ status: 'NO_WORKER_AVAILABLE', dispatchedWorkerType: null })).toBe('workers.no_worker_available');
    expect(statusProperty({ status: 'DISPATCHED', dispatchedWorkerType: 'w' })).toBe('workers.w.dispatched');
    expect(statusProperty({ status: 'RUNNING', dispatchedWorkerType: 'w' })).toBe('workers.w.running');
    expect(statusProperty({ status: 'SUCCESS', dispatchedWorkerType: 'w' })).toBe('workers.w.done');
    expect(statusProperty({ status: 'ERROR', dispatchedWorkerType: 'w' })).toBe('workers.w.error');
    expect(statusProperty({ status: 'INVALID_CONTENT', dispatchedWorkerType: 'w' })).toBe('workers.w.invalid');
    expect(statusProperty({ status: 'TO_DISPATCH', dispatchedWorkerType: 'w' })).toBe('workers.w.retry');
    expect(statusProperty({ status: 'TO_DELETE', dispatchedWorkerType: 'w' })).toBe('workers.w.deletion');
  });

  it('skips worker-type properties when no worker type is known, as REGARDS does', () => {
    expect(statusProperty({ status: 'ERROR', dispatchedWorkerType: null })).toBeNull();
    expect(counterDeltas({ kind: 'created', after: { status: 'TO_DISPATCH', dispatchedWorkerType: null } })).toEqual([
      { property: 'workers.requests', delta: 1 },
    ]);
  });

  it('counts a new request once, in its first status', () => {
    expect(counterDeltas({ kind: 'created', after: { status: 'DISPATCHED', dispatchedWorkerType: 'w' } })).toEqual([
      { property: 'workers.requests', delta: 1 },
      { property: 'workers.w.dispatched', delta: 1 },
    ]);
  });

  it('moves a request from one counter to the next', () => {
    expect(
      counterDeltas({
        kind: 'changed',
        before: { status: 'DISPATCHED', dispatchedWorkerType: 'w' },
        after: { status: 'RUNNING', dispatchedWorkerType: 'w' },
      }),
    ).toEqual([
      { property: 'workers.w.dispatched', delta: -1 },
      { property: 'workers.w.running', delta: 1 },
    ]);
  });

  it('moves a workflow request to the next worker type without counting it as a new request', () => {
    const deltas = counterDeltas({
      kind: 'changed',
      before: { status: 'RUNNING', dispatchedWorkerType: 'step1' },
      after: { status: 'DISPATCHED', dispatchedWorkerType: 'step2' },
    });
    expect(deltas).toEqual([
      { property: 'workers.step1.running', delta: -1 },
      { property: 'workers.step2.dispatched', delta: 1 },
    ]);
  });

  it('changes nothing when the counted property does not change', () => {
    const state = { status: 'DISPATCHED', dispatchedWorkerType: 'w' } as const;
    expect(counterDeltas({ kind: 'changed', before: state, after: state })).toEqual([]);
  });

  it('keeps cumulative counts when a finished row is retired, and removes everything on deletion', () => {
    expect(counterDeltas({ kind: 'retired', before: { status: 'SUCCESS', dispatchedWorkerType: 'w' } })).toEqual([]);
    expect(counterDeltas({ kind: 'deleted', before: { status: 'TO_DELETE', dispatchedWorkerType: 'w' } })).toEqual([
      { property: 'workers.requests', delta: -1 },
      { property: 'workers.w.deletion', delta: -1 },
    ]);
  });
});
