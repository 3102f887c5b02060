/**
 * Import of a tenant configuration: the REGARDS rules (WorkerConfigService, WorkflowConfigService,
 * WorkerManagerConfigManager), checked on the configuration the import WOULD produce, so that every
 * invariant the routing relies on holds after any successful import.
 *
 * Kept from REGARDS:
 * - bean validation of every item (workerType not blank ≤128, contentTypeInputs non-empty,
 *   workflowType not blank ≤255, ≥1 step, stepNumber ≥0, step workerType not blank ≤128);
 * - worker import is an upsert by workerType (the whole item is replaced: omitted optional fields
 *   take their defaults again), workflow import an upsert by workflowType;
 * - a content type is an input of one worker only in the tenant;
 * - a worker may not use a content type listed in skipContentTypes;
 * - DuplicatedWorkflowTypesError: a workflowType may not be a worker input content type;
 * - DuplicatedStepNumbersError, NotExistingWorkerError, NullContentTypeOutError,
 *   NonConsistentContentTypeOutError (step n+1's inputs contain step n's output; the first
 *   step's inputs are not checked);
 * - steps are stored sorted by stepNumber; numbers need not be contiguous;
 * - resetBeforeImport=true starts from an empty configuration with default settings;
 * - order: settings, then workers, then workflows (workflows see the imported workers and
 *   settings, workers see the imported settings).
 *
 * Fixed on purpose (REGARDS quirks):
 * (a) All or nothing: if anything is invalid nothing is imported, and every error is listed with its
 *     path. REGARDS imports the valid items, skips the others and answers 206.
 * (b) Re-importing a worker with its own unchanged content types is not a conflict. REGARDS's
 *     conflict query does not exclude the worker itself.
 * (c) The last step's worker needs no contentTypeOutput. REGARDS requires one on every step, which
 *     rejects its own documentation's example.
 * (d) A workflowType may not be a skipped content type (its requests would all be SKIPPED), nor be
 *     declared twice in one import (REGARDS keeps one of them silently).
 * (e) A workerType declared twice in one import is refused (REGARDS keeps one of them silently).
 * (f) The rules hold on the result, whichever side brings the conflict: a settings import that skips
 *     a content type a kept worker or workflow uses, a worker whose input equals a kept workflow
 *     type, or a worker update that breaks the chaining of a kept workflow is refused too. REGARDS
 *     only checks the items being imported against what is stored.
 * (g) Ours: two worker types that differ only by case are refused, because worker queue names are
 *     lower-cased and they would share one queue (each would receive the other's work items).
 *
 * Errors caused only by what is already stored (never by this import) are not reported: an import
 * must not be blocked by a state it did not create.
 */
import type { ZodType } from 'zod';
import { ConfigErrorCode, type ConfigError, zodIssuesToConfigErrors } from './config-error.js';
import {
  DEFAULT_TENANT_SETTINGS,
  TenantSettingsPatchSchema,
  WorkerConfigDtoSchema,
  WorkflowConfigDtoSchema,
  type TenantConfig,
  type TenantSettings,
  type TenantSettingsPatch,
  type WorkerConfig,
  type WorkflowConfig,
} from './tenant-config.js';

/**
 * What to import. Items are raw DTOs (as read from a file or a request body): `planImport` is the
 * single place that validates them, so shape errors and rule errors come back in one list.
 */
export interface ConfigImport {
  readonly resetBeforeImport: boolean;
  readonly workers: readonly unknown[];
  readonly workflows: readonly unknown[];
  /** `{ skipContentTypes?: string[] }`; absent (or an absent field) keeps the current value. */
  readonly settings?: unknown;
}

export type ImportPlan = { ok: true; config: TenantConfig } | { ok: false; errors: ConfigError[] };

type Origin = { kind: 'kept' } | { kind: 'incoming'; index: number };
interface Entry<T> {
  readonly config: T;
  readonly origin: Origin;
}

const KEPT: Origin = { kind: 'kept' };

/** Validates `incoming` against `current` and returns the configuration to store, or every error. */
export function planImport(current: TenantConfig, incoming: ConfigImport): ImportPlan {
  const errors: ConfigError[] = [];
  const fail = (code: ConfigErrorCode, path: string, message: string): void => {
    errors.push({ code, path, message });
  };

  // 1. Bean validation and duplicates inside the import.
  let patch: TenantSettingsPatch = {};
  let settingsUsable = true;
  if (incoming.settings !== undefined) {
    const parsed = TenantSettingsPatchSchema.safeParse(incoming.settings);
    if (parsed.success) patch = parsed.data;
    else {
      settingsUsable = false;
      errors.push(...zodIssuesToConfigErrors('settings', parsed.error));
    }
  }

  // A type whose item is invalid is left out of every later check: its own errors say what is
  // wrong, and checking the stored version in its place would report conflicts that are not real.
  const unusableWorkerTypes = new Set<string>();
  const incomingWorkers = validateItems(incoming.workers, 'workers', 'workerType', WorkerConfigDtoSchema, errors, unusableWorkerTypes);
  const unusableWorkflowTypes = new Set<string>();
  const incomingWorkflows = validateItems(
    incoming.workflows,
    'workflows',
    'workflowType',
    WorkflowConfigDtoSchema,
    errors,
    unusableWorkflowTypes,
  );
  reportDeclaredTwice(incoming.workers, 'workers', 'workerType', ConfigErrorCode.WorkerTypeDeclaredTwice, 'worker', errors);
  reportDeclaredTwice(incoming.workflows, 'workflows', 'workflowType', ConfigErrorCode.WorkflowTypeDeclaredTwice, 'workflow', errors);

  // 2. The configuration the import would produce, each item tagged with where it comes from.
  const base: TenantConfig = incoming.resetBeforeImport
    ? { workers: [], workflows: [], settings: DEFAULT_TENANT_SETTINGS, version: current.version }
    : current;
  const settings: TenantSettings = {
    skipContentTypes: unique(patch.skipContentTypes ?? base.settings.skipContentTypes),
  };
  const skipSet = new Set(settingsUsable ? settings.skipContentTypes : []);
  const skipIndex = new Map<string, number>();
  patch.skipContentTypes?.forEach((ct, i) => {
    if (!skipIndex.has(ct)) skipIndex.set(ct, i);
  });
  const skipPath = (ct: string): string | undefined => {
    const i = skipIndex.get(ct);
    return i === undefined ? undefined : `settings.skipContentTypes[${i}]`;
  };

  const workers = new Map<string, Entry<WorkerConfig>>();
  for (const w of base.workers) if (!unusableWorkerTypes.has(w.workerType)) workers.set(w.workerType, { config: w, origin: KEPT });
  for (const { index, item } of incomingWorkers) workers.set(item.workerType, { config: item, origin: { kind: 'incoming', index } });

  const workflows = new Map<string, Entry<WorkflowConfig>>();
  for (const wf of base.workflows) {
    if (!unusableWorkflowTypes.has(wf.workflowType)) workflows.set(wf.workflowType, { config: wf, origin: KEPT });
  }
  for (const { index, item } of incomingWorkflows) {
    workflows.set(item.workflowType, { config: item, origin: { kind: 'incoming', index } });
  }

  const workerPath = (entry: Entry<WorkerConfig>, field: string): string | undefined =>
    entry.origin.kind === 'incoming' ? `workers[${entry.origin.index}].${field}` : undefined;
  const inputPath = (entry: Entry<WorkerConfig>, ct: string): string | undefined =>
    workerPath(entry, `contentTypeInputs[${entry.config.contentTypeInputs.indexOf(ct)}]`);
  const workflowPath = (entry: Entry<WorkflowConfig>, field: string): string | undefined =>
    entry.origin.kind === 'incoming' ? `workflows[${entry.origin.index}].${field}` : undefined;
  const stored = (origin: Origin): string => (origin.kind === 'kept' ? ' (current configuration)' : '');

  // 3. Workers: one owner per content type, no skipped input, no shared queue.
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
      if (!skipSet.has(ct)) continue;
      const path = inputPath(entry, ct) ?? skipPath(ct);
      if (path === undefined) continue;
      fail(
        ConfigErrorCode.SkippedContentType,
        path,
        `WorkerConf with type=${entry.config.workerType}${stored(entry.origin)} declares contentType ${ct} which is listed in the skipContentTypes setting`,
      );
    }
  }

  // 4. Workflows.
  for (const entry of workflows.values()) {
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
    if (skipSet.has(wf.workflowType)) {
      const path = workflowPath(entry, 'workflowType') ?? skipPath(wf.workflowType);
      if (path !== undefined) {
        fail(
          ConfigErrorCode.SkippedContentType,
          path,
          `workflowType "${wf.workflowType}"${stored(entry.origin)} is listed in the skipContentTypes setting: its requests would all be SKIPPED`,
        );
      }
    }
    checkSteps(entry, workers, unusableWorkerTypes, workflowPath, workerPath, fail);
  }

  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    config: {
      workers: [...workers.values()].map(({ config }) => ({ ...config, contentTypeInputs: unique(config.contentTypeInputs) })),
      workflows: [...workflows.values()].map(({ config }) => ({
        ...config,
        steps: [...config.steps].sort((a, b) => a.stepNumber - b.stepNumber),
      })),
      settings,
      version: current.version + 1,
    },
  };
}

function checkSteps(
  entry: Entry<WorkflowConfig>,
  workers: ReadonlyMap<string, Entry<WorkerConfig>>,
  unusableWorkerTypes: ReadonlySet<string>,
  workflowPath: (entry: Entry<WorkflowConfig>, field: string) => string | undefined,
  workerPath: (entry: Entry<WorkerConfig>, field: string) => string | undefined,
  fail: (code: ConfigErrorCode, path: string, message: string) => void,
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

interface Validated<T> {
  readonly index: number;
  readonly item: T;
}

/**
 * Parses each item; the invalid ones are reported. Later declarations of a type already declared
 * are dropped here (reportDeclaredTwice says why) so that only the first one is checked further.
 */
function validateItems<T>(
  raws: readonly unknown[],
  section: string,
  key: string,
  schema: ZodType<T>,
  errors: ConfigError[],
  unusable: Set<string>,
): Validated<T>[] {
  const valid: Validated<T>[] = [];
  const seen = new Set<string>();
  raws.forEach((raw, index) => {
    const name = rawName(raw, key);
    const repeated = name !== undefined && seen.has(name);
    if (name !== undefined) seen.add(name);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      errors.push(...zodIssuesToConfigErrors(`${section}[${index}]`, parsed.error));
      if (name !== undefined) unusable.add(name);
      return;
    }
    if (!repeated) valid.push({ index, item: parsed.data });
  });
  return valid;
}

function reportDeclaredTwice(
  raws: readonly unknown[],
  section: string,
  key: string,
  code: ConfigErrorCode,
  what: string,
  errors: ConfigError[],
): void {
  const first = new Map<string, number>();
  raws.forEach((raw, index) => {
    const name = rawName(raw, key);
    if (name === undefined) return;
    const firstIndex = first.get(name);
    if (firstIndex === undefined) {
      first.set(name, index);
      return;
    }
    errors.push({
      code,
      path: `${section}[${index}].${key}`,
      message: `${what} "${name}" is declared more than once in this import (also ${section}[${firstIndex}])`,
    });
  });
}

/** The item's name as the schema will read it (trimmed), if it is a usable string. */
function rawName(raw: unknown, key: string): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const value: unknown = (raw as Record<string, unknown>)[key];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
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

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
