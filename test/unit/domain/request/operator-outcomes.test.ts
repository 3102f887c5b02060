import { describe, expect, it } from 'vitest';
import { buildRouting } from '../../../../shared/domain/config/routing.js';
import { planImport } from '../../../../shared/domain/config/import-config.js';
import { EMPTY_TENANT_CONFIG } from '../../../../shared/domain/config/tenant-config.js';
import { applyOperatorDelete, applyOperatorRetry } from '../../../../shared/domain/request/operator-outcomes.js';
import type { OutcomeContext } from '../../../../shared/domain/request/outcomes.js';
import type { Request } from '../../../../shared/domain/request/request.js';

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
