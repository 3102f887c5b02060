import { exportConfiguration, importConfiguration, type ConfigureTenantDeps } from '../../../shared/application/use-cases/configure-tenant.js';
import { REGARDS_MODULE_ID } from '../../../shared/contract/config-file.js';
import { defineRoute, type Route } from '../../../shared/lambda/http/router.js';
import { ConfigFileInputSchema, ImportReportSchema, NativeConfigFileOutputSchema, NativeImportResultSchema, RegardsConfigFileOutputSchema } from '../schema.js';

const REGARDS_MODULE = { id: REGARDS_MODULE_ID, name: 'Worker Manager module' };

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
      summary: 'Import a configuration file, all or nothing (REGARDS multipart field "file", or a JSON body; either format)',
      description:
        'On success the tenant cache is dropped and its waiting requests are routed again. Refused (409) with every error and its path; nothing is imported then.',
      bodyKind: 'config-file',
      documentedBody: ConfigFileInputSchema,
      responses: {
        201: { description: 'imported (REGARDS ModuleImportReport list, no error)', schema: ImportReportSchema },
        409: { description: 'refused: every error with its path in the file; nothing was imported' },
      },
      handle: async ({ body, principal }) => {
        await importConfiguration({ tenant: principal.tenant, file: body }, deps);
        return { status: 201, body: [{ moduleInformation: REGARDS_MODULE, importErrors: [], onlyErrors: false }] };
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
