import * as z from 'zod';

/*
 * The two files a tenant configuration is imported from and exported to:
 * - the REGARDS microservice-configuration file (`GET/POST /microservice/configuration`), so a
 *   REGARDS export imports here unchanged and the other way round;
 * - a plain native file, `{ format: 'worker-manager/v1', ... }`, easier to write by hand.
 * Both carry our extension fields (retry, deadlines) on worker items; REGARDS ignores unknown
 * fields on read, so a file exported here still imports into REGARDS.
 *
 * The envelope is described here; the items are raw, and the domain's import planning validates
 * them (shared/domain/config/config-file-reader.ts), so one import answers with every error at once.
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
export const DynamicTenantSettingSchema = z.looseObject({
  name: z.string(),
  value: z.union([z.string(), z.array(z.unknown())]),
  className: z.string().optional(),
});

/** The module block of a REGARDS export (the values REGARDS itself writes). */
export const REGARDS_MODULE_INFO = {
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
