import * as z from 'zod';
import type { TenantRouting } from '../config/routing.js';
import { clientBody, type Request } from './request.js';

/*
 * Where an operator's retry starts a request again, and whether it can. Apart from the outcomes
 * (operator-outcomes.ts) so the admin API checks a retry without bundling the dispatch machinery.
 */

export const BLOCKED = new Set(['ERROR', 'INVALID_CONTENT', 'NO_WORKER_AVAILABLE']);

/**
 * `current`: the step it is blocked at (REGARDS); `first`: the workflow's first step with the
 * client's original body; a number: that step of its workflow.
 */
export const RestartFromSchema = z.union([z.enum(['current', 'first']), z.int().min(0)]);
export type RestartFrom = z.infer<typeof RestartFromSchema>;

/** `current`, `first` or a step number, as an operator writes it (REST query, CLI option). */
export function parseRestartFrom(text: string): RestartFrom | undefined {
  if (text === 'current' || text === 'first') return text;
  return /^\d{1,10}$/.test(text) && Number(text) <= 2_147_483_647 ? Number(text) : undefined;
}

/** The restart's step, input and forwarded headers, or why it cannot be done. */
export type RestartPlan = { changes: Partial<Request>; message?: string } | { refused: string };

/**
 * What a retry runs on. Only two step inputs exist: the client's body (the first step's input,
 * kept in `originalContent` once a step output replaced it) and the current step's input
 * (`content`, with the headers the previous step returned). The input of any other step was never
 * kept: restarting there is refused rather than run on the wrong input.
 */
export function restartPlan(request: Request, from: RestartFrom, routing: TenantRouting): RestartPlan {
  if (!BLOCKED.has(request.status)) return { refused: `only ERROR, INVALID_CONTENT and NO_WORKER_AVAILABLE requests are retried, not ${request.status}` };
  if (from === 'current') return { changes: {} };
  const workflow = routing.workflowConfig(request.contentType);
  const first = workflow?.steps[0];
  if (workflow === undefined || first === undefined || request.stepNumber === null) {
    if (from === 'first') return { changes: {}, message: 'restarted (a single-step request)' };
    return { refused: `${request.requestId} is not a workflow request: no step ${from}` };
  }
  const target = from === 'first' ? first : workflow.steps.find((step) => step.stepNumber === from);
  if (target === undefined) {
    return { refused: `workflow ${workflow.workflowType} has no step ${from} (its steps: ${workflow.steps.map((step) => step.stepNumber).join(', ')})` };
  }
  const at = { stepNumber: target.stepNumber, stepWorkerType: target.workerType };
  if (target.stepNumber === first.stepNumber) {
    const body = clientBody(request);
    if (body === undefined)
      return {
        refused: `the client's body of ${request.requestId} was not kept (too large): no restart from the first step`,
      };
    return {
      changes: { ...at, content: body, originalContent: null, additionalHeaders: {} },
      message: `restarted at the first step (${target.stepNumber}, ${target.workerType}) with the client's body`,
    };
  }
  if (target.stepNumber === request.stepNumber)
    return { changes: at, message: `restarted at step ${target.stepNumber} (${target.workerType}), where it stopped` };
  return {
    refused: `the input of step ${target.stepNumber} of ${request.requestId} is not kept: only the first step's and step ${request.stepNumber}'s (where it stopped) are`,
  };
}

/** Why an operator's retry of this request cannot be made now, or undefined when it can. */
export function retryRefusal(request: Request, from: RestartFrom, routing: TenantRouting): string | undefined {
  const plan = restartPlan(request, from, routing);
  return 'refused' in plan ? plan.refused : undefined;
}
