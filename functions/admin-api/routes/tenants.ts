import { declareTenant, type ConfigureTenantDeps } from '../../../shared/application/use-cases/configure-tenant.js';
import { defineRoute, type Route } from '../../../shared/lambda/http/router.js';
import { TenantDeclarationSchema, TenantParamsSchema } from '../schema.js';

/** Tenants exist because an administrator says so (or imported a configuration), never because a client named one. */
export function tenantRoutes(deps: Pick<ConfigureTenantDeps, 'configStore' | 'tenants' | 'logger'>): Route[] {
  return [
    defineRoute({
      method: 'PUT',
      path: '/tenants/{tenant}',
      params: TenantParamsSchema,
      access: 'INSTANCE_ADMIN',
      operationId: 'declareTenant',
      tag: 'tenants',
      summary: 'Declare a tenant (idempotent): its requests are accepted from now on and wait unrouted until a configuration is imported',
      description:
        'With the default `tenants: "declared"` setting, a request naming an undeclared tenant is answered SKIPPED and nothing is stored. Importing a configuration also declares its tenant.',
      responses: {
        201: { description: 'declared now', schema: TenantDeclarationSchema },
        200: { description: 'already declared (or configured): nothing changed', schema: TenantDeclarationSchema },
      },
      handle: async ({ params }) => {
        const declaration = await declareTenant(params.tenant, deps);
        return { status: declaration.created ? 201 : 200, body: declaration };
      },
    }),
  ];
}
