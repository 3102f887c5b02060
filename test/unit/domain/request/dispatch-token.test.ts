import { describe, expect, it } from 'vitest';
import { Header } from '../../../../shared/contract/headers.js';
import type { WorkerResponse } from '../../../../shared/contract/worker-response.js';
import { buildWorkItem } from '../../../../shared/contract/work-item.js';
import { DEFAULT_WIRE_NAMES } from '../../../../shared/contract/wire-names.js';
import { buildRouting } from '../../../../shared/domain/config/routing.js';
import { planImport } from '../../../../shared/domain/config/import-config.js';
import { EMPTY_TENANT_CONFIG } from '../../../../shared/domain/config/tenant-config.js';
import { applyDeadline } from '../../../../shared/domain/request/deadline-outcomes.js';
import { planDispatch } from '../../../../shared/domain/request/dispatch.js';
import { applyDeadLetter } from '../../../../shared/domain/request/failure-outcomes.js';
import { applyOperatorRetry } from '../../../../shared/domain/request/operator-outcomes.js';
import type { Outcome, OutcomeContext } from '../../../../shared/domain/request/outcomes.js';
import type { Request } from '../../../../shared/domain/request/request.js';
import { applyWorkerResponse, refuseUntrusted } from '../../../../shared/domain/request/worker-answer-outcomes.js';

const plan = planImport(EMPTY_TENANT_CONFIG, {
  resetBeforeImport: true,
  workers: [
    {
      workerType: 'a',
      contentTypeInputs: ['in'],
      contentTypeOutput: 'mid',
      retry: { maxAttempts: 3, retryOn: ['ERROR', 'TIMEOUT', 'DEAD_LETTER'], initialDelaySeconds: 10 },
    },
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
const routing = buildRouting(plan.config);
const now = new Date('2026-05-01T00:00:00.000Z');

/** A context whose tokens are tok-1, tok-2... in the order dispatches draw them. */
function ctx(options: { alive?: string[]; requireDispatchToken?: boolean } = {}): OutcomeContext & { drawn: string[] } {
  const drawn: string[] = [];
  return {
    routing,
    isAlive: (type) => (options.alive ?? ['a', 'b']).includes(type),
    now,
    waitingRecheckMs: 60_000,
    successRetentionMs: 0,
    maxContentBytes: 1024,
    random: () => 0.5,
    newToken: () => {
      const token = `tok-${drawn.length + 1}`;
      drawn.push(token);
      return token;
    },
    ...(options.requireDispatchToken === undefined ? {} : { requireDispatchToken: options.requireDispatchToken }),
    drawn,
  };
}

function newRequest(overrides: Partial<Request> = {}): Request {
  return {
    tenant: 't',
    requestId: 'r',
    id: 1,
    contentType: 'in',
    source: 's',
    session: 'x',
    creationDate: '2026-04-30T00:00:00.000Z',
    status: 'DISPATCHED',
    statusDate: '2026-04-30T00:01:00.000Z',
    content: new TextEncoder().encode('{}'),
    originalContent: null,
    additionalHeaders: {},
    stepNumber: null,
    stepWorkerType: 'a',
    dispatchedWorkerType: 'a',
    attempt: 2,
    dispatchToken: 'current-token',
    stepAttempts: 1,
    error: null,
    deadline: '2026-05-01T00:10:00.000Z',
    history: [],
    version: 5,
    fingerprint: 'f',
    ...overrides,
  };
}

function answer(
  status: WorkerResponse['status'],
  reference: { dispatchAttempt?: number; dispatchToken?: string } = {},
  extra: Partial<WorkerResponse> = {},
): WorkerResponse {
  return { tenant: 't', requestId: 'r', status, messages: [], additionalHeaders: {}, content: null, ...reference, ...extra };
}

function expectUntouched(outcome: Outcome, before: Request): void {
  expect(outcome.changed).toBe(false);
  expect(outcome.untrusted).toBe(true);
  expect(outcome.request).toEqual(before);
  expect(outcome.answers).toEqual([]);
  expect(outcome.dispatchedAttempts).toEqual([]);
}

describe('a dispatch token is drawn at every dispatch', () => {
  it('on the first dispatch, and not when the request only waits', () => {
    const fresh = newRequest({ status: 'TO_DISPATCH', attempt: 0, stepAttempts: 0, dispatchToken: undefined, version: 0 });
    const context = ctx();
    const granted = planDispatch(fresh, 'NEW', context, 'registered');
    expect(granted.response).toBe('GRANTED');
    expect(granted.request).toMatchObject({ attempt: 1, dispatchToken: 'tok-1' });

    const waiting = planDispatch(fresh, 'NEW', ctx({ alive: [] }), 'registered');
    expect(waiting.response).toBe('DELAYED');
    expect(waiting.request.dispatchToken).toBeUndefined();
  });

  it('when a waiting request is dispatched again (worker alive, sweeper recheck, revival)', () => {
    const waiting = newRequest({ status: 'NO_WORKER_AVAILABLE', dispatchedWorkerType: null });
    const context = ctx();
    const planned = planDispatch(waiting, 'NO_WORKER_AVAILABLE', context, 'worker-alive');
    expect(planned.request).toMatchObject({ status: 'DISPATCHED', attempt: 3, dispatchToken: 'tok-1' });
    // Still waiting: the last dispatch's token stays, a late answer to it is judged by it.
    expect(planDispatch(waiting, 'NO_WORKER_AVAILABLE', ctx({ alive: [] }), 'waiting-recheck').request.dispatchToken).toBe('current-token');
  });

  it('when a retry falls due, and for the next workflow step', () => {
    const context = ctx();
    const failed = applyWorkerResponse(newRequest(), answer('ERROR', { dispatchAttempt: 2, dispatchToken: 'current-token' }, { messages: ['boom'] }), context);
    expect(failed.request).toMatchObject({ status: 'TO_DISPATCH', dispatchToken: 'current-token' });
    const due = applyDeadline(failed.request, { ...context, now: new Date(now.getTime() + 3_600_000) });
    expect(due.request).toMatchObject({ status: 'DISPATCHED', attempt: 3, dispatchToken: 'tok-1' });

    const step1 = newRequest({ contentType: 'flow', stepNumber: 1 });
    const stepped = applyWorkerResponse(
      step1,
      answer('SUCCESS', { dispatchAttempt: 2, dispatchToken: 'current-token' }, { content: Buffer.from('{"mid":1}') }),
      context,
    );
    expect(stepped.request).toMatchObject({ status: 'DISPATCHED', stepNumber: 2, dispatchedWorkerType: 'b', attempt: 3, dispatchToken: 'tok-2' });
    expect(context.drawn).toEqual(['tok-1', 'tok-2']);
  });

  it('when an operator (or a bulk job) retries a blocked request', () => {
    const blocked = newRequest({ status: 'ERROR', error: 'boom', deadline: null });
    const retried = applyOperatorRetry(blocked, ctx());
    expect(retried.request).toMatchObject({ status: 'DISPATCHED', attempt: 3, dispatchToken: 'tok-1' });
  });
});

describe('an answer is judged by its dispatch token', () => {
  it('applies an answer carrying the current token', () => {
    const outcome = applyWorkerResponse(newRequest(), answer('RUNNING', { dispatchAttempt: 2, dispatchToken: 'current-token' }), ctx());
    expect(outcome.request.status).toBe('RUNNING');
    expect(outcome.untrusted).toBeUndefined();
  });

  it('never applies an answer with another token, even naming the current attempt, and does not touch the request', () => {
    const request = newRequest();
    for (const status of ['RUNNING', 'SUCCESS', 'ERROR', 'INVALID_CONTENT'] as const) {
      const forged = applyWorkerResponse(request, answer(status, { dispatchAttempt: 2, dispatchToken: 'guessed' }), ctx());
      expectUntouched(forged, request);
      expect(forged.ignored).toMatch(/dispatch token is not the current dispatch's/);
    }
    // Without an attempt header the answer is taken for the current attempt: the token still decides.
    expectUntouched(applyWorkerResponse(request, answer('SUCCESS', { dispatchToken: 'guessed' }), ctx()), request);
  });

  it('records, without applying, an answer to an attempt the request has not reached yet, so the dispatch racing it loses its write', () => {
    // A timer's dispatch sends its work item first; a fast worker can answer before the write of attempt 3 lands.
    const request = newRequest();
    const early = applyWorkerResponse(request, answer('SUCCESS', { dispatchAttempt: 3, dispatchToken: 'not-written-yet' }), ctx());
    expect(early.changed).toBe(true);
    expect(early.request.status).toBe(request.status);
    expect(early.answers).toEqual([]);
    expect(early.request.history.at(-1)).toMatchObject({ event: 'ignored worker:SUCCESS' });
  });

  it('never applies a token-carrying answer to a request dispatched before tokens existed', () => {
    const legacy = newRequest({ dispatchToken: undefined });
    expectUntouched(applyWorkerResponse(legacy, answer('SUCCESS', { dispatchAttempt: 2, dispatchToken: 'anything' }), ctx()), legacy);
  });

  it('keeps the attempt fence and the state guard for answers without a token (REGARDS workers)', () => {
    const request = newRequest();
    const current = applyWorkerResponse(request, answer('RUNNING', { dispatchAttempt: 2 }), ctx());
    expect(current.request.status).toBe('RUNNING');

    const stale = applyWorkerResponse(request, answer('SUCCESS', { dispatchAttempt: 1 }), ctx());
    expect(stale.request.status).toBe('DISPATCHED');
    expect(stale.ignored).toMatch(/attempt 1, but the request is at attempt 2/);
    expect(stale.untrusted).toBeUndefined();

    const noHeaders = applyWorkerResponse(request, answer('RUNNING'), ctx());
    expect(noHeaders.request.status).toBe('RUNNING');
  });

  it('with requireDispatchToken, refuses token-less answers for requests dispatched with a token only', () => {
    const request = newRequest();
    const refused = applyWorkerResponse(request, answer('SUCCESS', { dispatchAttempt: 2 }), ctx({ requireDispatchToken: true }));
    expectUntouched(refused, request);
    expect(refused.ignored).toMatch(/no dispatch token, and requireDispatchToken is set/);

    const legacy = newRequest({ dispatchToken: undefined });
    const accepted = applyWorkerResponse(legacy, answer('RUNNING', { dispatchAttempt: 2 }), ctx({ requireDispatchToken: true }));
    expect(accepted.request.status).toBe('RUNNING');
  });

  it("replays an older dispatch's recorded answer redelivered with its own (replaced) token, without applying it again", () => {
    const context = ctx();
    const step1 = newRequest({ contentType: 'flow', stepNumber: 1 });
    const success = answer('SUCCESS', { dispatchAttempt: 2, dispatchToken: 'current-token' }, { content: Buffer.from('{"mid":1}') });
    const stepped = applyWorkerResponse(step1, success, context).request;
    expect(stepped.dispatchToken).toBe('tok-1');

    const again = applyWorkerResponse(stepped, success, context);
    expect(again.changed).toBe(false);
    expect(again.request).toEqual(stepped);
    // The first delivery's publish may have failed: its GRANTED answer and work item go out again.
    expect(again.answers.map((a) => a.answer.state)).toEqual(['GRANTED']);
    expect(again.dispatchedAttempts).toEqual([3]);
    expect(context.drawn).toEqual(['tok-1']);
  });
});

describe('a dead letter is judged by the token its work item carried', () => {
  const deadLetter = (request: Request, reference: { dispatchAttempt?: number; dispatchToken?: string }, context: OutcomeContext) =>
    refuseUntrusted(request, { tenant: 't', requestId: 'r', ...reference }, 'dead-letter', context) ??
    applyDeadLetter(request, reference.dispatchAttempt, 'rejected', context);

  it("fails the attempt for the current dispatch's dead letter, and ignores one with another token", () => {
    const request = newRequest({ dispatchedWorkerType: 'b', stepWorkerType: 'b' });
    expect(deadLetter(request, { dispatchAttempt: 2, dispatchToken: 'current-token' }, ctx()).request.status).toBe('ERROR');
    expectUntouched(deadLetter(request, { dispatchAttempt: 2, dispatchToken: 'other' }, ctx()), request);
    expect(deadLetter(request, { dispatchAttempt: 2 }, ctx()).request.status).toBe('ERROR');
  });
});

describe('the token header cannot be set through a workflow step', () => {
  it("drops a step's wm.dispatch.token from the next work item, which carries the token the manager drew", () => {
    const context = ctx();
    const step1 = newRequest({ contentType: 'flow', stepNumber: 1 });
    const forgedHeaders = { [Header.dispatchToken]: 'chosen-by-the-worker', 'WM.Dispatch.Token': 'chosen-too', 'a.done': 'yes' };
    const stepped = applyWorkerResponse(
      step1,
      answer('SUCCESS', { dispatchAttempt: 2, dispatchToken: 'current-token' }, { content: Buffer.from('{}'), additionalHeaders: forgedHeaders }),
      context,
    ).request;
    const item = buildWorkItem(DEFAULT_WIRE_NAMES, 'b', {
      tenant: stepped.tenant,
      requestId: stepped.requestId,
      owner: stepped.source,
      session: stepped.session,
      contentType: stepped.contentType,
      dispatchAttempt: stepped.attempt,
      ...(stepped.dispatchToken === undefined ? {} : { dispatchToken: stepped.dispatchToken }),
      additionalHeaders: stepped.additionalHeaders,
      body: stepped.content,
    });
    expect(item.headers[Header.dispatchToken]).toBe('tok-1');
    expect(item.headers['WM.Dispatch.Token']).toBeUndefined();
    expect(item.headers['a.done']).toBe('yes');
  });
});
