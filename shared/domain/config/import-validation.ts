import type { ZodType } from 'zod';
import { ConfigErrorCode, type ConfigError, zodIssuesToConfigErrors } from './config-error.js';
import {
  TenantSettingsPatchSchema,
  WorkerConfigDtoSchema,
  WorkflowConfigDtoSchema,
  type TenantSettingsPatch,
  type WorkerConfig,
  type WorkflowConfig,
} from './tenant-config.js';

/* Step 1 of planImport: bean validation of every item, and duplicates inside the import. */

export interface Validated<T> {
  readonly index: number;
  readonly item: T;
}

export interface ValidatedImport {
  /** The settings patch; empty when absent or invalid. */
  patch: TenantSettingsPatch;
  /** False when the settings were given but invalid: their skipped content types are not checked. */
  settingsUsable: boolean;
  workers: Validated<WorkerConfig>[];
  workflows: Validated<WorkflowConfig>[];
  /**
   * Types whose item is invalid are left out of every later check: their own errors say what is
   * wrong, and checking the stored version in their place would report conflicts that are not real.
   */
  unusableWorkerTypes: ReadonlySet<string>;
  unusableWorkflowTypes: ReadonlySet<string>;
  errors: ConfigError[];
}

/** The items of an import (see ConfigImport), parsed; every shape error and every type declared twice is reported. */
export function validateImport(incoming: {
  readonly workers: readonly unknown[];
  readonly workflows: readonly unknown[];
  readonly settings?: unknown;
}): ValidatedImport {
  const errors: ConfigError[] = [];
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
  const unusableWorkerTypes = new Set<string>();
  const workers = validateItems(incoming.workers, 'workers', 'workerType', WorkerConfigDtoSchema, errors, unusableWorkerTypes);
  const unusableWorkflowTypes = new Set<string>();
  const workflows = validateItems(incoming.workflows, 'workflows', 'workflowType', WorkflowConfigDtoSchema, errors, unusableWorkflowTypes);
  reportDeclaredTwice(incoming.workers, 'workers', 'workerType', ConfigErrorCode.WorkerTypeDeclaredTwice, 'worker', errors);
  reportDeclaredTwice(incoming.workflows, 'workflows', 'workflowType', ConfigErrorCode.WorkflowTypeDeclaredTwice, 'workflow', errors);
  return { patch, settingsUsable, workers, workflows, unusableWorkerTypes, unusableWorkflowTypes, errors };
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

function reportDeclaredTwice(raws: readonly unknown[], section: string, key: string, code: ConfigErrorCode, what: string, errors: ConfigError[]): void {
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
