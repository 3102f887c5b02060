import type * as z from 'zod';
import {
  NATIVE_FORMAT,
  NativeConfigFileSchema,
  REGARDS_CONFIG_KEYS,
  REGARDS_MODULE_ID,
  DynamicTenantSettingSchema,
  RegardsConfigFileSchema,
  SKIP_CONTENT_TYPES_SETTING,
  type ConfigFileFormat,
} from '../../contract/config-file.js';
import { ConfigErrorCode, type ConfigError, zodIssuesToConfigErrors } from './config-error.js';
import { planImport, planPartialImport, type ConfigImport, type ImportPlan, type PartialImportPlan } from './import-config.js';
import { WorkerConfigSchema, WorkflowConfigSchema, WorkflowStepSchema, type TenantConfig } from './tenant-config.js';

/* Reads a configuration file (either format) into an import, with every error's path pointing into the file. */

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Where each part of the import sits in the file, as `[import path prefix, file path prefix]`
 * pairs: planImport speaks of `workers[1]`, the operator wants `modules[0].configuration[4].value`.
 */
export interface ImportOrigins {
  readonly prefixes: ReadonlyArray<readonly [string, string]>;
}

export type ConfigFileParse = { ok: true; format: ConfigFileFormat; import: ConfigImport; origins: ImportOrigins } | { ok: false; errors: ConfigError[] };

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

/**
 * The partial import REGARDS makes (see planPartialImport): the file's items with errors are left
 * out, the valid ones kept; an envelope too broken to find the items keeps nothing. Every error's
 * path points into the submitted file.
 */
export function importConfigFilePartially(current: TenantConfig, json: unknown): PartialImportPlan {
  const reading = readConfigFile(json);
  if (reading.import === undefined) return { config: undefined, errors: reading.errors };
  const plan = planPartialImport(current, reading.import);
  return { config: plan.config, errors: [...reading.errors, ...locateImportErrors(plan.errors, reading.origins)] };
}

const WORKER_FIELDS = new Set(Object.keys(WorkerConfigSchema.shape));
const WORKFLOW_FIELDS = new Set(Object.keys(WorkflowConfigSchema.shape));
const STEP_FIELDS = new Set(Object.keys(WorkflowStepSchema.shape));

/**
 * A REGARDS item without the fields this manager does not know (REGARDS' Jackson reads with
 * FAIL_ON_UNKNOWN_PROPERTIES false, so a newer REGARDS export, or an id it adds, must not refuse
 * the item), and each field left out as a warning at its path. Our own extension fields (retry,
 * deadlines) and the native format stay strict: a typo there is refused, not ignored.
 */
function knownFields(value: unknown, known: ReadonlySet<string>, at: string): { value: unknown; ignored: ConfigError[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { value, ignored: [] };
  const entries = Object.entries(value);
  const ignored = entries
    .filter(([key]) => !known.has(key))
    .map(([key]) => ({ code: ConfigErrorCode.UnknownField, path: `${at}.${key}`, message: `unknown field "${key}" ignored` }));
  return { value: ignored.length === 0 ? value : Object.fromEntries(entries.filter(([key]) => known.has(key))), ignored };
}

function knownWorkflowFields(value: unknown, at: string): { value: unknown; ignored: ConfigError[] } {
  const top = knownFields(value, WORKFLOW_FIELDS, at);
  const steps = (top.value as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return top;
  const read = steps.map((step, index) => knownFields(step, STEP_FIELDS, `${at}.steps[${index}]`));
  return { value: { ...(top.value as object), steps: read.map((step) => step.value) }, ignored: [...top.ignored, ...read.flatMap((step) => step.ignored)] };
}

/** The fields of a REGARDS file's items that an import ignores, each at its path in the file: the import's warnings. */
export function ignoredFields(json: unknown): ConfigError[] {
  if (detectConfigFileFormat(json) !== 'regards') return [];
  const parsed = RegardsConfigFileSchema.safeParse(json);
  if (!parsed.success) return [];
  return parsed.data.modules.flatMap((mod, m) =>
    mod.module.id !== REGARDS_MODULE_ID
      ? []
      : mod.configuration.flatMap((item, c) => {
          const at = `modules[${m}].configuration[${c}].value`;
          if (item.key === REGARDS_CONFIG_KEYS.worker) return knownFields(item.value, WORKER_FIELDS, at).ignored;
          return item.key === REGARDS_CONFIG_KEYS.workflow ? knownWorkflowFields(item.value, at).ignored : [];
        }),
  );
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
  const moduleIndex = findRegardsModule(parsed.data.modules, errors);
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
        workers.push(knownFields(item.value, WORKER_FIELDS, `${at}.value`).value);
        return;
      case REGARDS_CONFIG_KEYS.workflow:
        prefixes.push([`workflows[${workflows.length}]`, `${at}.value`]);
        workflows.push(knownWorkflowFields(item.value, `${at}.value`).value);
        return;
      case REGARDS_CONFIG_KEYS.setting: {
        const setting = readSkipContentTypes(item.value, at, settingIndex === undefined ? undefined : `${base}[${settingIndex}]`, errors);
        if (setting.claimed) settingIndex = c;
        if (setting.list === undefined) return;
        settings = { skipContentTypes: setting.list };
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

/** The index of the one worker-manager module of the file; unknown and repeated modules are reported. */
function findRegardsModule(modules: readonly { module: { id: string } }[], errors: ConfigError[]): number | undefined {
  let moduleIndex: number | undefined;
  modules.forEach((mod, m) => {
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
  return moduleIndex;
}

/**
 * A setting item: the skipContentTypes list, or undefined once the reason it is unusable is
 * reported. `claimed` says whether it is the file's skipContentTypes setting (a later one is then
 * declared twice), which holds even when its value cannot be decoded.
 */
function readSkipContentTypes(raw: unknown, at: string, earlier: string | undefined, errors: ConfigError[]): { claimed: boolean; list?: unknown[] } {
  const setting = DynamicTenantSettingSchema.safeParse(raw);
  if (!setting.success) {
    errors.push(...zodIssuesToConfigErrors(`${at}.value`, setting.error).map(asSettingError));
    return { claimed: false };
  }
  if (setting.data.name !== SKIP_CONTENT_TYPES_SETTING) {
    errors.push({
      code: ConfigErrorCode.UnknownSetting,
      path: `${at}.value.name`,
      message: `unknown setting "${setting.data.name}": the only tenant setting is "${SKIP_CONTENT_TYPES_SETTING}"`,
    });
    return { claimed: false };
  }
  if (earlier !== undefined) {
    errors.push({
      code: ConfigErrorCode.SettingDeclaredTwice,
      path: `${at}.value.name`,
      message: `setting "${SKIP_CONTENT_TYPES_SETTING}" is declared more than once (also ${earlier})`,
    });
    return { claimed: false };
  }
  const value = decodeListSetting(setting.data.value);
  if (!value.ok) {
    errors.push({ code: ConfigErrorCode.InvalidSettingValue, path: `${at}.value.value`, message: value.message });
    return { claimed: true };
  }
  return { claimed: true, list: value.list };
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
