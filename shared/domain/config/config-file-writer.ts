import {
  NATIVE_FORMAT,
  REGARDS_CONFIG_KEYS,
  REGARDS_MICROSERVICE,
  REGARDS_MODULE_INFO,
  SKIP_CONTENT_TYPES_SETTING,
  type RegardsConfigFile,
} from '../../contract/config-file.js';
import { DEFAULT_DEADLINES, DEFAULT_RETRY_POLICY, type TenantConfig, type WorkerConfig, type WorkflowConfig } from './tenant-config.js';

export interface NativeConfigFile {
  format: typeof NATIVE_FORMAT;
  resetBeforeImport: boolean;
  settings: { skipContentTypes: string[] };
  workers: WorkerConfig[];
  workflows: WorkflowConfig[];
}

// ---------------------------------------------------------------------------------------------
// Export

/**
 * The configuration as a REGARDS file. `resetBeforeImport` defaults to true: an export is a whole
 * snapshot, and importing it back should give exactly that snapshot, not a merge with what is there.
 * Extension fields are written only when they differ from their defaults, so a configuration that
 * uses none of them exports exactly as REGARDS would.
 */
export function toRegardsConfigFile(config: TenantConfig, options: { resetBeforeImport?: boolean } = {}): RegardsConfigFile {
  const configuration: RegardsConfigFile['modules'][number]['configuration'] = [
    {
      key: REGARDS_CONFIG_KEYS.setting,
      value: {
        name: SKIP_CONTENT_TYPES_SETTING,
        description: 'List of content-types to ignore for requests dispatch.',
        value: JSON.stringify(config.settings.skipContentTypes),
        defaultValue: '[]',
        className: 'java.util.ArrayList',
      },
    },
    ...config.workers.map((worker) => ({ key: REGARDS_CONFIG_KEYS.worker, value: regardsWorkerItem(worker) })),
    ...config.workflows.map((workflow) => ({ key: REGARDS_CONFIG_KEYS.workflow, value: workflowDto(workflow) })),
  ];
  return {
    microservice: REGARDS_MICROSERVICE,
    modules: [
      {
        module: { ...REGARDS_MODULE_INFO },
        resetBeforeImport: options.resetBeforeImport ?? true,
        configuration,
      },
    ],
  };
}

/** The configuration as a native file, every field written out (same reset default as above). */
export function toNativeConfigFile(config: TenantConfig, options: { resetBeforeImport?: boolean } = {}): NativeConfigFile {
  return {
    format: NATIVE_FORMAT,
    resetBeforeImport: options.resetBeforeImport ?? true,
    settings: { skipContentTypes: [...config.settings.skipContentTypes] },
    workers: config.workers.map(copyWorker),
    workflows: config.workflows.map(workflowDto),
  };
}

/** A worker item of a REGARDS file: the extension fields only when they say something. */
type RegardsWorkerItem = Omit<WorkerConfig, 'retry' | 'deadlines'> & Partial<Pick<WorkerConfig, 'retry' | 'deadlines'>>;

function regardsWorkerItem(worker: WorkerConfig): RegardsWorkerItem {
  const { retry, deadlines, ...rest } = copyWorker(worker);
  return {
    ...rest,
    ...(isDeepEqual(retry, DEFAULT_RETRY_POLICY) ? {} : { retry }),
    ...(isDeepEqual(deadlines, DEFAULT_DEADLINES) ? {} : { deadlines }),
  };
}

function copyWorker(worker: WorkerConfig): WorkerConfig {
  return {
    workerType: worker.workerType,
    contentTypeInputs: [...worker.contentTypeInputs],
    ...(worker.contentTypeOutput === undefined ? {} : { contentTypeOutput: worker.contentTypeOutput }),
    keepErrors: worker.keepErrors,
    retry: { ...worker.retry, retryOn: [...worker.retry.retryOn] },
    deadlines: { ...worker.deadlines },
  };
}

function workflowDto(workflow: WorkflowConfig): WorkflowConfig {
  return {
    workflowType: workflow.workflowType,
    steps: workflow.steps.map((step) => ({ stepNumber: step.stepNumber, workerType: step.workerType })),
    keepErrors: workflow.keepErrors,
  };
}

/** Structural equality of plain JSON values, key order ignored (stored items may come back reordered). */
function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((value, i) => isDeepEqual(value, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const otherKeys = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return keys.length === otherKeys.length && keys.every((k) => isDeepEqual(ra[k], rb[k]));
}
