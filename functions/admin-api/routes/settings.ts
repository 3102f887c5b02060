import {
  getSettings,
  isTenantSetting,
  TENANT_SETTINGS,
  updateSetting,
  type ConfigureTenantDeps,
  type TenantSettingName,
} from '../../../shared/application/use-cases/configure-tenant.js';
import { SettingNotFoundError } from '../../../shared/application/use-cases/use-case-errors.js';
import { defineRoute, type Route } from '../../../shared/lambda/http/router.js';
import { DynamicTenantSettingModelSchema, SettingsListSchema, SettingsQuerySchema, SettingUpdateSchema } from '../schema.js';
import { settingModel } from '../views.js';

/** Settings (REGARDS DynamicTenantSetting). */
export function settingRoutes(deps: Pick<ConfigureTenantDeps, 'configStore' | 'tenants' | 'logger'>): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/settings',
      access: 'ADMIN',
      operationId: 'listSettings',
      tag: 'settings',
      summary: 'The tenant settings (skipContentTypes)',
      query: SettingsQuerySchema,
      responses: { 200: { description: 'DynamicTenantSettingDto list', schema: SettingsListSchema } },
      handle: async ({ query, principal, request }) => {
        const settings = await getSettings(principal.tenant, deps);
        const names = (Object.keys(TENANT_SETTINGS) as TenantSettingName[]).filter((name) => query.names === undefined || query.names.includes(name));
        return { status: 200, body: names.map((name) => settingModel(name, settings, request.baseUrl)) };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/settings/{name}',
      access: 'ADMIN',
      operationId: 'updateSetting',
      tag: 'settings',
      summary: 'Change a tenant setting (refused with 409 when a configured worker or workflow uses a skipped content type)',
      body: SettingUpdateSchema,
      responses: { 200: { description: 'the setting as it now is', schema: DynamicTenantSettingModelSchema }, 404: { description: 'no such setting' } },
      handle: async ({ params, body, principal, request }) => {
        const name = knownSetting(params.name);
        const settings = await updateSetting({ tenant: principal.tenant, name, value: body.value }, deps);
        return { status: 200, body: settingModel(name, settings, request.baseUrl) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/settings/{name}',
      access: 'ADMIN',
      operationId: 'resetSetting',
      tag: 'settings',
      summary: 'Reset a tenant setting to its default',
      responses: { 200: { description: 'the setting as it now is', schema: DynamicTenantSettingModelSchema }, 404: { description: 'no such setting' } },
      handle: async ({ params, principal, request }) => {
        const name = knownSetting(params.name);
        const settings = await updateSetting({ tenant: principal.tenant, name, value: undefined }, deps);
        return { status: 200, body: settingModel(name, settings, request.baseUrl) };
      },
    }),
  ];
}

function knownSetting(name: string): TenantSettingName {
  if (!isTenantSetting(name)) throw new SettingNotFoundError(`no tenant setting "${name}"`);
  return name;
}
