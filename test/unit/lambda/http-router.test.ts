import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JwtVerifier, signToken } from '../../../shared/lambda/auth.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { errorAnswer, MethodNotAllowedError, RouteNotFoundError } from '../../../shared/lambda/http/http-errors.js';
import { readMultipartFile } from '../../../shared/lambda/http/multipart.js';
import { openApiDocument } from '../../../shared/lambda/http/openapi.js';
import { defineRoute, findRoute, fromProxyEvent, route, toProxyResult, type HttpRequest, type Route } from '../../../shared/lambda/http/router.js';
import { ConfigurationRefusedError, RequestNotFoundError } from '../../../shared/application/use-cases/use-case-errors.js';
import { InvalidCursorError } from '../../../shared/adapters/dynamodb/cursor.js';
import { StoreUnavailableError } from '../../../shared/ports/request-store.js';

const SECRET = 'router-test-secret-of-at-least-32-chars';
const verifier = new JwtVerifier({ secret: SECRET, clockSkewSeconds: 0, jwksCacheSeconds: 60 });
const bearer = (role: string, tenant = 'tenant-a') => `Bearer ${signToken(SECRET, { tenant, role, sub: 'tester' })}`;

const routes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/items/{itemId}',
    access: 'EXPLOIT',
    operationId: 'getItem',
    tag: 'items',
    summary: 'one item',
    query: z.strictObject({ size: z.string().regex(/^\d+$/).transform(Number).optional() }),
    responses: { 200: { description: 'the item', schema: z.object({ id: z.string() }) } },
    handle: async ({ params, query, principal }) => {
      return { status: 200, body: { id: params.itemId, tenant: principal.tenant, size: query.size } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/items/special',
    access: 'ADMIN',
    operationId: 'special',
    tag: 'items',
    summary: 'special',
    body: z.strictObject({ name: z.string().min(1), tags: z.array(z.string()).optional() }),
    responses: { 201: { description: 'created' } },
    handle: async ({ body }) => ({ status: 201, body }),
  }),
  defineRoute({
    method: 'POST',
    path: '/files',
    access: 'EXPLOIT',
    operationId: 'upload',
    tag: 'items',
    summary: 'upload',
    bodyKind: 'config-file',
    responses: { 200: { description: 'echo' } },
    handle: async ({ body }) => ({ status: 200, body: { received: body } }),
  }),
  defineRoute({
    method: 'GET',
    path: '/open',
    access: 'public',
    operationId: 'open',
    tag: 'misc',
    summary: 'no token',
    responses: { 200: { description: 'ok' } },
    handle: async ({ principal }) => ({ status: 200, body: { anonymous: principal === undefined } }),
  }),
];

function request(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; query?: Record<string, string[]>; body?: string | Buffer } = {},
): HttpRequest {
  return {
    method,
    path,
    headers: options.headers ?? {},
    query: options.query ?? {},
    body: options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body),
    baseUrl: 'http://api.local',
    requestId: 'test',
  };
}

const call = (req: HttpRequest, maxBodyBytes = 1024) => route(req, { routes, verifier, logger: new CapturingLogger(), maxBodyBytes });

describe('findRoute', () => {
  it('prefers literal segments, decodes parameters, and tells 404 from 405', () => {
    expect(findRoute(routes, 'GET', '/items/a%2Fb').params).toEqual({ itemId: 'a/b' });
    expect(findRoute(routes, 'POST', '/items/special/').route.operationId).toBe('special');
    expect(() => findRoute(routes, 'GET', '/items/special')).toThrow(MethodNotAllowedError);
    expect(() => findRoute(routes, 'DELETE', '/items/x')).toThrow(MethodNotAllowedError);
    expect(() => findRoute(routes, 'GET', '/nothing/here')).toThrow(RouteNotFoundError);
  });
});

describe('route', () => {
  it('authenticates, authorises, validates and hands typed input to the handler', async () => {
    const result = await call(request('GET', '/items/42', { headers: { authorization: bearer('EXPLOIT') }, query: { size: ['5'] } }));
    expect(result).toEqual({ status: 200, body: { id: '42', tenant: 'tenant-a', size: 5 } });
  });

  it('answers 401 without a valid token, 403 for a role too low, before reading the body', async () => {
    expect((await call(request('GET', '/items/1'))).status).toBe(401);
    expect((await call(request('GET', '/items/1', { headers: { authorization: 'Bearer x.y.z' } }))).status).toBe(401);
    const forbidden = await call(request('POST', '/items/special', { headers: { authorization: bearer('EXPLOIT') }, body: 'not json' }));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ error: 'ForbiddenError', messages: [expect.stringContaining('ADMIN')] });
  });

  it('answers 403 to a token naming another tenant than the one asked for, unless INSTANCE_ADMIN', async () => {
    expect((await call(request('GET', '/items/1', { headers: { authorization: bearer('ADMIN'), 'x-tenant': 'tenant-b' } }))).status).toBe(403);
    expect((await call(request('GET', '/items/1', { headers: { authorization: bearer('ADMIN') }, query: { tenant: ['tenant-b'] } }))).status).toBe(403);
    const ok = await call(request('GET', '/items/1', { headers: { authorization: bearer('INSTANCE_ADMIN', 'root'), 'x-tenant': 'tenant-b' } }));
    expect(ok).toMatchObject({ status: 200, body: { tenant: 'tenant-b' } });
  });

  it('answers 400 with each issue and its path for a bad query or body', async () => {
    const auth = { authorization: bearer('ADMIN') };
    const badQuery = await call(request('GET', '/items/1', { headers: auth, query: { size: ['ten'], extra: ['1'] } }));
    expect(badQuery.status).toBe(400);
    expect((badQuery.body as { issues: { path: string }[] }).issues.map((issue) => issue.path).sort()).toEqual(['query', 'query.size']);
    const badBody = await call(request('POST', '/items/special', { headers: auth, body: JSON.stringify({ name: '', tags: ['a', 3] }) }));
    expect(badBody.status).toBe(400);
    expect((badBody.body as { issues: { path: string }[] }).issues.map((issue) => issue.path).sort()).toEqual(['body.name', 'body.tags[1]']);
    const notJson = await call(request('POST', '/items/special', { headers: auth, body: '{"name":' }));
    expect(notJson).toMatchObject({ status: 400, body: { message: expect.stringContaining('not valid JSON') } });
  });

  it('answers 413 for a body over the limit and 415 for a body that is not JSON', async () => {
    const auth = { authorization: bearer('ADMIN') };
    expect((await call(request('POST', '/items/special', { headers: auth, body: JSON.stringify({ name: 'x'.repeat(2000) }) }))).status).toBe(413);
    expect((await call(request('POST', '/items/special', { headers: { ...auth, 'content-type': 'text/csv' }, body: 'a,b' }))).status).toBe(415);
  });

  it('reads a config-file body from JSON or from the multipart field "file"', async () => {
    const auth = { authorization: bearer('EXPLOIT') };
    const boundary = '----wm-boundary';
    const form = Buffer.from(
      [
        `--${boundary}`,
        'Content-Disposition: form-data; name="other"',
        '',
        'ignored',
        `--${boundary}`,
        'Content-Disposition: form-data; name="file"; filename="conf.json"',
        'Content-Type: application/json',
        '',
        '{"modules":[]}',
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    );
    const multipart = await call(request('POST', '/files', { headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` }, body: form }));
    expect(multipart).toEqual({ status: 200, body: { received: { modules: [] } } });
    const json = await call(request('POST', '/files', { headers: { ...auth, 'content-type': 'application/json' }, body: '{"format":"x"}' }));
    expect(json).toEqual({ status: 200, body: { received: { format: 'x' } } });
    const noField = await call(
      request('POST', '/files', {
        headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: Buffer.from(`--${boundary}--\r\n`),
      }),
    );
    expect(noField).toMatchObject({ status: 400, body: { message: expect.stringContaining('no field "file"') } });
  });

  it('serves public routes without a token, and answers unknown paths 404 and wrong methods 405 with Allow', async () => {
    expect(await call(request('GET', '/open'))).toEqual({ status: 200, body: { anonymous: true } });
    expect((await call(request('GET', '/nope'))).status).toBe(404);
    const wrong = await call(request('PUT', '/items/special'));
    expect(wrong).toMatchObject({ status: 405, headers: { Allow: 'POST' } });
  });
});

describe('errorAnswer: the one error table', () => {
  it.each([
    [new RequestNotFoundError('no request x'), 404, 'no request x'],
    [new InvalidCursorError('bad cursor'), 400, 'bad cursor'],
    [new ConfigurationRefusedError([{ code: 'InvalidValueError', path: 'workers[0].workerType', message: 'must not be blank' }]), 409, undefined],
  ])('maps %s by name', (error, status, message) => {
    const answer = errorAnswer(error, new CapturingLogger());
    expect(answer.status).toBe(status);
    if (message !== undefined) expect(answer.body.message).toBe(message);
  });

  it('lists every configuration error with its path', () => {
    const answer = errorAnswer(
      new ConfigurationRefusedError([{ code: 'InvalidValueError', path: 'workers[0].workerType', message: 'must not be blank' }]),
      new CapturingLogger(),
    );
    expect(answer.body.errors).toEqual([{ code: 'InvalidValueError', path: 'workers[0].workerType', message: 'must not be blank' }]);
    expect(answer.body.messages).toEqual(['workers[0].workerType: must not be blank']);
  });

  it('answers 500 without the message or a stack for anything unknown, and logs it', () => {
    const logger = new CapturingLogger();
    const answer = errorAnswer(new TypeError('secret internals at /var/task/x.js:1'), logger);
    expect(answer).toEqual({
      status: 500,
      headers: {},
      body: { status: 500, error: 'InternalError', message: 'internal error; it was logged', messages: ['internal error; it was logged'] },
    });
    expect(JSON.stringify(answer)).not.toContain('secret internals');
    expect(logger.entries.some((entry) => entry.level === 'error')).toBe(true);
    expect(errorAnswer('a string', logger).status).toBe(500);
  });

  it('answers 503 with Retry-After and no detail when the store is down', () => {
    const answer = errorAnswer(new StoreUnavailableError('DynamoDB Query failed: ECONNREFUSED 10.0.0.1'), new CapturingLogger());
    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('5');
    expect(JSON.stringify(answer.body)).not.toContain('10.0.0.1');
  });

  it('answers 400 with the issue paths of a ZodError thrown by a use case', () => {
    const parsed = z.object({ a: z.number() }).safeParse({ a: 'x' });
    if (parsed.success) throw new Error('expected a failure');
    expect(errorAnswer(parsed.error, new CapturingLogger())).toMatchObject({ status: 400, body: { issues: [{ path: 'a' }] } });
  });
});

describe('proxy event conversion', () => {
  const event = {
    httpMethod: 'POST',
    path: '/requests',
    headers: { Host: 'abc.execute-api.eu-west-3.amazonaws.com', 'X-Forwarded-Proto': 'https' },
    multiValueHeaders: { Host: ['abc.execute-api.eu-west-3.amazonaws.com'], 'X-Forwarded-Proto': ['https'] },
    queryStringParameters: { size: '5', contentTypes: 'b' },
    multiValueQueryStringParameters: { size: ['5'], contentTypes: ['a', 'b'] },
    body: Buffer.from('{"x":1}').toString('base64'),
    isBase64Encoded: true,
    requestContext: { path: '/prod/requests', requestId: 'r-1', domainName: 'abc.execute-api.eu-west-3.amazonaws.com' },
  } as unknown as APIGatewayProxyEvent;

  it('reads headers lower-cased, repeated query values, a base64 body, and links relative to the stage', () => {
    const request = fromProxyEvent(event);
    expect(request.headers.host).toBe('abc.execute-api.eu-west-3.amazonaws.com');
    expect(request.query).toEqual({ size: ['5'], contentTypes: ['a', 'b'] });
    expect(request.body?.toString()).toBe('{"x":1}');
    expect(request.baseUrl).toBe('/prod');
  });

  it('links on the configured public URL, whatever Host and X-Forwarded-Proto say', () => {
    const configured = { publicBaseUrl: 'https://wm.example.org/prod/' };
    expect(fromProxyEvent(event, configured).baseUrl).toBe('https://wm.example.org/prod');
    const forged = {
      ...event,
      headers: { Host: 'evil.example', 'X-Forwarded-Proto': 'gopher', 'X-Forwarded-Host': 'evil.example' },
      multiValueHeaders: { Host: ['evil.example'], 'X-Forwarded-Proto': ['gopher'] },
      requestContext: { ...event.requestContext, domainName: 'evil.example' },
    } as unknown as APIGatewayProxyEvent;
    expect(fromProxyEvent(forged, configured).baseUrl).toBe('https://wm.example.org/prod');
    expect(fromProxyEvent(forged).baseUrl).toBe('/prod');
  });

  it('routes on the proxy path behind a custom domain base path, and keeps that base path in links', () => {
    const mapped = {
      ...event,
      resource: '/{proxy+}',
      path: '/api/v1/rs-worker-manager/requests/r-1',
      pathParameters: { proxy: 'requests/r-1' },
      requestContext: { ...event.requestContext, path: '/api/v1/rs-worker-manager/requests/r-1', domainName: 'regards.example.org' },
      headers: { Host: 'regards.example.org' },
      multiValueHeaders: {},
    } as unknown as APIGatewayProxyEvent;
    const request = fromProxyEvent(mapped);
    expect(request.path).toBe('/requests/r-1');
    expect(request.baseUrl).toBe('/api/v1/rs-worker-manager');
    expect(fromProxyEvent({ ...mapped, resource: '/', path: '/api/v1/rs-worker-manager/', pathParameters: null }).path).toBe('/');
  });

  it('writes JSON results with a content type, and empty ones without a body', () => {
    expect(toProxyResult({ status: 200, body: { a: 1 } })).toEqual({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    expect(toProxyResult({ status: 204 })).toEqual({ statusCode: 204, headers: {}, body: '' });
  });
});

describe('multipart and OpenAPI', () => {
  it('refuses a form without a boundary or truncated', () => {
    expect(() => readMultipartFile(Buffer.from('x'), 'multipart/form-data', 'file')).toThrow(/boundary/);
    expect(() =>
      readMultipartFile(Buffer.from('--b\r\nContent-Disposition: form-data; name="file"\r\n\r\n{}'), 'multipart/form-data; boundary=b', 'file'),
    ).toThrow(/truncated/);
  });

  it('documents every route with its role, parameters and schemas', () => {
    const document = openApiDocument(routes, { title: 't', version: '1' }) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(Object.keys(document.paths).sort()).toEqual(['/files', '/items/special', '/items/{itemId}', '/open']);
    const getItem = document.paths['/items/{itemId}']?.get;
    expect(getItem).toMatchObject({ operationId: 'getItem', 'x-required-role': 'EXPLOIT', security: [{ bearer: [] }] });
    expect(getItem?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'itemId', in: 'path' }), expect.objectContaining({ name: 'size', in: 'query' })]),
    );
    expect(document.paths['/open']?.get).toMatchObject({ security: [] });
    expect(document.paths['/files']?.post?.requestBody).toMatchObject({ content: { 'multipart/form-data': expect.any(Object) } });
    expect(() => JSON.parse(JSON.stringify(document))).not.toThrow();
  });
});
