import type { TenantRouting } from '../config/routing.js';
import { DEFAULT_DEADLINES } from '../config/tenant-config.js';
import { appendHistory, type Request } from './request.js';
import { transition, type Phase } from './state-machine.js';
import { AppError } from '../../kernel/errors.js';

/*
 * The one dispatch decision, shared by intake, workflow step changes, re-dispatch of waiting
 * requests and retries: where the request goes now (always asked of the CURRENT configuration, so
 * a request that arrived before its configuration finds its worker once it exists), and whether a
 * worker of that type is alive.
 */

export type Target =
  | { kind: 'target'; workerType: string; stepNumber: number | null }
  | { kind: 'unrouted' }
  /** A workflow request whose step vanished from its workflow in a configuration change. */
  | { kind: 'step-gone'; message: string };

export function targetOf(request: Pick<Request, 'contentType' | 'stepNumber'>, routing: TenantRouting): Target {
  if (request.stepNumber !== null) {
    const step = routing.stepOf(request.contentType, request.stepNumber);
    if (step !== undefined) return { kind: 'target', workerType: step.workerType, stepNumber: step.stepNumber };
    const next = routing.stepAfter(request.contentType, request.stepNumber);
    return { kind: 'step-gone', message: 'message' in next ? next.message : `Step ${request.stepNumber} no longer exists.` };
  }
  const route = routing.route(request.contentType);
  switch (route.kind) {
    case 'worker':
      return { kind: 'target', workerType: route.workerType, stepNumber: null };
    case 'workflow':
      return { kind: 'target', workerType: route.step.workerType, stepNumber: route.step.stepNumber };
    case 'unrouted':
      return { kind: 'unrouted' };
  }
}

export interface DispatchEnvironment {
  routing: TenantRouting;
  isAlive: (workerType: string) => boolean;
  now: Date;
  /** When a waiting request is looked at again by the sweeper, as a safety net. */
  waitingRecheckMs: number;
  /**
   * A fresh, unguessable dispatch token (see Request.dispatchToken). Randomness comes from the
   * caller so the domain stays pure; tests pin it.
   */
  newToken: () => string;
}

export type DispatchPlan = {
  /** The request as it must be written. */
  request: Request;
  /** GRANTED: a work item must be sent to `request.dispatchedWorkerType`. */
  response: 'GRANTED' | 'DELAYED';
};

export class TransitionRefusedError extends AppError {
  public override readonly name = 'TransitionRefusedError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Dispatches the request if its worker type is alive, else parks it in NO_WORKER_AVAILABLE.
 * `from` is NEW for a request not stored yet (its version becomes 1), otherwise its status.
 * `historyEvent` names why (registered, next step, worker came alive, retry...).
 */
export function planDispatch(request: Request, from: Phase, env: DispatchEnvironment, historyEvent: string): DispatchPlan {
  const target = targetOf(request, env.routing);
  const alive = target.kind === 'target' && env.isAlive(target.workerType);
  const event = alive ? 'dispatch' : 'delay';
  const result = from === 'NO_WORKER_AVAILABLE' && !alive ? { allowed: true as const } : transition(from, event);
  if (!result.allowed) throw new TransitionRefusedError(`${request.requestId}: ${result.reason}`);

  const now = env.now.toISOString();
  const version = from === 'NEW' ? 1 : request.version + 1;
  if (alive && target.kind === 'target') {
    const deadlines = env.routing.workerConfig(target.workerType)?.deadlines ?? DEFAULT_DEADLINES;
    const attempt = request.attempt + 1;
    const next: Request = {
      ...request,
      status: 'DISPATCHED',
      statusDate: now,
      stepNumber: target.stepNumber,
      stepWorkerType: target.workerType,
      dispatchedWorkerType: target.workerType,
      attempt,
      dispatchToken: env.newToken(),
      stepAttempts: request.stepAttempts + 1,
      error: null,
      deadline: new Date(env.now.getTime() + deadlines.timeToStartSeconds * 1000).toISOString(),
      version,
    };
    next.history = appendHistory(request.history, {
      at: now,
      event: historyEvent,
      status: 'DISPATCHED',
      stepNumber: target.stepNumber,
      workerType: target.workerType,
      attempt,
      messages: [],
    });
    return { request: next, response: 'GRANTED' };
  }

  const waitingFor = target.kind === 'target' ? target.workerType : null;
  const why =
    target.kind === 'target'
      ? `no worker of type ${target.workerType} is alive`
      : target.kind === 'unrouted'
        ? `content type ${request.contentType} is not configured on tenant ${request.tenant}`
        : target.message;
  const next: Request = {
    ...request,
    status: 'NO_WORKER_AVAILABLE',
    statusDate: from === 'NO_WORKER_AVAILABLE' ? request.statusDate : now,
    stepNumber: target.kind === 'target' ? target.stepNumber : request.stepNumber,
    stepWorkerType: waitingFor,
    dispatchedWorkerType: null,
    error: target.kind === 'step-gone' ? target.message : null,
    deadline: new Date(env.now.getTime() + env.waitingRecheckMs).toISOString(),
    version,
  };
  next.history = appendHistory(request.history, {
    at: now,
    event: historyEvent,
    status: 'NO_WORKER_AVAILABLE',
    stepNumber: next.stepNumber,
    workerType: waitingFor,
    attempt: request.attempt,
    messages: [why],
  });
  return { request: next, response: 'DELAYED' };
}
