import type { APIGatewayProxyResult } from 'aws-lambda';

/*
 * Cross-origin access for browser clients (the dashboard). Off unless origins are configured:
 * the API carries bearer tokens, so it answers an origin only when an operator listed it.
 */

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Tenant';
const ALLOWED_METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
/** Browsers cache a preflight this long, so a page does not preflight every call. */
const PREFLIGHT_MAX_AGE_SECONDS = '600';

export function allowedOrigin(origin: string | undefined, allowed: readonly string[]): string | undefined {
  if (origin === undefined || allowed.length === 0) return undefined;
  if (allowed.includes('*')) return '*';
  return allowed.includes(origin) ? origin : undefined;
}

/** The answer to a browser's preflight, or undefined when the origin is not allowed (then routed as usual). */
export function preflight(method: string, origin: string | undefined, allowed: readonly string[]): APIGatewayProxyResult | undefined {
  const granted = allowedOrigin(origin, allowed);
  if (method.toUpperCase() !== 'OPTIONS' || granted === undefined) return undefined;
  return {
    statusCode: 204,
    headers: {
      'Access-Control-Allow-Origin': granted,
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_SECONDS,
      Vary: 'Origin',
    },
    body: '',
  };
}

/** Adds the headers that let an allowed origin read the answer (and the job's Location). */
export function withCors(result: APIGatewayProxyResult, origin: string | undefined, allowed: readonly string[]): APIGatewayProxyResult {
  const granted = allowedOrigin(origin, allowed);
  if (granted === undefined) return result;
  return {
    ...result,
    headers: { ...result.headers, 'Access-Control-Allow-Origin': granted, 'Access-Control-Expose-Headers': 'Location', Vary: 'Origin' },
  };
}
