import type { TenantConfig, WorkerConfig, WorkflowConfig, WorkflowStep } from './tenant-config.js';

/*
 * The read side of a tenant configuration, built once per configuration version (every lookup is a
 * map access, not a scan: this runs for every message of every batch).
 */

export type Route =
  | { kind: 'worker'; workerType: string }
  /** `step` is the first one: the lowest stepNumber. */
  | { kind: 'workflow'; workflowType: string; step: WorkflowStep }
  | { kind: 'unrouted' };

/**
 * What follows a workflow step. REGARDS treats a step number that vanished after a configuration
 * change as the last step, so the request ends in SUCCESS having skipped the remaining work. Here
 * that case is told apart (`unknown-workflow`, `unknown-step`), with a message the caller can store
 * as the request's error when it moves it to ERROR.
 */
export type NextStep =
  { kind: 'next'; step: WorkflowStep } | { kind: 'last' } | { kind: 'unknown-workflow'; message: string } | { kind: 'unknown-step'; message: string };

/** Whose keepErrors flag applies to a failed request. */
export type KeepErrorsSubject =
  | { kind: 'workflow'; workflowType: string }
  /** The worker type the request was dispatched to. */
  | { kind: 'worker'; workerType: string };

interface IndexedWorkflow {
  readonly config: WorkflowConfig;
  /** Steps by ascending stepNumber. */
  readonly steps: readonly WorkflowStep[];
  /** stepNumber → position in `steps`. */
  readonly positions: ReadonlyMap<number, number>;
}

export class TenantRouting {
  readonly version: number;
  private readonly workers = new Map<string, WorkerConfig>();
  private readonly workerByContentType = new Map<string, string>();
  private readonly workflows = new Map<string, IndexedWorkflow>();
  private readonly skipped: ReadonlySet<string>;

  constructor(config: TenantConfig) {
    this.version = config.version;
    this.skipped = new Set(config.settings.skipContentTypes);
    for (const worker of config.workers) {
      this.workers.set(worker.workerType, worker);
      for (const ct of worker.contentTypeInputs) {
        // Import keeps content types unique; on a stored config that is not, the first owner wins.
        if (!this.workerByContentType.has(ct)) this.workerByContentType.set(ct, worker.workerType);
      }
    }
    for (const workflow of config.workflows) {
      const steps = [...workflow.steps].sort((a, b) => a.stepNumber - b.stepNumber);
      this.workflows.set(workflow.workflowType, {
        config: workflow,
        steps,
        positions: new Map(steps.map((step, i) => [step.stepNumber, i])),
      });
    }
  }

  /**
   * Where a request of this content type goes. A workflow type wins over a worker input; import
   * forbids the overlap, so this only matters for a stored configuration that predates the rule.
   */
  route(contentType: string): Route {
    const workflow = this.workflows.get(contentType);
    const first = workflow?.steps[0];
    if (workflow !== undefined && first !== undefined) {
      return { kind: 'workflow', workflowType: workflow.config.workflowType, step: first };
    }
    const workerType = this.workerByContentType.get(contentType);
    if (workerType !== undefined) return { kind: 'worker', workerType };
    return { kind: 'unrouted' };
  }

  isSkipped(contentType: string): boolean {
    return this.skipped.has(contentType);
  }

  isWorkflow(contentType: string): boolean {
    return this.workflows.has(contentType);
  }

  workerConfig(workerType: string): WorkerConfig | undefined {
    return this.workers.get(workerType);
  }

  workflowConfig(workflowType: string): WorkflowConfig | undefined {
    return this.workflows.get(workflowType)?.config;
  }

  /** The step with this number, or undefined when the workflow or the step no longer exists. */
  stepOf(workflowType: string, stepNumber: number): WorkflowStep | undefined {
    const workflow = this.workflows.get(workflowType);
    const position = workflow?.positions.get(stepNumber);
    return position === undefined ? undefined : workflow?.steps[position];
  }

  stepAfter(workflowType: string, stepNumber: number): NextStep {
    const workflow = this.workflows.get(workflowType);
    if (workflow === undefined) {
      return {
        kind: 'unknown-workflow',
        message: `Workflow "${workflowType}" is no longer configured: the request cannot go past step ${stepNumber}.`,
      };
    }
    const position = workflow.positions.get(stepNumber);
    if (position === undefined) {
      const numbers = workflow.steps.map((s) => s.stepNumber).join(', ');
      return {
        kind: 'unknown-step',
        message: `Step ${stepNumber} no longer exists in workflow "${workflowType}" (steps are now ${numbers}): the configuration changed while the request was running, so its next step is unknown.`,
      };
    }
    const next = workflow.steps[position + 1];
    return next === undefined ? { kind: 'last' } : { kind: 'next', step: next };
  }

  /**
   * Whether a failed request is kept. REGARDS looks the worker flag up by content type (a bug: it
   * only works when a worker type is named like the content type); here it is the flag of the worker
   * the request was dispatched to. With no config left to ask, errors are kept: deleting needs an
   * explicit false.
   */
  keepErrors(subject: KeepErrorsSubject): boolean {
    if (subject.kind === 'workflow') return this.workflows.get(subject.workflowType)?.config.keepErrors ?? true;
    return this.workers.get(subject.workerType)?.keepErrors ?? true;
  }

  contentTypesOf(workerType: string): readonly string[] {
    return this.workers.get(workerType)?.contentTypeInputs ?? [];
  }

  /**
   * Worker types serving these content types (GET /workers?contentTypes=), each once, in the order
   * asked. Like REGARDS, only worker inputs count: a workflow type matches no worker type.
   */
  workerTypesForContentTypes(contentTypes: readonly string[]): string[] {
    const out = new Set<string>();
    for (const ct of contentTypes) {
      const workerType = this.workerByContentType.get(ct);
      if (workerType !== undefined) out.add(workerType);
    }
    return [...out];
  }

  workerTypes(): string[] {
    return [...this.workers.keys()];
  }
}

export function buildRouting(config: TenantConfig): TenantRouting {
  return new TenantRouting(config);
}
