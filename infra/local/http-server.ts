import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Logger } from '../../shared/kernel/logger.js';
import { PROMETHEUS_CONTENT_TYPE } from '../../shared/adapters/metrics/prometheus-registry.js';
import { AppError } from '../../shared/kernel/errors.js';
import { isUnder, serveStatic, type StaticSite } from './static-files.js';

/*
 * The local stand-in for API Gateway REST with a proxy integration: each HTTP request becomes the
 * APIGatewayProxyEvent API Gateway would build (path, method, headers and their multi-value form,
 * query parameters, body, base64 for anything not text, requestContext), the SAME handler the
 * Lambda runs answers it, and the result is written back.
 */

export type ProxyEventHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface HttpServerOptions {
  handler: ProxyEventHandler;
  port: number;
  /** Default 127.0.0.1: the local host is not meant to face a network. */
  host?: string;
  /** Lambda refuses synchronous payloads over 6 MB; the same limit answers 413 here. */
  maxBodyBytes?: number;
  stage?: string;
  /** Static files beside the API (the dashboard at /ui): same origin, so the page needs no CORS. */
  staticSite?: StaticSite;
  logger: Logger;
  /** Served at GET /metrics (Prometheus text format), before and outside the handler: no token. */
  metrics?: { render(): string };
}

/** Where a Prometheus scraper finds the host's metrics. */
export const METRICS_PATH = '/metrics';

export interface LocalHttpServer {
  url: string;
  close(): Promise<void>;
}

export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** Bodies API Gateway passes as text; anything else (multipart, binaries) is base64-encoded. */
function isTextual(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/xml'
  );
}

export class BodyTooLargeError extends AppError {
  public override readonly name = 'BodyTooLargeError';
  public constructor(message: string) {
    super(message, { statusCode: 413 });
  }
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLargeError(`the body is ${declared} bytes; the limit is ${limit}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        reject(new BodyTooLargeError(`the body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export function toProxyEvent(request: IncomingMessage, body: Buffer, stage: string): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://local');
  const multiValueHeaders: Record<string, string[]> = {};
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values === undefined) continue;
    multiValueHeaders[name] = values;
    headers[name] = values.at(-1) ?? '';
  }
  if (headers['x-forwarded-proto'] === undefined) {
    headers['x-forwarded-proto'] = 'http';
    multiValueHeaders['x-forwarded-proto'] = ['http'];
  }
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (multiValueQuery[name] ??= []).push(value);
  const query = Object.fromEntries(Object.entries(multiValueQuery).map(([name, values]) => [name, values.at(-1) ?? '']));
  const hasQuery = Object.keys(query).length > 0;
  const textual = isTextual(headers['content-type']);
  const method = request.method ?? 'GET';
  const now = Date.now();
  const requestId = crypto.randomUUID();
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
    pathParameters: { proxy: url.pathname.replace(/^\//, '') },
    stageVariables: null,
    body: body.length === 0 ? null : body.toString(textual ? 'utf8' : 'base64'),
    isBase64Encoded: body.length > 0 && !textual,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: method,
      // API Gateway puts the stage in front (`/prod/requests`); this server's URLs have none, so links built from it work here.
      path: url.pathname,
      stage,
      requestId,
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: '/{proxy+}',
      domainName: headers.host ?? 'localhost',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

function writeResult(response: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode, { ...headers, 'Content-Length': String(body.length) });
  response.end(body);
}

function writeError(response: ServerResponse, status: number, message: string): void {
  writeResult(response, {
    statusCode: status,
    headers: { 'Content-Type': 'application/json', ...(status === 413 ? { Connection: 'close' } : {}) },
    body: JSON.stringify({ status, error: status === 413 ? 'PayloadTooLargeError' : 'InternalError', message, messages: [message] }),
  });
}

export async function startHttpServer(options: HttpServerOptions): Promise<LocalHttpServer> {
  const limit = options.maxBodyBytes ?? LAMBDA_PAYLOAD_LIMIT_BYTES;
  const stage = options.stage ?? 'local';
  const server: Server = createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://local').pathname;
    if (options.metrics !== undefined && request.method === 'GET' && pathname === METRICS_PATH) {
      writeResult(response, { statusCode: 200, headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE }, body: options.metrics.render() });
      return;
    }
    const site = options.staticSite;
    if (site !== undefined && isUnder(site, pathname)) {
      serveStatic(site, request, response).catch((error: unknown) => {
        options.logger.error('local HTTP server: a static file could not be served', { error });
        if (!response.headersSent) writeError(response, 500, 'internal error; it was logged');
        else response.destroy();
      });
      return;
    }
    void (async () => {
      let body: Buffer;
      try {
        body = await readBody(request, limit);
      } catch (error) {
        if (error instanceof BodyTooLargeError) writeError(response, 413, error.message);
        else writeError(response, 400, 'the request body could not be read');
        return;
      }
      try {
        writeResult(response, await options.handler(toProxyEvent(request, body, stage)));
      } catch (error) {
        options.logger.error('local HTTP server: the handler failed', { error });
        writeError(response, 500, 'internal error; it was logged');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
