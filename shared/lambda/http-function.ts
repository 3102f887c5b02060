import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import type { Logger } from '../kernel/logger.js';
import type { JwtVerifier } from './auth.js';
import { parseEnv } from './env.js';
import { preflight, withCors } from './http/cors.js';
import { fromProxyEvent, route, toProxyResult, type Route } from './http/router.js';
import { localContext } from './mq-function.js';

// API Gateway REST (proxy integration) | local HTTP server --> (http function) --> router --> use cases

export interface HttpApi {
  routes: readonly Route[];
  verifier: JwtVerifier;
  logger: Logger;
  maxBodyBytes: number;
  /** Browser origins allowed to call the API; empty: no cross-origin access. */
  corsOrigins?: readonly string[];
}

export interface HttpFunctionDefinition<Env, Deps> {
  name: string;
  envSchema: z.ZodType<Env>;
  /** The composition root, once per warm process (async: secrets). */
  compose: (env: Env) => Deps | Promise<Deps>;
  /** The API over the composed dependencies. */
  api: (deps: Deps) => HttpApi;
}

export type ProxyHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export interface HttpFunction<Deps> {
  handler: ProxyHandler;
  /** The same handler over given dependencies: what the local host and tests use. */
  withDeps: (deps: Deps) => ProxyHandler;
}

export function defineHttpFunction<Env, Deps>(definition: HttpFunctionDefinition<Env, Deps>): HttpFunction<Deps> {
  const withDeps = (deps: Deps): ProxyHandler => {
    const api = definition.api(deps);
    const origins = api.corsOrigins ?? [];
    const base = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
      const origin = event.headers?.['origin'] ?? event.headers?.['Origin'];
      const answered = preflight(event.httpMethod, origin, origins) ?? toProxyResult(await route(fromProxyEvent(event), api));
      return withCors(answered, origin, origins);
    };
    // The router answers every error itself; this only catches what escapes it (a bug in the shaping).
    const wrapped = middy<APIGatewayProxyEvent, APIGatewayProxyResult>(base, { timeoutEarlyInMillis: 0 }).onError((request) => {
      api.logger.error('admin API request failed outside the router', { fn: definition.name, error: request.error });
      request.response = { statusCode: 500, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ status: 500, error: 'InternalError', message: 'internal error; it was logged', messages: ['internal error; it was logged'] }) };
    });
    return (event, context) => wrapped(event, context ?? localContext(definition.name));
  };
  let composed: Promise<ProxyHandler> | undefined;
  const handler: ProxyHandler = async (event, context) => {
    composed ??= Promise.resolve(definition.compose(parseEnv(definition.envSchema, process.env))).then(withDeps);
    composed.catch(() => {
      composed = undefined;
    });
    return (await composed)(event, context);
  };
  return { handler, withDeps };
}
