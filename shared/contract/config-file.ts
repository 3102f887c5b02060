import { z } from 'zod';
import { ConfigErrorCode, type ConfigError, zodIssuesToConfigErrors } from '../domain/config/config-error.js';
import { planImport, type ConfigImport, type ImportPlan } from '../domain/config/import-config.js';
import {
  DEFAULT_DEADLINES,
  DEFAULT_RETRY_POLICY,
  type TenantConfig,
  type WorkerConfig,
  type WorkflowConfig,
} from '../domain/config/tenant-config.js';

/*
 * The two files a tenant configuration is imported from and exported to:
 * - the REGARDS microservice-configuration file (`GET/POST /microservice/configuration`), so a
 *   REGARDS export imports here unchanged and the other way round;
 * - a plain native file, `{ format: 'worker-manager/v1', ... }`, easier to write by hand.
 * Both carry our extension fields (retry, deadlines) on worker items; REGARDS ignores unknown
 * fields on read, so a file exported here still imports into REGARDS.
 *
 * The envelope is checked here; the items are handed over raw, and planImport validates them, so
 * one import answers with every error at once.
 */

export const REGARDS_CONFIG_KEYS = {
  worker: 'fr.cnes.regards.modules.workermanager.dto.WorkerConfigDto',
  workflow: 'fr.cnes.regards.modules.workermanager.dto.WorkflowConfigDto',
  setting: 'fr.cnes.regards.framework.modules.tenant.settings.domain.DynamicTenantSetting',
} as const;
export const REGARDS_MODULE_ID = 'workermanager';
export const REGARDS_MICROSERVICE = 'rs-worker-manager';
export const SKIP_CONTENT_TYPES_SETTING = 'skipContentTypes';
export const NATIVE_FORMAT = 'worker-manager/v1';

export type ConfigFileFormat = 'regards' | 'native';

// ---------------------------------------------------------------------------------------------
// REGARDS format

const RegardsModuleInfoSchema = z.looseObject({ id: z.string() });
const RegardsConfigurationItemSchema = z.object({ key: z.string(), value: z.unknown() });
const RegardsModuleSchema = z.object({
  module: RegardsModuleInfoSchema,
  resetBeforeImport: z.boolean().default(false),
  configuration: z.array(RegardsConfigurationItemSchema).default([]),
});
export const RegardsConfigFileSchema = z.object({
  microservice: z.string().optional(),
  modules: z.array(RegardsModuleSchema),
});
export type RegardsConfigFile = z.infer<typeof RegardsConfigFileSchema>;

/** A DynamicTenantSetting item. REGARDS writes the list as a JSON string; a plain array is accepted too. */
const DynamicTenantSettingSchema = z.looseObject({
  name: z.string(),
  value: z.union([z.string(), z.array(z.unknown())]),
  className: z.string().optional(),
});

/** The module block of a REGARDS export (the values REGARDS itself writes). */
const REGARDS_MODULE_INFO = {
  id: REGARDS_MODULE_ID,
  name: 'Worker Manager module',
  description: 'Dispatch request to workers',
  version: '1.8.0',
  author: 'REGARDS',
  legalOwner: 'CNES',
  documentation: 'https://github.com/RegardsOss',
};

// ---------------------------------------------------------------------------------------------
// Native format

export const NativeConfigFileSchema = z.strictObject({
  format: z.literal(NATIVE_FORMAT),
  resetBeforeImport: z.boolean().default(false),
  settings: z.unknown().optional(),
  workers: z.array(z.unknown()).default([]),
  workflows: z.array(z.unknown()).default([]),
});

export interface NativeConfigFile {
  format: typeof NATIVE_FORMAT;
  resetBeforeImport: boolean;
  settings: { skipContentTypes: string[] };
  workers: WorkerConfig[];
  workflows: WorkflowConfig[];
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Where each part of the import sits in the file, as `[import path prefix, file path prefix]`
 * pairs: planImport speaks of `workers[1]`, the operator wants `modules[0].configuration[4].value`.
 */
export interface ImportOrigins {
  readonly prefixes: ReadonlyArray<readonly [string, string]>;
}

export type ConfigFileParse =
  | { ok: true; format: ConfigFileFormat; import: ConfigImport; origins: ImportOrigins }
  | { ok: false; errors: ConfigError[] };

interface FileReading {
  format?: ConfigFileFormat;
  /** Absent when the envelope is too broken to find the items. */
  import?: ConfigImport;
  origins: ImportOrigins;
  errors: ConfigError[];
}

const IDENTITY: ImportOrigins = { prefixes: [] };

export function detectConfigFileFormat(json: unknown): ConfigFileFormat | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  if ('format' in json) return 'native';
  if ('modules' in json) return 'regards';
  return undefined;
}

/** Reads either format. Any error (an unknown key included) means no import. */
export function parseConfigFile(json: unknown): ConfigFileParse {
  const reading = readConfigFile(json);
  if (reading.import === undefined || reading.format === undefined || reading.errors.length > 0) {
    return { ok: false, errors: reading.errors };
  }
  return { ok: true, format: reading.format, import: reading.import, origins: reading.origins };
}

/**
 * Parse and plan in one go, so that the file's own errors and the rule errors come back together,
 * every path pointing into the submitted file.
 */
export function importConfigFile(current: TenantConfig, json: unknown): ImportPlan {
  const reading = readConfigFile(json);
  if (reading.import === undefined) return { ok: false, errors: reading.errors };
  const plan = planImport(current, reading.import);
  const errors = [...reading.errors, ...(plan.ok ? [] : locateImportErrors(plan.errors, reading.origins))];
  return errors.length > 0 ? { ok: false, errors } : plan;
}

/** Rewrites planImport paths (`workers[1].workerType`) into paths of the file they came from. */
export function locateImportErrors(errors: readonly ConfigError[], origins: ImportOrigins): ConfigError[] {
  return errors.map((error) => {
    let best: readonly [string, string] | undefined;
    for (const pair of origins.prefixes) {
      const [from] = pair;
      const matches = error.path === from || error.path.startsWith(`${from}.`) || error.path.startsWith(`${from}[`);
      if (matches && (best === undefined || from.length > best[0].length)) best = pair;
    }
    return best === undefined ? { ...error } : { ...error, path: best[1] + error.path.slice(best[0].length) };
  });
}

function readConfigFile(json: unknown): FileReading {
  switch (detectConfigFileFormat(json)) {
    case 'native':
      return readNative(json);
    case 'regards':
      return readRegards(json);
    default:
      return {
        origins: IDENTITY,
        errors: [
          {
            code: ConfigErrorCode.InvalidConfigFile,
            path: '',
            message: `not a configuration file: expected a REGARDS microservice configuration ({ microservice, modules: [...] }) or { "format": "${NATIVE_FORMAT}", ... }`,
          },
        ],
      };
  }
}

function readNative(json: unknown): FileReading {
  const parsed = NativeConfigFileSchema.safeParse(json);
  if (!parsed.success) {
    return { format: 'native', origins: IDENTITY, errors: asFileErrors(parsed.error) };
  }
  const file = parsed.data;
  const configImport: ConfigImport = {
    resetBeforeImport: file.resetBeforeImport,
    workers: file.workers,
    workflows: file.workflows,
    ...(file.settings === undefined ? {} : { settings: file.settings }),
  };
  return { format: 'native', import: configImport, origins: IDENTITY, errors: [] };
}

function readRegards(json: unknown): FileReading {
  const parsed = RegardsConfigFileSchema.safeParse(json);
  if (!parsed.success) {
    return { format: 'regards', origins: IDENTITY, errors: asFileErrors(parsed.error) };
  }
  const errors: ConfigError[] = [];
  let moduleIndex: number | undefined;
  parsed.data.modules.forEach((mod, m) => {
    const path = `modules[${m}].module.id`;
    if (mod.module.id !== REGARDS_MODULE_ID) {
      errors.push({
        code: ConfigErrorCode.UnknownModule,
        path,
        message: `unknown module "${mod.module.id}": this service only has the "${REGARDS_MODULE_ID}" module`,
      });
    } else if (moduleIndex !== undefined) {
      errors.push({
        code: ConfigErrorCode.ModuleDeclaredTwice,
        path,
        message: `module "${REGARDS_MODULE_ID}" is declared more than once (also modules[${moduleIndex}])`,
      });
    } else {
      moduleIndex = m;
    }
  });
  const mod = moduleIndex === undefined ? undefined : parsed.data.modules[moduleIndex];
  if (mod === undefined) {
    errors.push({
      code: ConfigErrorCode.MissingModule,
      path: 'modules',
      message: `no "${REGARDS_MODULE_ID}" module in this file`,
    });
    return { format: 'regards', origins: IDENTITY, errors };
  }

  const base = `modules[${moduleIndex}].configuration`;
  const workers: unknown[] = [];
  const workflows: unknown[] = [];
  const prefixes: Array<readonly [string, string]> = [];
  let settings: { skipContentTypes: unknown } | undefined;
  let settingIndex: number | undefined;

  mod.configuration.forEach((item, c) => {
    const at = `${base}[${c}]`;
    switch (item.key) {
      case REGARDS_CONFIG_KEYS.worker:
        prefixes.push([`workers[${workers.length}]`, `${at}.value`]);
        workers.push(item.value);
        return;
      case REGARDS_CONFIG_KEYS.workflow:
        prefixes.push([`workflows[${workflows.length}]`, `${at}.value`]);
        workflows.push(item.value);
        return;
      case REGARDS_CONFIG_KEYS.setting: {
        const setting = DynamicTenantSettingSchema.safeParse(item.value);
        if (!setting.success) {
          errors.push(...zodIssuesToConfigErrors(`${at}.value`, setting.error).map(asSettingError));
          return;
        }
        if (setting.data.name !== SKIP_CONTENT_TYPES_SETTING) {
          errors.push({
            code: ConfigErrorCode.UnknownSetting,
            path: `${at}.value.name`,
            message: `unknown setting "${setting.data.name}": the only tenant setting is "${SKIP_CONTENT_TYPES_SETTING}"`,
          });
          return;
        }
        if (settingIndex !== undefined) {
          errors.push({
            code: ConfigErrorCode.SettingDeclaredTwice,
            path: `${at}.value.name`,
            message: `setting "${SKIP_CONTENT_TYPES_SETTING}" is declared more than once (also ${base}[${settingIndex}])`,
          });
          return;
        }
        settingIndex = c;
        const value = decodeListSetting(setting.data.value);
        if (!value.ok) {
          errors.push({ code: ConfigErrorCode.InvalidSettingValue, path: `${at}.value.value`, message: value.message });
          return;
        }
        settings = { skipContentTypes: value.list };
        prefixes.push(['settings.skipContentTypes', `${at}.value.value`]);
        return;
      }
      default:
        errors.push({
          code: ConfigErrorCode.UnknownConfigKey,
          path: `${at}.key`,
          message: `unknown configuration key "${item.key}": expected one of ${Object.values(REGARDS_CONFIG_KEYS).join(', ')}`,
        });
    }
  });

  const configImport: ConfigImport = {
    resetBeforeImport: mod.resetBeforeImport,
    workers,
    workflows,
    ...(settings === undefined ? {} : { settings }),
  };
  return { format: 'regards', import: configImport, origins: { prefixes }, errors };
}

/** The setting's value: REGARDS writes `"[\"a\",\"b\"]"`, a JSON list inside a string. */
function decodeListSetting(value: string | unknown[]): { ok: true; list: unknown[] } | { ok: false; message: string } {
  if (Array.isArray(value)) return { ok: true, list: value };
  let decoded: unknown;
  try {
    decoded = JSON.parse(value);
  } catch {
    return { ok: false, message: `must be a JSON list of content types such as "[\\"a\\",\\"b\\"]", got ${JSON.stringify(value)}` };
  }
  if (!Array.isArray(decoded)) {
    return { ok: false, message: `must be a JSON list of content types such as "[\\"a\\",\\"b\\"]", got ${JSON.stringify(value)}` };
  }
  return { ok: true, list: decoded };
}

function asFileErrors(error: z.ZodError): ConfigError[] {
  return zodIssuesToConfigErrors('', error).map((e) => ({ ...e, code: ConfigErrorCode.InvalidConfigFile }));
}

function asSettingError(error: ConfigError): ConfigError {
  return { ...error, code: ConfigErrorCode.InvalidSettingValue };
}

// ---------------------------------------------------------------------------------------------
// Export

/**
 * The configuration as a REGARDS file. `resetBeforeImport` defaults to true: an export is a whole
 * snapshot, and importing it back should give exactly that snapshot, not a merge with what is there.
 * Extension fields are written only when they differ from their defaults, so a configuration that
 * uses none of them exports exactly as REGARDS would.
 */
export function toRegardsConfigFile(
  config: TenantConfig,
  options: { resetBeforeImport?: boolean } = {},
): RegardsConfigFile {
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
