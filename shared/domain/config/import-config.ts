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
import type { ConfigError } from './config-error.js';
import { mergeWithCurrent, unique, type MergedConfig } from './import-merge.js';
import { checkRules } from './import-rules.js';
import { validateImport } from './import-validation.js';
import type { TenantConfig } from './tenant-config.js';

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

/** Validates `incoming` against `current` and returns the configuration to store, or every error. */
export function planImport(current: TenantConfig, incoming: ConfigImport): ImportPlan {
  const validated = validateImport(incoming);
  const merged = mergeWithCurrent(current, incoming.resetBeforeImport, validated);
  const errors = [...validated.errors, ...checkRules(merged, validated.unusableWorkerTypes)];
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: buildConfig(merged, current.version + 1) };
}

/** Step 4: the configuration to store, its input content types deduplicated and its steps in order. */
function buildConfig({ workers, workflows, settings }: MergedConfig, version: number): TenantConfig {
  return {
    workers: [...workers.values()].map(({ config }) => ({ ...config, contentTypeInputs: unique(config.contentTypeInputs) })),
    workflows: [...workflows.values()].map(({ config }) => ({
      ...config,
      steps: [...config.steps].sort((a, b) => a.stepNumber - b.stepNumber),
    })),
    settings,
    version,
  };
}

/** What a partial import keeps: the configuration to store (undefined when no item could be kept), and the errors of the items left out. */
export interface PartialImportPlan {
  config: TenantConfig | undefined;
  errors: ConfigError[];
}

type Section = 'settings' | 'workers' | 'workflows';
const SECTIONS: readonly Section[] = ['settings', 'workers', 'workflows'];

/** The item an error is about (`workers[2]...` → workers, 2), or undefined when it is about no one item. */
function itemOf(path: string): { section: Section; index: number } | undefined {
  if (path === 'settings' || path.startsWith('settings.') || path.startsWith('settings[')) return { section: 'settings', index: 0 };
  const match = /^(workers|workflows)\[(\d+)\]/.exec(path);
  return match === null ? undefined : { section: match[1] as Section, index: Number(match[2]) };
}

/**
 * REGARDS' partial import (ModuleManagerController answers 206): the items with errors are left
 * out and the valid ones imported, checked by our stricter rules on the result. As REGARDS imports
 * settings, then workers, then workflows, the items of the earliest section with errors are left
 * out first and the rest planned again, so a workflow whose worker was left out is reported (and
 * left out) in turn, and a valid workflow is not blamed for a bad worker of another. Error paths
 * keep the positions of the submitted items. An error about no one item refuses the whole import.
 */
export function planPartialImport(current: TenantConfig, incoming: ConfigImport): PartialImportPlan {
  const kept: Record<'workers' | 'workflows', number[]> = {
    workers: incoming.workers.map((_, index) => index),
    workflows: incoming.workflows.map((_, index) => index),
  };
  let settings = incoming.settings;
  const errors: ConfigError[] = [];
  // Each round leaves out at least one item (or the settings): bounded by the item count.
  for (let round = 0; round <= incoming.workers.length + incoming.workflows.length + 1; round += 1) {
    const attempt: ConfigImport = {
      resetBeforeImport: incoming.resetBeforeImport,
      workers: kept.workers.map((index) => incoming.workers[index]),
      workflows: kept.workflows.map((index) => incoming.workflows[index]),
      ...(settings === undefined ? {} : { settings }),
    };
    const plan = planImport(current, attempt);
    if (plan.ok) {
      const keptSettings = typeof settings === 'object' && settings !== null && Object.keys(settings).length > 0;
      // Everything left out: nothing is written, not even the reset the file asked for.
      const keptAnything = kept.workers.length + kept.workflows.length > 0 || keptSettings;
      return { config: errors.length === 0 || keptAnything ? plan.config : undefined, errors };
    }
    const located = plan.errors.map((error) => ({ error, item: itemOf(error.path) }));
    if (located.some(({ item }) => item === undefined)) return { config: undefined, errors: [...errors, ...plan.errors] };
    const section = SECTIONS.find((name) => located.some(({ item }) => item?.section === name)) as Section;
    for (const { error, item } of located) {
      if (item?.section !== section) continue;
      // Back to the submitted position: `workers[1]` of this round is the one kept.workers[1] names.
      const original = section === 'settings' ? error.path : error.path.replace(/^\w+\[\d+\]/, `${section}[${String(kept[section as 'workers'][item.index])}]`);
      errors.push({ ...error, path: original });
    }
    if (section === 'settings') settings = undefined;
    else {
      const bad = new Set(located.filter(({ item }) => item?.section === section).map(({ item }) => item?.index));
      kept[section] = kept[section].filter((_, position) => !bad.has(position));
    }
  }
  return { config: undefined, errors };
}
