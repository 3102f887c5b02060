import { NATIVE_FORMAT, SKIP_CONTENT_TYPES_SETTING, type RegardsConfigFile } from '../../contract/config-file.js';
import { detectConfigFileFormat, ignoredFields, importConfigFile, importConfigFilePartially } from '../../domain/config/config-file-reader.js';
import { toNativeConfigFile, toRegardsConfigFile, type NativeConfigFile } from '../../domain/config/config-file-writer.js';
import type { ConfigStore } from '../../ports/config-store.js';
import type { Logger } from '../../kernel/logger.js';
import { ConfigErrorCode, type ConfigError } from '../../domain/config/config-error.js';
import { planImport, type ImportPlan } from '../../domain/config/import-config.js';
import { DEFAULT_TENANT_SETTINGS, EMPTY_TENANT_CONFIG, type TenantConfig, type TenantSettings } from '../../domain/config/tenant-config.js';
import type { TenantConfigs } from '../services/tenant-configs.js';
import { redispatchWaiting, type RedispatchReport, type RedispatchWaitingDeps } from './redispatch-waiting.js';
import { ConfigurationConflictError, ConfigurationRefusedError, SettingNotFoundError } from './use-case-errors.js';

// admin-api /microservice/configuration, /configuration/native, /settings --> (use case) --> ConfigStore, redispatchWaiting

export interface ConfigureTenantDeps extends RedispatchWaitingDeps {
  configStore: ConfigStore;
  tenants: TenantConfigs;
  logger: Logger;
}

/** Waiting requests looked at right after an import; the sweeper's periodic pass does the rest. */
export const IMPORT_REDISPATCH_LIMIT = 1_000;
/** Imports racing for one tenant's configuration: re-planned on the fresh state this many times. */
const MAX_WRITE_ROUNDS = 3;

export function exportConfiguration(tenant: string, format: 'regards', deps: Pick<ConfigureTenantDeps, 'configStore'>): Promise<RegardsConfigFile>;
export function exportConfiguration(tenant: string, format: 'native', deps: Pick<ConfigureTenantDeps, 'configStore'>): Promise<NativeConfigFile>;
export async function exportConfiguration(
  tenant: string,
  format: 'regards' | 'native',
  deps: Pick<ConfigureTenantDeps, 'configStore'>,
): Promise<RegardsConfigFile | NativeConfigFile> {
  const config = (await deps.configStore.get(tenant)) ?? EMPTY_TENANT_CONFIG;
  return format === 'regards' ? toRegardsConfigFile(config) : toNativeConfigFile(config);
}

export interface ImportResult {
  config: TenantConfig;
  /** A partial import's items left out, each with its errors (empty when everything was imported). */
  errors: ConfigError[];
  /** Fields of REGARDS items this manager does not know: ignored (as REGARDS does), not refused. */
  warnings: ConfigError[];
  /** What the waiting requests became under the new configuration (bounded; see IMPORT_REDISPATCH_LIMIT). */
  redispatch: RedispatchReport;
}

/**
 * Imports a configuration file all or nothing: every error is listed and nothing is written, or
 * the whole new configuration is written in one conditional put. `partial` imports as REGARDS
 * does: the valid items are written, those with errors left out and returned in `errors`, and the
 * import is refused (every error) only when no item is valid. Then the tenant's cached view is
 * dropped and its waiting requests (unrouted ones included) are routed and dispatched again.
 */
export async function importConfiguration(
  input: { tenant: string; file: unknown; format?: 'native' | undefined; partial?: boolean | undefined },
  deps: ConfigureTenantDeps,
): Promise<ImportResult> {
  if (input.format === 'native' && detectConfigFileFormat(input.file) !== 'native') {
    throw new ConfigurationRefusedError([
      { code: ConfigErrorCode.InvalidConfigFile, path: 'format', message: `this endpoint takes the native format: { "format": "${NATIVE_FORMAT}", ... }` },
    ]);
  }
  // Partial (REGARDS): the items with errors are left out and reported; refused only when none is left.
  let errors: ConfigError[] = [];
  const config = await writePlanned(
    input.tenant,
    (current) => {
      if (input.partial !== true) return importConfigFile(current, input.file);
      const plan = importConfigFilePartially(current, input.file);
      errors = plan.errors;
      return plan.config === undefined ? { ok: false, errors: plan.errors } : { ok: true, config: plan.config };
    },
    deps,
  );
  deps.logger.info('tenant configuration imported', {
    tenant: input.tenant,
    version: config.version,
    workers: config.workers.length,
    workflows: config.workflows.length,
    leftOut: errors.length,
  });
  const redispatch = await redispatchWaiting(
    { tenants: [input.tenant], workerTypes: config.workers.map((worker) => worker.workerType), includeUnrouted: true, limit: IMPORT_REDISPATCH_LIMIT },
    deps,
  );
  const warnings = ignoredFields(input.file);
  if (warnings.length > 0) deps.logger.warn('unknown fields of configuration items ignored', { tenant: input.tenant, fields: warnings.map((w) => w.path) });
  return { config, errors, warnings, redispatch };
}

export interface TenantDeclaration {
  tenant: string;
  /** False when it was declared already: declaring is idempotent. */
  created: boolean;
  configured: boolean;
}

/**
 * Declares a tenant (instance administrators): from now on its requests are stored and wait,
 * unrouted, until a configuration is imported. In the default `declared` tenants mode, this or
 * an import is the only way a tenant comes to exist.
 */
export async function declareTenant(tenant: string, deps: Pick<ConfigureTenantDeps, 'configStore' | 'tenants' | 'logger'>): Promise<TenantDeclaration> {
  const configured = (await deps.configStore.get(tenant)) !== undefined;
  const known = configured || (await deps.configStore.isDeclared(tenant));
  if (!known) await deps.configStore.registerTenants([tenant]);
  deps.tenants.invalidate(tenant);
  if (!known) deps.logger.info('tenant declared', { tenant });
  return { tenant, created: !known, configured };
}

/** The tenant settings REGARDS exposes through `/settings` (only skipContentTypes has a meaning here). */
export const TENANT_SETTINGS = {
  [SKIP_CONTENT_TYPES_SETTING]: {
    description: 'List of content-types to ignore for requests dispatch.',
    defaultValue: DEFAULT_TENANT_SETTINGS.skipContentTypes,
  },
} as const;
export type TenantSettingName = keyof typeof TENANT_SETTINGS;

export function isTenantSetting(name: string): name is TenantSettingName {
  return Object.hasOwn(TENANT_SETTINGS, name);
}

export async function getSettings(tenant: string, deps: Pick<ConfigureTenantDeps, 'configStore'>): Promise<TenantSettings> {
  return ((await deps.configStore.get(tenant)) ?? EMPTY_TENANT_CONFIG).settings;
}

/**
 * Changes one setting through the import rules, so a skip list that would silence a configured
 * worker or workflow is refused like an import would be. `value` undefined resets it.
 */
export async function updateSetting(
  input: { tenant: string; name: string; value: unknown },
  deps: Pick<ConfigureTenantDeps, 'configStore' | 'tenants' | 'logger'>,
): Promise<TenantSettings> {
  const { name } = input;
  if (!isTenantSetting(name)) throw new SettingNotFoundError(`no tenant setting "${name}": the only one is "${SKIP_CONTENT_TYPES_SETTING}"`);
  const value = input.value === undefined ? [...TENANT_SETTINGS[name].defaultValue] : input.value;
  const config = await writePlanned(
    input.tenant,
    (current) => planImport(current, { resetBeforeImport: false, workers: [], workflows: [], settings: { [name]: value } }),
    deps,
  );
  deps.logger.info('tenant setting changed', { tenant: input.tenant, name, version: config.version });
  return config.settings;
}

async function writePlanned(
  tenant: string,
  plan: (current: TenantConfig) => ImportPlan,
  deps: Pick<ConfigureTenantDeps, 'configStore' | 'tenants'>,
): Promise<TenantConfig> {
  for (let round = 0; round < MAX_WRITE_ROUNDS; round += 1) {
    const stored = await deps.configStore.get(tenant);
    const planned = plan(stored ?? EMPTY_TENANT_CONFIG);
    if (!planned.ok) throw new ConfigurationRefusedError(planned.errors);
    const written = await deps.configStore.put(tenant, planned.config, stored === undefined ? null : stored.version);
    if (written === 'written') {
      await deps.configStore.registerTenants([tenant]);
      deps.tenants.invalidate(tenant);
      return planned.config;
    }
  }
  throw new ConfigurationConflictError(`the configuration of this tenant kept changing during the import (${MAX_WRITE_ROUNDS} attempts); try again`);
}
