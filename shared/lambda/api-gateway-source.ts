import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Logger } from '../kernel/logger.js';
import type { JwtVerifier } from './auth.js';
import type { FunctionHandler } from './define-function.js';
import { preflight, withCors } from './http/cors.js';
import { fromProxyEvent, route, toProxyResult, type Route } from './http/router.js';

// API Gateway REST (proxy integration) | local HTTP server --> router --> one use case per route

export interface HttpApi {
  routes: readonly Route[];
  verifier: JwtVerifier;
  logger: Logger;
  maxBodyBytes: number;
  /** Browser origins allowed to call the API; empty: no cross-origin access. */
  corsOrigins?: readonly string[];
  /** Where links point to (PUBLIC_BASE_URL); absent: relative links under the API's base path. */
  publicBaseUrl?: string | undefined;
}

export type ProxyHandler = FunctionHandler<APIGatewayProxyEvent, APIGatewayProxyResult>;

const INTERNAL_ERROR = JSON.stringify({
  status: 500,
  error: 'InternalError',
  message: 'internal error; it was logged',
  messages: ['internal error; it was logged'],
});

/**
 * What an API function gives `defineFunction`: the API is built once per composition (its routes
 * and the verifier, which keeps the JWKS keys of a warm process), and the router answers every
 * error itself; the error path only answers what escapes it (a bug in the shaping) with a 500.
 */
export function apiGatewaySource<Deps extends object>(api: (deps: Deps) => HttpApi) {
  const built = new WeakMap<Deps, HttpApi>();
  const apiOf = (deps: Deps): HttpApi => {
    let found = built.get(deps);
    if (found === undefined) {
      found = api(deps);
      built.set(deps, found);
    }
    return found;
  };
  return {
    decode: (event: APIGatewayProxyEvent): APIGatewayProxyEvent => event,
    run: async (event: APIGatewayProxyEvent, deps: Deps): Promise<APIGatewayProxyResult> => {
      const current = apiOf(deps);
      const origins = current.corsOrigins ?? [];
      const origin = event.headers?.['origin'] ?? event.headers?.['Origin'];
      const answered =
        preflight(event.httpMethod, origin, origins) ?? toProxyResult(await route(fromProxyEvent(event, { publicBaseUrl: current.publicBaseUrl }), current));
      return withCors(answered, origin, origins);
    },
    onError: {
      message: 'admin API request failed outside the router',
      answer: (): APIGatewayProxyResult => ({ statusCode: 500, headers: { 'Content-Type': 'application/json' }, body: INTERNAL_ERROR }),
    },
  };
}
