import { DEFAULT_TENANT_SETTINGS, type TenantConfig, type TenantSettings, type WorkerConfig, type WorkflowConfig } from './tenant-config.js';
import type { ValidatedImport } from './import-validation.js';

/* Step 2 of planImport: the configuration the import would produce, each item tagged with where it comes from. */

export type Origin = { kind: 'kept' } | { kind: 'incoming'; index: number };
export interface Entry<T> {
  readonly config: T;
  readonly origin: Origin;
}

const KEPT: Origin = { kind: 'kept' };

export interface MergedConfig {
  settings: TenantSettings;
  /** The content types skipped after the import (empty when the settings given were invalid). */
  skipped: ReadonlySet<string>;
  /** Where an imported skipped content type is in the file, if it is in it. */
  skipPath: (contentType: string) => string | undefined;
  workers: ReadonlyMap<string, Entry<WorkerConfig>>;
  workflows: ReadonlyMap<string, Entry<WorkflowConfig>>;
}

export function mergeWithCurrent(current: TenantConfig, resetBeforeImport: boolean, validated: ValidatedImport): MergedConfig {
  const { patch } = validated;
  const base: TenantConfig = resetBeforeImport ? { workers: [], workflows: [], settings: DEFAULT_TENANT_SETTINGS, version: current.version } : current;
  const settings: TenantSettings = {
    skipContentTypes: unique(patch.skipContentTypes ?? base.settings.skipContentTypes),
  };
  const skipIndex = new Map<string, number>();
  patch.skipContentTypes?.forEach((ct, i) => {
    if (!skipIndex.has(ct)) skipIndex.set(ct, i);
  });
  const skipPath = (ct: string): string | undefined => {
    const i = skipIndex.get(ct);
    return i === undefined ? undefined : `settings.skipContentTypes[${i}]`;
  };

  const workers = new Map<string, Entry<WorkerConfig>>();
  for (const w of base.workers) if (!validated.unusableWorkerTypes.has(w.workerType)) workers.set(w.workerType, { config: w, origin: KEPT });
  for (const { index, item } of validated.workers) workers.set(item.workerType, { config: item, origin: { kind: 'incoming', index } });

  const workflows = new Map<string, Entry<WorkflowConfig>>();
  for (const wf of base.workflows) {
    if (!validated.unusableWorkflowTypes.has(wf.workflowType)) workflows.set(wf.workflowType, { config: wf, origin: KEPT });
  }
  for (const { index, item } of validated.workflows) {
    workflows.set(item.workflowType, { config: item, origin: { kind: 'incoming', index } });
  }
  return { settings, skipped: new Set(validated.settingsUsable ? settings.skipContentTypes : []), skipPath, workers, workflows };
}

export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
