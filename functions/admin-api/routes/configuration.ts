import { exportConfiguration, importConfiguration, type ConfigureTenantDeps } from '../../../shared/application/use-cases/configure-tenant.js';
import { REGARDS_MODULE_ID } from '../../../shared/contract/config-file.js';
import { defineRoute, type Route } from '../../../shared/lambda/http/router.js';
import { ConfigurationRefusedError } from '../../../shared/application/use-cases/use-case-errors.js';
import type { ConfigError } from '../../../shared/domain/config/config-error.js';
import {
  ConfigFileInputSchema,
  ImportQuerySchema,
  ImportReportSchema,
  NativeConfigFileOutputSchema,
  NativeImportResultSchema,
  RegardsConfigFileOutputSchema,
} from '../schema.js';

const REGARDS_MODULE = { id: REGARDS_MODULE_ID, name: 'Worker Manager module' };

const text = (error: ConfigError) => `${error.path === '' ? '' : `${error.path}: `}${error.message}`;

/** REGARDS' ModuleImportReport: `importErrors` as its texts, `onlyErrors` when nothing was imported; ours: `errors` with codes and paths. */
function importReport(errors: readonly ConfigError[], onlyErrors: boolean) {
  return {
    moduleInformation: REGARDS_MODULE,
    importErrors: errors.map(text),
    onlyErrors,
    ...(errors.length === 0 ? {} : { errors: errors.map(({ code, path, message }) => ({ code, path, message })) }),
  };
}

/** The tenant configuration, exported and imported in the REGARDS and the native formats. */
export function configurationRoutes(deps: ConfigureTenantDeps): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/microservice/configuration',
      access: 'PROJECT_ADMIN',
      operationId: 'exportConfiguration',
      tag: 'configuration',
      summary: 'Export the tenant configuration as a REGARDS microservice configuration file',
      responses: { 200: { description: 'the file (attachment)', schema: RegardsConfigFileOutputSchema } },
      handle: async ({ principal }) => ({
        status: 200,
        body: await exportConfiguration(principal.tenant, 'regards', deps),
        headers: { 'Content-Disposition': 'attachment; filename="rs-worker-manager-configuration.json"' },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/microservice/configuration',
      access: 'PROJECT_ADMIN',
      operationId: 'importConfiguration',
      tag: 'configuration',
      summary: 'Import a configuration file as REGARDS does: the valid items, the others reported (multipart field "file", or JSON; either format)',
      description: 'atomic=true: all or nothing. The waiting requests are routed again after an import.',
      query: ImportQuerySchema,
      bodyKind: 'config-file',
      documentedBody: ConfigFileInputSchema,
      responses: {
        201: { description: 'all imported', schema: ImportReportSchema },
        206: { description: 'the valid items imported, the others reported', schema: ImportReportSchema },
        409: { description: 'nothing imported, every error reported', schema: ImportReportSchema },
      },
      handle: async ({ body, query, principal }) => {
        try {
          const { errors, warnings } = await importConfiguration({ tenant: principal.tenant, file: body, partial: !query.atomic }, deps);
          const report = importReport(errors, false);
          return { status: errors.length === 0 ? 201 : 206, body: [warnings.length === 0 ? report : { ...report, warnings: warnings.map(text) }] };
        } catch (error) {
          // REGARDS' 409 carries the report too; our error codes and paths ride along in `errors`.
          if (error instanceof ConfigurationRefusedError) return { status: 409, body: [importReport(error.errors, true)] };
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/configuration/native',
      access: 'PROJECT_ADMIN',
      operationId: 'exportNativeConfiguration',
      tag: 'configuration',
      summary: 'Export the tenant configuration in the native format (worker-manager/v1)',
      responses: { 200: { description: 'the native file', schema: NativeConfigFileOutputSchema } },
      handle: async ({ principal }) => ({ status: 200, body: await exportConfiguration(principal.tenant, 'native', deps) }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/configuration/native',
      access: 'PROJECT_ADMIN',
      operationId: 'importNativeConfiguration',
      tag: 'configuration',
      summary: 'Import a native configuration file, all or nothing',
      bodyKind: 'config-file',
      documentedBody: ConfigFileInputSchema,
      responses: {
        200: { description: 'the configuration now in force, and what became of the waiting requests', schema: NativeImportResultSchema },
        409: { description: 'refused: every error with its path; nothing was imported' },
      },
      handle: async ({ body, principal }) => {
        const result = await importConfiguration({ tenant: principal.tenant, file: body, format: 'native' }, deps);
        const { redispatch } = result;
        return {
          status: 200,
          body: {
            version: result.config.version,
            configuration: await exportConfiguration(principal.tenant, 'native', deps),
            redispatch: {
              examined: redispatch.examined,
              dispatched: redispatch.dispatched,
              rerouted: redispatch.rerouted,
              complete: redispatch.continuation === undefined,
            },
          },
        };
      },
    }),
  ];
}
