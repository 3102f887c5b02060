import { ConfigErrorCode, type ConfigError } from './config-error.js';
import type { Entry, MergedConfig, Origin } from './import-merge.js';
import type { WorkerConfig, WorkflowConfig } from './tenant-config.js';

/*
 * Step 3 of planImport: the rules, checked on the configuration the import would produce. An
 * error is reported only where this import can be blamed: at a path in the file.
 */

type Fail = (code: ConfigErrorCode, path: string, message: string) => void;

const workerPath = (entry: Entry<WorkerConfig>, field: string): string | undefined =>
  entry.origin.kind === 'incoming' ? `workers[${entry.origin.index}].${field}` : undefined;
const inputPath = (entry: Entry<WorkerConfig>, ct: string): string | undefined =>
  workerPath(entry, `contentTypeInputs[${entry.config.contentTypeInputs.indexOf(ct)}]`);
const workflowPath = (entry: Entry<WorkflowConfig>, field: string): string | undefined =>
  entry.origin.kind === 'incoming' ? `workflows[${entry.origin.index}].${field}` : undefined;
const stored = (origin: Origin): string => (origin.kind === 'kept' ? ' (current configuration)' : '');

export function checkRules(merged: MergedConfig, unusableWorkerTypes: ReadonlySet<string>): ConfigError[] {
  const errors: ConfigError[] = [];
  const fail: Fail = (code, path, message) => {
    errors.push({ code, path, message });
  };
  const ownerOf = checkWorkers(merged, fail);
  for (const entry of merged.workflows.values()) {
    checkWorkflow(entry, ownerOf, merged, fail);
    checkSteps(entry, merged.workers, unusableWorkerTypes, fail);
  }
  return errors;
}

/** Workers: one owner per content type, no skipped input, no shared queue. Returns each content type's owner. */
function checkWorkers({ workers, skipped, skipPath }: MergedConfig, fail: Fail): Map<string, Entry<WorkerConfig>> {
  const owners = new Map<string, Entry<WorkerConfig>[]>();
  const byQueue = new Map<string, Entry<WorkerConfig>[]>();
  for (const entry of workers.values()) {
    for (const ct of new Set(entry.config.contentTypeInputs)) push(owners, ct, entry);
    push(byQueue, entry.config.workerType.toLowerCase(), entry);
  }
  const ownerOf = new Map<string, Entry<WorkerConfig>>();
  for (const [ct, list] of owners) {
    const [holder, ...others] = [...list].sort(byOrigin);
    if (holder === undefined) continue;
    ownerOf.set(ct, holder);
    for (const other of others) {
      const path = inputPath(other, ct);
      if (path === undefined) continue;
      fail(
        ConfigErrorCode.ContentTypeAlreadyUsed,
        path,
        `WorkerConf with type=${other.config.workerType} declares contentType ${ct} which is already used by ${holder.config.workerType}${stored(holder.origin)}`,
      );
    }
  }
  for (const list of byQueue.values()) {
    const [holder, ...others] = [...list].sort(byOrigin);
    if (holder === undefined) continue;
    for (const other of others) {
      const path = workerPath(other, 'workerType');
      if (path === undefined) continue;
      fail(
        ConfigErrorCode.WorkerQueueCollision,
        path,
        `worker type "${other.config.workerType}" differs from "${holder.config.workerType}"${stored(holder.origin)} only by case; worker queue names are lower-cased, so both would share one queue`,
      );
    }
  }
  for (const entry of workers.values()) {
    for (const ct of new Set(entry.config.contentTypeInputs)) {
      if (!skipped.has(ct)) continue;
      const path = inputPath(entry, ct) ?? skipPath(ct);
      if (path === undefined) continue;
      fail(
        ConfigErrorCode.SkippedContentType,
        path,
        `WorkerConf with type=${entry.config.workerType}${stored(entry.origin)} declares contentType ${ct} which is listed in the skipContentTypes setting`,
      );
    }
  }
  return ownerOf;
}

/** A workflow type is neither a worker's input content type nor a skipped one. */
function checkWorkflow(entry: Entry<WorkflowConfig>, ownerOf: ReadonlyMap<string, Entry<WorkerConfig>>, { skipped, skipPath }: MergedConfig, fail: Fail): void {
  const wf = entry.config;
  const owner = ownerOf.get(wf.workflowType);
  if (owner !== undefined) {
    const path = workflowPath(entry, 'workflowType') ?? inputPath(owner, wf.workflowType);
    if (path !== undefined) {
      fail(
        ConfigErrorCode.DuplicatedWorkflowTypes,
        path,
        `workflowType "${wf.workflowType}"${stored(entry.origin)} is also a contentTypeInputs of worker "${owner.config.workerType}"${stored(owner.origin)}: workflow types and worker content types must differ`,
      );
    }
  }
  if (skipped.has(wf.workflowType)) {
    const path = workflowPath(entry, 'workflowType') ?? skipPath(wf.workflowType);
    if (path !== undefined) {
      fail(
        ConfigErrorCode.SkippedContentType,
        path,
        `workflowType "${wf.workflowType}"${stored(entry.origin)} is listed in the skipContentTypes setting: its requests would all be SKIPPED`,
      );
    }
  }
}

function checkSteps(
  entry: Entry<WorkflowConfig>,
  workers: ReadonlyMap<string, Entry<WorkerConfig>>,
  unusableWorkerTypes: ReadonlySet<string>,
  fail: Fail,
): void {
  const wf = entry.config;
  const tag = `[${wf.workflowType}]`;
  const indexed = wf.steps.map((step, rawIndex) => ({ step, rawIndex }));

  const firstWithNumber = new Map<number, number>();
  let numbersUnique = true;
  for (const { step, rawIndex } of indexed) {
    const first = firstWithNumber.get(step.stepNumber);
    if (first === undefined) {
      firstWithNumber.set(step.stepNumber, rawIndex);
      continue;
    }
    numbersUnique = false;
    const path = workflowPath(entry, `steps[${rawIndex}].stepNumber`);
    if (path !== undefined) {
      fail(
        ConfigErrorCode.DuplicatedStepNumbers,
        path,
        `${tag} step number ${step.stepNumber} is used more than once (also steps[${first}]): make sure all step numbers are unique`,
      );
    }
  }

  for (const { step, rawIndex } of indexed) {
    if (workers.has(step.workerType) || unusableWorkerTypes.has(step.workerType)) continue;
    const path = workflowPath(entry, `steps[${rawIndex}].workerType`);
    if (path === undefined) continue;
    fail(
      ConfigErrorCode.NotExistingWorker,
      path,
      `${tag} worker "${step.workerType}" configured at step ${step.stepNumber} does not exist: a step can only use a worker type that is configured (in the current configuration or in this import)`,
    );
  }

  // With duplicated numbers the order is undefined, so chaining cannot be judged.
  if (!numbersUnique) return;
  const sorted = [...indexed].sort((a, b) => a.step.stepNumber - b.step.stepNumber);
  let previous: Entry<WorkerConfig> | undefined;
  sorted.forEach(({ step, rawIndex }, position) => {
    const worker = workers.get(step.workerType);
    const stepPath = workflowPath(entry, `steps[${rawIndex}].workerType`);
    if (worker === undefined) {
      previous = undefined;
      return;
    }
    const previousOut = previous?.config.contentTypeOutput;
    if (previous !== undefined && previousOut !== undefined && !worker.config.contentTypeInputs.includes(previousOut)) {
      const path = stepPath ?? workerPath(worker, 'contentTypeInputs') ?? workerPath(previous, 'contentTypeOutput');
      if (path !== undefined) {
        fail(
          ConfigErrorCode.NonConsistentContentTypeOut,
          path,
          `${tag} contentTypeInputs of worker "${step.workerType}" configured at step ${step.stepNumber} do not contain the previous worker "${previous.config.workerType}" contentTypeOutput "${previousOut}": each contentTypeOutput must be an input of the next worker`,
        );
      }
    }
    const isLast = position === sorted.length - 1;
    if (!isLast && worker.config.contentTypeOutput === undefined) {
      const path = stepPath ?? workerPath(worker, 'contentTypeOutput');
      if (path !== undefined) {
        fail(
          ConfigErrorCode.NullContentTypeOut,
          path,
          `${tag} contentTypeOutput of worker "${step.workerType}" configured at step ${step.stepNumber} must be present: every step but the last hands its output to the next one`,
        );
      }
    }
    previous = worker;
  });
}

/** Stored items first, then the imported ones in file order: the later claimant is the one blamed. */
function byOrigin(a: Entry<unknown>, b: Entry<unknown>): number {
  const rank = (o: Origin): number => (o.kind === 'kept' ? -1 : o.index);
  return rank(a.origin) - rank(b.origin);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
