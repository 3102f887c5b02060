import { describe, expect, it } from 'vitest';
import { buildRouting } from '../../../../shared/domain/config/routing.js';
import { planImport } from '../../../../shared/domain/config/import-config.js';
import { EMPTY_TENANT_CONFIG } from '../../../../shared/domain/config/tenant-config.js';
import { applyOperatorDelete, applyOperatorRetry } from '../../../../shared/domain/request/operator-outcomes.js';
import { parseRestartFrom, retryRefusal } from '../../../../shared/domain/request/restart.js';
import type { OutcomeContext } from '../../../../shared/domain/request/outcomes.js';
import { ORIGINAL_DROPPED_MESSAGE, type Request } from '../../../../shared/domain/request/request.js';

const plan = planImport(EMPTY_TENANT_CONFIG, {
  resetBeforeImport: true,
  workers: [
    { workerType: 'a', contentTypeInputs: ['in'], contentTypeOutput: 'mid' },
    { workerType: 'b', contentTypeInputs: ['mid'] },
  ],
  workflows: [
    {
      workflowType: 'flow',
      steps: [
        { stepNumber: 1, workerType: 'a' },
        { stepNumber: 2, workerType: 'b' },
      ],
    },
  ],
});
if (!plan.ok) throw new Error('bad fixture');
const now = new Date('2026-05-01T00:00:00.000Z');
const ctx = (alive: string[]): OutcomeContext => ({
  routing: buildRouting(plan.config),
  isAlive: (type) => alive.includes(type),
  now,
  waitingRecheckMs: 60_000,
  successRetentionMs: 0,
  maxContentBytes: 1024,
  random: () => 0.5,
  newToken: () => 'pinned-token',
});

function failedAtStep2(): Request {
  return {
    tenant: 't',
    requestId: 'r',
    id: 1,
    contentType: 'flow',
    source: 's',
    session: 'x',
    creationDate: '2026-04-30T00:00:00.000Z',
    status: 'ERROR',
    statusDate: '2026-04-30T00:01:00.000Z',
    content: new TextEncoder().encode('step-2 input'),
    originalContent: new TextEncoder().encode('client body'),
    additionalHeaders: { 'a.done': 'yes' },
    stepNumber: 2,
    stepWorkerType: 'b',
    dispatchedWorkerType: 'b',
    attempt: 3,
    stepAttempts: 2,
    error: 'boom',
    deadline: null,
    history: [],
    version: 7,
    fingerprint: 'f',
  };
}

describe('operator outcomes', () => {
  it('retries a failed workflow at the step that failed, with that step input, and a fresh attempt budget', () => {
    const outcome = applyOperatorRetry(failedAtStep2(), ctx(['a', 'b']));
    expect(outcome.request).toMatchObject({ status: 'DISPATCHED', stepNumber: 2, dispatchedWorkerType: 'b', attempt: 4, stepAttempts: 1, error: null });
    expect(new TextDecoder().decode(outcome.request.content)).toBe('step-2 input');
    expect(outcome.answers.map((a) => a.answer.state)).toEqual(['GRANTED']);
    expect(outcome.dispatchedAttempts).toEqual([4]);
    expect(outcome.request.history.map((h) => h.event)).toEqual(['operator-retry', 'operator-retry']);
  });

  it('parks a retried request whose worker is dead, answering DELAYED', () => {
    const outcome = applyOperatorRetry(failedAtStep2(), ctx([]));
    expect(outcome.request).toMatchObject({ status: 'NO_WORKER_AVAILABLE', stepWorkerType: 'b' });
    expect(outcome.answers.map((a) => a.answer.state)).toEqual(['DELAYED']);
  });

  it('neither retries nor deletes a request that is not blocked', () => {
    const running = { ...failedAtStep2(), status: 'RUNNING' as const };
    expect(applyOperatorRetry(running, ctx(['b']))).toMatchObject({ changed: false, ignored: expect.stringContaining('RUNNING') });
    expect(applyOperatorDelete(running)).toMatchObject({ changed: false, remove: false });
  });

  it('deletes a blocked request and takes it out of every counter', () => {
    const outcome = applyOperatorDelete(failedAtStep2());
    expect(outcome).toMatchObject({ remove: true, changed: true });
    expect(outcome.counted).toEqual([
      { kind: 'changed', before: { status: 'ERROR', dispatchedWorkerType: 'b' }, after: { status: 'TO_DELETE', dispatchedWorkerType: 'b' } },
      { kind: 'deleted', before: { status: 'TO_DELETE', dispatchedWorkerType: 'b' } },
    ]);
  });
});

describe('restarting a workflow from its first or a chosen step', () => {
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

  it("restarts from the first step with the client's original body and no forwarded headers, and says so in the history", () => {
    const outcome = applyOperatorRetry(failedAtStep2(), ctx(['a', 'b']), 'first');
    expect(outcome.request).toMatchObject({ status: 'DISPATCHED', stepNumber: 1, stepWorkerType: 'a', dispatchedWorkerType: 'a', attempt: 4, stepAttempts: 1 });
    expect(text(outcome.request.content)).toBe('client body');
    expect(outcome.request.originalContent).toBeNull();
    expect(outcome.request.additionalHeaders).toEqual({});
    expect(outcome.request.history[0]).toMatchObject({
      event: 'operator-restart',
      stepNumber: 1,
      messages: [expect.stringContaining("first step (1, a) with the client's body")],
    });
    // The step number written as the first one restarts the same way.
    expect(applyOperatorRetry(failedAtStep2(), ctx(['a', 'b']), 1).request).toMatchObject({
      stepNumber: 1,
      dispatchedWorkerType: 'a',
    });
  });

  it('restarts from the step it stopped at when that step is chosen, with that step input and headers', () => {
    const outcome = applyOperatorRetry(failedAtStep2(), ctx(['a', 'b']), 2);
    expect(outcome.request).toMatchObject({ status: 'DISPATCHED', stepNumber: 2, dispatchedWorkerType: 'b', additionalHeaders: { 'a.done': 'yes' } });
    expect(text(outcome.request.content)).toBe('step-2 input');
    expect(text(outcome.request.originalContent ?? new Uint8Array())).toBe('client body');
  });

  it('refuses a step the workflow does not have, a step whose input was not kept, and a dropped original body', () => {
    const routing = ctx([]).routing;
    expect(retryRefusal(failedAtStep2(), 5, routing)).toBe('workflow flow has no step 5 (its steps: 1, 2)');
    const atStep1 = { ...failedAtStep2(), stepNumber: 1, stepWorkerType: 'a', originalContent: null };
    expect(retryRefusal(atStep1, 2, routing)).toBe("the input of step 2 of r is not kept: only the first step's and step 1's (where it stopped) are");
    const dropped = { ...failedAtStep2(), originalContent: null, originalContentDropped: true as const };
    expect(retryRefusal(dropped, 'first', routing)).toBe("the client's body of r was not kept (too large): no restart from the first step");
    // A row written before the flag existed says so only in its history.
    const entry = {
      at: now.toISOString(),
      event: 'worker:SUCCESS',
      status: 'TO_DISPATCH' as const,
      stepNumber: 2,
      workerType: 'b',
      attempt: 1,
      messages: [ORIGINAL_DROPPED_MESSAGE],
    };
    expect(retryRefusal({ ...failedAtStep2(), originalContent: null, history: [entry] }, 'first', routing)).toContain('was not kept');
    const outcome = applyOperatorRetry(dropped, ctx(['a', 'b']), 'first');
    expect(outcome).toMatchObject({ changed: false, ignored: expect.stringContaining('no restart from the first step') });
    expect(outcome.request).toBe(dropped);
  });

  it('treats a plain request as a workflow of one step: first is its step, a step number is refused', () => {
    const plain = {
      ...failedAtStep2(),
      contentType: 'in',
      stepNumber: null,
      stepWorkerType: 'a',
      dispatchedWorkerType: 'a',
      originalContent: null,
      additionalHeaders: {},
    };
    expect(applyOperatorRetry(plain, ctx(['a']), 'first').request).toMatchObject({ status: 'DISPATCHED', dispatchedWorkerType: 'a' });
    expect(retryRefusal(plain, 1, ctx([]).routing)).toBe('r is not a workflow request: no step 1');
  });

  it('reads current, first and step numbers as an operator writes them', () => {
    expect(parseRestartFrom('first')).toEqual('first');
    expect(parseRestartFrom('current')).toEqual('current');
    expect(parseRestartFrom('20')).toEqual(20);
    for (const bad of ['', '-1', 'last', '1.5', '99999999999']) expect(parseRestartFrom(bad)).toBeUndefined();
  });
});
