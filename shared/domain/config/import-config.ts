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
