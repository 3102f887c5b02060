import * as z from 'zod';

/**
 * Codes of configuration errors. The five workflow codes are the REGARDS error keys, so an operator
 * used to REGARDS recognises them; the others are ours (REGARDS reports those cases as free text or
 * not at all).
 */
export const ConfigErrorCode = {
  // REGARDS keys (WorkflowConfigService)
  DuplicatedWorkflowTypes: 'DuplicatedWorkflowTypesError',
  DuplicatedStepNumbers: 'DuplicatedStepNumbersError',
  NotExistingWorker: 'NotExistingWorkerError',
  NullContentTypeOut: 'NullContentTypeOutError',
  NonConsistentContentTypeOut: 'NonConsistentContentTypeOutError',
  // Ours: rules REGARDS has without a key, and the quirk fixes
  InvalidValue: 'InvalidValueError',
  ContentTypeAlreadyUsed: 'ContentTypeAlreadyUsedError',
  SkippedContentType: 'SkippedContentTypeError',
  WorkerTypeDeclaredTwice: 'WorkerTypeDeclaredTwiceError',
  WorkflowTypeDeclaredTwice: 'WorkflowTypeDeclaredTwiceError',
  WorkerQueueCollision: 'WorkerQueueCollisionError',
  // Ours: the file envelope
  InvalidConfigFile: 'InvalidConfigFileError',
  UnknownConfigKey: 'UnknownConfigKeyError',
  UnknownModule: 'UnknownModuleError',
  MissingModule: 'MissingModuleError',
  ModuleDeclaredTwice: 'ModuleDeclaredTwiceError',
  UnknownSetting: 'UnknownSettingError',
  SettingDeclaredTwice: 'SettingDeclaredTwiceError',
  InvalidSettingValue: 'InvalidSettingValueError',
  /** A warning, not an error: a field of a REGARDS item this manager does not know, ignored as REGARDS does. */
  UnknownField: 'UnknownFieldWarning',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

export const ConfigErrorSchema = z.object({
  code: z.string(),
  /** Where the error is, in the document that was submitted: `workflows[2].steps[1].workerType`. */
  path: z.string(),
  message: z.string(),
});
export type ConfigError = z.infer<typeof ConfigErrorSchema>;

/** `['workers', 2, 'contentTypeInputs', 0]` → `workers[2].contentTypeInputs[0]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** Joins a prefix path and a relative one without a dangling dot. */
export function joinPath(prefix: string, relative: string): string {
  if (prefix === '') return relative;
  if (relative === '') return prefix;
  return relative.startsWith('[') ? `${prefix}${relative}` : `${prefix}.${relative}`;
}

/**
 * Zod issues as config errors under `prefix`. An unknown field becomes one error per field, at the
 * field's own path, so a typo such as `keepError` is pointed at directly.
 */
export function zodIssuesToConfigErrors(prefix: string, error: z.ZodError): ConfigError[] {
  const out: ConfigError[] = [];
  for (const issue of error.issues) {
    const at = joinPath(prefix, formatPath(issue.path));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ code: ConfigErrorCode.InvalidValue, path: joinPath(at, key), message: `unknown field "${key}"` });
      }
    } else {
      out.push({ code: ConfigErrorCode.InvalidValue, path: at, message: issue.message });
    }
  }
  return out;
}
