import * as z from 'zod';
import { ErrorBodySchema } from './http-errors.js';
import type { Route } from './router.js';

/*
 * The OpenAPI 3.1 document of a route table, generated from the routes' own zod schemas (zod 4's
 * toJSONSchema), so the document cannot drift from what the handlers accept and answer.
 */

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // Dates, binaries and transforms have no JSON Schema: they are described as "any" rather than failing the document.
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  const { $schema: _dropped, ...rest } = generated;
  return rest;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid query or body: every issue with its path',
  401: 'No valid bearer token',
  403: 'The token may not do this, or not on this tenant',
  404: 'Unknown resource',
  405: 'Method not allowed on this path',
  409: 'Refused: conflicting state or invalid configuration',
  413: 'Body too large',
  415: 'Unsupported content type',
  500: 'Internal error',
  503: 'The store or the broker is unavailable; try again',
};

function queryParameters(route: Route): JsonSchema[] {
  if (route.query === undefined) return [];
  const schema = jsonSchema(route.query, 'input');
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

function pathParameters(route: Route): JsonSchema[] {
  return [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));
}

function requestBody(route: Route): JsonSchema | undefined {
  if (route.body === undefined && route.bodyKind !== 'config-file') return undefined;
  const documented = route.body ?? route.documentedBody;
  const schema = documented === undefined ? {} : jsonSchema(documented, 'input');
  const content: JsonSchema = { 'application/json': { schema } };
  if (route.bodyKind === 'config-file') {
    content['multipart/form-data'] = {
      schema: { type: 'object', properties: { file: { type: 'string', format: 'binary', description: 'the configuration file (JSON)' } }, required: ['file'] },
    };
  }
  return { required: route.bodyKind === 'config-file', content };
}

function responses(route: Route): JsonSchema {
  const out: JsonSchema = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    out[status] = {
      description: spec.description,
      ...(spec.schema === undefined ? {} : { content: { [spec.contentType ?? 'application/json']: { schema: jsonSchema(spec.schema, 'output') } } }),
    };
  }
  const errors = new Set([
    400,
    500,
    503,
    ...(route.access === 'public' ? [] : [401, 403]),
    ...(route.body !== undefined || route.bodyKind === 'config-file' ? [413, 415] : []),
  ]);
  for (const status of [...errors].sort()) {
    if (out[String(status)] === undefined)
      out[String(status)] = { description: STATUS_TEXT[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return out;
}

export function openApiDocument(routes: readonly Route[], info: OpenApiInfo, serverUrl?: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const body = requestBody(route);
    const operation: JsonSchema = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description === undefined ? {} : { description: route.description }),
      tags: [route.tag],
      parameters: [...pathParameters(route), ...queryParameters(route)],
      ...(body === undefined ? {} : { requestBody: body }),
      responses: responses(route),
      security: route.access === 'public' ? [] : [{ bearer: [] }],
      // The least role that may call it (REGARDS hierarchy); INSTANCE_ADMIN may name any tenant.
      'x-required-role': route.access === 'public' ? 'none' : route.access,
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info,
    ...(serverUrl === undefined ? {} : { servers: [{ url: serverUrl }] }),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'claims: tenant, role (PUBLIC < REGISTERED_USER < EXPLOIT < ADMIN < PROJECT_ADMIN < INSTANCE_ADMIN), exp',
        },
      },
      schemas: { Error: jsonSchema(ErrorBodySchema, 'output') },
    },
  };
}
