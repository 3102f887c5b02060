import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { CLIENT_REQUEST_LIMITS } from '../../contract/client-request.js';
import type { Logger } from '../../kernel/logger.js';
import { authenticate, authorize, type JwtVerifier, type Principal, type Role } from '../auth.js';
import {
  BadRequestError,
  errorAnswer,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RouteNotFoundError,
  UnsupportedMediaTypeError,
  zodIssues,
} from './http-errors.js';
import { readMultipartFile } from './multipart.js';

/*
 * A small typed router for one API Gateway proxy function. Each route declares its method, path
 * template, required role and zod schemas (query, body, responses); the router authenticates,
 * authorises, parses and validates before the route's handler runs, so handlers only call a use
 * case and shape its result. The same declarations generate the OpenAPI document.
 *
 * Own router rather than @middy/http-router: path parameters are typed from the template, an
 * unknown method on a known path answers 405 with Allow (http-router answers 404), and the route
 * table is data the OpenAPI generator reads.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRequest {
  method: string;
  /** Without the stage, as API Gateway gives it. */
  path: string;
  /** Lower-cased names; a repeated header is joined with ", ". */
  headers: Record<string, string>;
  query: Record<string, string[]>;
  body: Buffer | undefined;
  /**
   * What links and `Location` headers start with: the configured public URL, else the API's base
   * path (stage, custom-domain base path), links then being relative. Never the client's `Host`
   * or `X-Forwarded-*` headers, which would let a caller make the API hand out links to any host.
   */
  baseUrl: string;
  requestId: string;
}

export interface HttpResult {
  status: number;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? { [K in Name | keyof PathParams<Rest>]: string }
  : Record<never, string>;

export type Access = Role | 'public';

export type BodyKind =
  /** application/json */
  | 'json'
  /** A configuration file: a JSON body, or the field `file` of a multipart/form-data body (REGARDS). */
  | 'config-file';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteInput<P extends string, A extends Access, Q, B> {
  params: PathParams<P>;
  query: Q;
  body: B;
  principal: A extends 'public' ? undefined : Principal;
  request: HttpRequest;
}

export interface RouteSpec<P extends string, A extends Access, QS extends z.ZodType | undefined, BS extends z.ZodType | undefined> {
  method: HttpMethod;
  path: P;
  access: A;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Checks the path parameters (their lengths) before the handler reads them; the handler still gets them as strings. */
  params?: z.ZodType;
  query?: QS;
  body?: BS;
  bodyKind?: BodyKind;
  /** A body left to the use case to validate (it lists every error its own way), described in the document only. */
  documentedBody?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  handle: (
    input: RouteInput<P, A, QS extends z.ZodType ? z.output<QS> : Record<string, never>, BS extends z.ZodType ? z.output<BS> : undefined>,
  ) => Promise<HttpResult>;
}

/** A route with its types erased, as the router and the OpenAPI generator hold it. */
export interface Route {
  method: HttpMethod;
  path: string;
  access: Access;
  operationId: string;
  summary: string;
  description?: string | undefined;
  tag: string;
  params?: z.ZodType | undefined;
  query?: z.ZodType | undefined;
  body?: z.ZodType | undefined;
  bodyKind: BodyKind;
  documentedBody?: z.ZodType | undefined;
  responses: Record<number, ResponseSpec>;
  handle: (input: RouteInput<string, Access, unknown, unknown>) => Promise<HttpResult>;
}

export function defineRoute<P extends string, A extends Access, QS extends z.ZodType | undefined = undefined, BS extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<P, A, QS, BS>,
): Route {
  return { ...spec, bodyKind: spec.bodyKind ?? 'json', handle: spec.handle as unknown as Route['handle'] };
}

export interface RouterOptions {
  routes: readonly Route[];
  verifier: JwtVerifier;
  logger: Logger;
  /** Larger bodies are refused with 413 before any parsing. */
  maxBodyBytes: number;
}

interface Match {
  route: Route;
  params: Record<string, string>;
}

function segments(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const wanted = segments(template);
  const actual = segments(path);
  if (wanted.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of wanted.entries()) {
    const value = actual[i] as string;
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name !== undefined) params[name] = decodeSegment(value);
    else if (part !== value) return undefined;
  }
  return params;
}

/**
 * The route of a request. Literal segments win over parameters, so `GET /requests/retry` is a 405
 * (only POST is there), not a lookup of a request named "retry".
 */
export function findRoute(routes: readonly Route[], method: string, path: string): Match {
  const candidates = routes
    .map((route) => ({ route, params: matchPath(route.path, path) }))
    .filter((candidate): candidate is Match => candidate.params !== undefined);
  if (candidates.length === 0) throw new RouteNotFoundError(`no resource ${path}`);
  const fewest = Math.min(...candidates.map((candidate) => Object.keys(candidate.params).length));
  const closest = candidates.filter((candidate) => Object.keys(candidate.params).length === fewest);
  const found = closest.find((candidate) => candidate.route.method === method);
  if (found !== undefined) return found;
  throw new MethodNotAllowedError(`${method} is not allowed on ${path}`, [...new Set(closest.map((candidate) => candidate.route.method))].sort());
}

/** Single values as strings, repeated ones as arrays: what query schemas read. */
function queryRecord(query: Record<string, string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(query).map(([name, values]) => [name, values.length === 1 ? (values[0] as string) : values]));
}

function mediaType(request: HttpRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || undefined;
}

function isJson(type: string | undefined): boolean {
  return type === undefined || type === 'application/json' || type.endsWith('+json');
}

function parseJson(bytes: Buffer, what: string): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    throw new BadRequestError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

function readBody(route: Route, request: HttpRequest, maxBodyBytes: number): unknown {
  const bytes = request.body;
  if (bytes !== undefined && bytes.length > maxBodyBytes) {
    throw new PayloadTooLargeError(`the body is ${bytes.length} bytes; the limit is ${maxBodyBytes}`);
  }
  if (bytes === undefined || bytes.length === 0) return undefined;
  const type = mediaType(request);
  if (route.bodyKind === 'config-file' && type === 'multipart/form-data') {
    return parseJson(readMultipartFile(bytes, request.headers['content-type'] ?? '', 'file'), 'the file');
  }
  if (!isJson(type))
    throw new UnsupportedMediaTypeError(`expected application/json${route.bodyKind === 'config-file' ? ' or multipart/form-data' : ''}, got ${type}`);
  return parseJson(bytes, 'the body');
}

/** Parses with the route's schema; a failure is a 400 listing each issue with its path under `where`. */
function validate(schema: z.ZodType, value: unknown, where: 'path' | 'query' | 'body'): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new BadRequestError(`the ${where} is invalid`, zodIssues(parsed.error, where));
}

/**
 * The tenant is part of every store key: one over its limit (a token's claim, an instance
 * administrator's X-Tenant) is the caller's mistake, refused here rather than by DynamoDB.
 */
function refuseOversizeTenant(tenant: string): void {
  const max = CLIENT_REQUEST_LIMITS.tenant;
  if (tenant.length > max) {
    throw new BadRequestError('the tenant is invalid', [{ path: 'tenant', message: `must be at most ${max} characters (it has ${tenant.length})` }]);
  }
}

/** Runs one request through the routes; every failure becomes its mapped answer. */
export async function route(request: HttpRequest, options: RouterOptions): Promise<HttpResult> {
  try {
    const { route: found, params } = findRoute(options.routes, request.method.toUpperCase(), request.path);
    let principal: Principal | undefined;
    if (found.access !== 'public') {
      principal = await authenticate(
        { authorization: request.headers.authorization, requestedTenant: request.headers['x-tenant'] ?? request.query.tenant?.[0] },
        options.verifier,
      );
      authorize(principal, found.access);
      refuseOversizeTenant(principal.tenant);
    }
    if (found.params !== undefined) validate(found.params, params, 'path');
    const rawBody = readBody(found, request, options.maxBodyBytes);
    const { tenant: _tenant, ...query } = queryRecord(request.query);
    const parsedQuery = found.query === undefined ? {} : validate(found.query, query, 'query');
    const parsedBody = found.body === undefined ? rawBody : validate(found.body, rawBody ?? {}, 'body');
    return await found.handle({ params, query: parsedQuery, body: parsedBody, principal, request });
  } catch (error) {
    const answer = errorAnswer(error, options.logger.child({ method: request.method, path: request.path, requestId: request.requestId }));
    return { status: answer.status, body: answer.body, headers: answer.headers };
  }
}

// --- API Gateway proxy ------------------------------------------------------------------------

function lowerCaseHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values !== undefined && values.length > 0) out[name.toLowerCase()] = values.join(', ');
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && out[name.toLowerCase()] === undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

function queryOf(event: APIGatewayProxyEvent): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values !== undefined) out[name] = [...values];
  }
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined && out[name] === undefined) out[name] = [value];
  }
  return out;
}

export interface ProxyEventOptions {
  /** The API's public URL with its stage or base path (PUBLIC_BASE_URL); absent: links are relative. */
  publicBaseUrl?: string | undefined;
}

export function fromProxyEvent(event: APIGatewayProxyEvent, options: ProxyEventOptions = {}): HttpRequest {
  const headers = lowerCaseHeaders(event);
  // Routes match the path below the proxy resource: behind a custom domain's base path mapping
  // (REGARDS' /api/v1/rs-worker-manager), event.path keeps that base path, `proxy` never does.
  const proxy = event.pathParameters?.['proxy'];
  const path = proxy === undefined ? (event.resource === '/' ? '/' : event.path) : `/${proxy}`;
  // requestContext.path carries what precedes the route (stage, base path): relative links must keep it.
  const fullPath = event.requestContext?.path ?? event.path;
  const prefix = fullPath.endsWith(path) ? fullPath.slice(0, fullPath.length - path.length) : '';
  const baseUrl = options.publicBaseUrl ?? prefix;
  return {
    method: event.httpMethod,
    path,
    headers,
    query: queryOf(event),
    body: event.body === null || event.body === undefined ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
    baseUrl: baseUrl.replace(/\/+$/, ''),
    requestId: event.requestContext?.requestId ?? 'local',
  };
}

export function toProxyResult(result: HttpResult): APIGatewayProxyResult {
  const headers: Record<string, string> = { ...result.headers };
  if (result.body === undefined) return { statusCode: result.status, headers, body: '' };
  headers['Content-Type'] ??= 'application/json';
  return { statusCode: result.status, headers, body: JSON.stringify(result.body) };
}

export const QueryValuesSchema = z.union([z.string(), z.array(z.string())]);
