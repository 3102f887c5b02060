import { checkHealth } from '../../../shared/application/use-cases/check-health.js';
import { openApiDocument, type OpenApiInfo } from '../../../shared/lambda/http/openapi.js';
import { defineRoute, type Route } from '../../../shared/lambda/http/router.js';
import type { HealthProbe } from '../../../shared/ports/health-probe.js';
import { HealthSchema, OpenApiSchema } from '../schema.js';

/** The service itself: its health, and the OpenAPI document of `documented.routes()` (every route, these included). */
export function serviceRoutes(deps: { probes: readonly HealthProbe[] }, documented: { info: OpenApiInfo; routes: () => readonly Route[] }): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      access: 'public',
      operationId: 'health',
      tag: 'service',
      summary: 'Whether the store and the broker answer (no token needed)',
      responses: { 200: { description: 'UP', schema: HealthSchema }, 503: { description: 'DOWN', schema: HealthSchema } },
      handle: async () => {
        const report = await checkHealth(deps.probes);
        return { status: report.status === 'UP' ? 200 : 503, body: report };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      access: 'public',
      operationId: 'openApi',
      tag: 'service',
      summary: 'This document',
      responses: { 200: { description: 'OpenAPI 3.1', schema: OpenApiSchema } },
      handle: async ({ request }) => ({ status: 200, body: openApiDocument(documented.routes(), documented.info, request.baseUrl || '/') }),
    }),
  ];
}
