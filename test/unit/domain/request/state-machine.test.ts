import { describe, expect, it } from 'vitest';
import { PHASES, TRANSITIONS, transition, type Phase, type RequestEvent } from '../../../../shared/domain/request/state-machine.js';
import { REQUEST_STATUSES } from '../../../../shared/contract/status.js';

/** The expected table, written out independently of the implementation: event -> from -> [to, response]. */
const EXPECTED: Record<RequestEvent, Partial<Record<Phase, [Phase, string | null]>>> = {
  dispatch: {
    NEW: ['DISPATCHED', 'GRANTED'],
    TO_DISPATCH: ['DISPATCHED', 'GRANTED'],
    NO_WORKER_AVAILABLE: ['DISPATCHED', 'GRANTED'],
  },
  delay: { NEW: ['NO_WORKER_AVAILABLE', 'DELAYED'], TO_DISPATCH: ['NO_WORKER_AVAILABLE', 'DELAYED'] },
  waitForSlot: {
    NEW: ['TO_DISPATCH', 'DELAYED'],
    TO_DISPATCH: ['TO_DISPATCH', 'DELAYED'],
    NO_WORKER_AVAILABLE: ['TO_DISPATCH', 'DELAYED'],
  },
  skip: { NEW: ['GONE', 'SKIPPED'] },
  workerRunning: { DISPATCHED: ['RUNNING', null] },
  workerSuccess: { DISPATCHED: ['SUCCESS', 'SUCCESS'], RUNNING: ['SUCCESS', 'SUCCESS'] },
  workerStepDone: { DISPATCHED: ['TO_DISPATCH', null], RUNNING: ['TO_DISPATCH', null] },
  workerError: { DISPATCHED: ['ERROR', 'ERROR'], RUNNING: ['ERROR', 'ERROR'] },
  workerInvalid: { DISPATCHED: ['INVALID_CONTENT', 'INVALID_CONTENT'], RUNNING: ['INVALID_CONTENT', 'INVALID_CONTENT'] },
  deadLetter: { DISPATCHED: ['ERROR', 'ERROR'], RUNNING: ['ERROR', 'ERROR'] },
  timeout: { DISPATCHED: ['ERROR', 'ERROR'], RUNNING: ['ERROR', 'ERROR'] },
  scheduleRetry: { DISPATCHED: ['TO_DISPATCH', null], RUNNING: ['TO_DISPATCH', null] },
  retry: {
    ERROR: ['TO_DISPATCH', null],
    INVALID_CONTENT: ['TO_DISPATCH', null],
    NO_WORKER_AVAILABLE: ['TO_DISPATCH', null],
  },
  cancel: {
    TO_DISPATCH: ['ERROR', 'ERROR'],
    NO_WORKER_AVAILABLE: ['ERROR', 'ERROR'],
    DISPATCHED: ['ERROR', 'ERROR'],
    RUNNING: ['ERROR', 'ERROR'],
  },
  markForDeletion: {
    ERROR: ['TO_DELETE', null],
    INVALID_CONTENT: ['TO_DELETE', null],
    NO_WORKER_AVAILABLE: ['TO_DELETE', null],
  },
  purge: {
    SUCCESS: ['GONE', null],
    ERROR: ['GONE', null],
    INVALID_CONTENT: ['GONE', null],
    TO_DELETE: ['GONE', null],
  },
};

const EVENTS = Object.keys(EXPECTED) as RequestEvent[];

describe('request state machine', () => {
  it('knows every phase: the eight REGARDS statuses plus NEW and GONE', () => {
    expect([...PHASES].sort()).toEqual([...REQUEST_STATUSES, 'NEW', 'GONE'].sort());
  });

  it('has exactly one rule per event, and no event the test does not know', () => {
    expect(TRANSITIONS.map((rule) => rule.event).sort()).toEqual([...EVENTS].sort());
  });

  for (const event of EVENTS) {
    for (const from of PHASES) {
      const expected = EXPECTED[event][from];
      if (expected) {
        it(`allows ${event} from ${from} to ${expected[0]} answering ${expected[1] ?? 'nothing'}`, () => {
          expect(transition(from, event)).toEqual({ allowed: true, to: expected[0], response: expected[1] });
        });
      } else {
        it(`refuses ${event} from ${from}`, () => {
          const result = transition(from, event);
          expect(result.allowed).toBe(false);
          if (!result.allowed) expect(result.reason).toContain(from);
        });
      }
    }
  }

  it('never leaves GONE', () => {
    expect(EVENTS.filter((event) => transition('GONE', event).allowed)).toEqual([]);
  });

  it('refuses an event it does not know', () => {
    expect(transition('DISPATCHED', 'explode' as RequestEvent)).toEqual({ allowed: false, reason: 'unknown event explode' });
  });
});
