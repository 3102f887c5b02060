import { createSign, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { AdminApiEnvSchema } from '../../../functions/admin-api/env.js';
import {
  authenticate,
  AuthSettingsSchema,
  authorize,
  ForbiddenError,
  hasRole,
  JwtVerifier,
  signToken,
  UnauthenticatedError,
  type AuthSettings,
} from '../../../shared/lambda/auth.js';
import { resolveAuthSettings } from '../../../shared/lambda/jwt-secret.js';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const NOW = Date.parse('2026-03-01T10:00:00Z');
const now = () => NOW;
const hmac = (extra: Partial<AuthSettings> = {}) => new JwtVerifier({ secret: SECRET, clockSkewSeconds: 30, jwksCacheSeconds: 600, ...extra }, now);
const token = (claims: Record<string, unknown>, options: Parameters<typeof signToken>[2] = {}) =>
  signToken(SECRET, { tenant: 'tenant-a', role: 'ADMIN', sub: 'ops', ...claims }, { now, ...options });

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function rs256(privateKey: Parameters<ReturnType<typeof createSign>['sign']>[0], claims: Record<string, unknown>, kid?: string): string {
  const head = b64({ alg: 'RS256', typ: 'JWT', ...(kid === undefined ? {} : { kid }) });
  const body = b64({ tenant: 'tenant-a', role: 'EXPLOIT', exp: NOW / 1000 + 600, ...claims });
  const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(privateKey).toString('base64url');
  return `${head}.${body}.${signature}`;
}

describe('JwtVerifier (HMAC)', () => {
  it('accepts a valid HS256 token and returns its claims; HS384/HS512 (REGARDS signs with HS512) too', async () => {
    expect(await hmac().verify(token({}))).toMatchObject({ tenant: 'tenant-a', role: 'ADMIN', sub: 'ops' });
    expect(await hmac().verify(token({}, { algorithm: 'HS512' }))).toMatchObject({ role: 'ADMIN' });
    expect(await hmac().verify(token({}, { algorithm: 'HS384' }))).toMatchObject({ role: 'ADMIN' });
  });

  it.each([
    ['expired', () => token({ exp: NOW / 1000 - 31 }), /expired/],
    ['not valid yet', () => token({ nbf: NOW / 1000 + 120 }), /not valid yet/],
    ['signed with another secret', () => signToken('another-secret-of-at-least-32-characters', { tenant: 't', role: 'ADMIN' }, { now }), /signature/],
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ tenant: 't', role: 'ADMIN', exp: NOW / 1000 + 60 })}.`, /algorithm none/],
    [
      'RS256 while only a secret is configured',
      () => `${b64({ alg: 'RS256' })}.${b64({ tenant: 't', role: 'ADMIN', exp: NOW / 1000 + 60 })}.c2ln`,
      /algorithm RS256/,
    ],
    ['without exp', () => token({ exp: undefined }), /exp/],
    ['malformed', () => 'not.a-token', /malformed/],
    [
      'with a tampered payload',
      () => token({}).replace(/\.([^.]+)\./, `.${b64({ tenant: 'tenant-b', role: 'INSTANCE_ADMIN', exp: NOW / 1000 + 60 })}.`),
      /signature/,
    ],
  ])('refuses a token %s', async (_case, make, reason) => {
    await expect(hmac().verify(make())).rejects.toThrow(reason);
    await expect(hmac().verify(make())).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('tolerates the configured clock skew on exp', async () => {
    expect(await hmac().verify(token({ exp: NOW / 1000 - 10 }))).toMatchObject({ role: 'ADMIN' });
  });

  it('checks the issuer and audience when configured', async () => {
    const strict = hmac({ issuer: 'regards', audience: 'rs-worker-manager' });
    expect(await strict.verify(token({ iss: 'regards', aud: ['x', 'rs-worker-manager'] }))).toMatchObject({ iss: 'regards' });
    await expect(strict.verify(token({ iss: 'other', aud: 'rs-worker-manager' }))).rejects.toThrow(/issuer/);
    await expect(strict.verify(token({ iss: 'regards' }))).rejects.toThrow(/audience/);
  });
});

describe('JwtVerifier (RS256 with JWKS)', () => {
  const first = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = (pair: typeof first, kid: string) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' });

  it('verifies with the key named by kid, fetches the JWKS once and caches it', async () => {
    let fetches = 0;
    const verifier = new JwtVerifier({ jwksUrl: 'https://issuer.example/jwks', clockSkewSeconds: 0, jwksCacheSeconds: 600 }, now, async () => {
      fetches += 1;
      return { keys: [jwk(first, 'k1')] };
    });
    expect(await verifier.verify(rs256(first.privateKey, {}, 'k1'))).toMatchObject({ role: 'EXPLOIT' });
    expect(await verifier.verify(rs256(first.privateKey, { sub: 'again' }, 'k1'))).toMatchObject({ sub: 'again' });
    expect(fetches).toBe(1);
    await expect(verifier.verify(rs256(second.privateKey, {}, 'k1'))).rejects.toThrow(/signature/);
    // An HMAC token is refused when only RS256 keys are configured (no algorithm confusion).
    await expect(verifier.verify(signToken(SECRET, { tenant: 't', role: 'ADMIN' }, { now }))).rejects.toThrow(/algorithm HS256/);
  });

  it('fetches again for an unknown kid (key rotation), at most every 30 s', async () => {
    // jose times its JWKS cache on the system clock: move it with the verifier's.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      let clock = NOW;
      vi.setSystemTime(clock);
      let keys = [jwk(first, 'k1')];
      let fetches = 0;
      const verifier = new JwtVerifier(
        { jwksUrl: 'https://issuer.example/jwks', clockSkewSeconds: 0, jwksCacheSeconds: 600 },
        () => clock,
        async () => {
          fetches += 1;
          return { keys };
        },
      );
      await verifier.verify(rs256(first.privateKey, {}, 'k1'));
      keys = [jwk(first, 'k1'), jwk(second, 'k2')];
      await expect(verifier.verify(rs256(second.privateKey, {}, 'k2'))).rejects.toThrow(/signature/);
      expect(fetches).toBe(1);
      clock += 31_000;
      vi.setSystemTime(clock);
      expect(await verifier.verify(rs256(second.privateKey, { exp: clock / 1000 + 60 }, 'k2'))).toMatchObject({ role: 'EXPLOIT' });
      expect(fetches).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers 401 (not 500) when the keys cannot be fetched', async () => {
    const verifier = new JwtVerifier({ jwksUrl: 'https://issuer.example/jwks', clockSkewSeconds: 0, jwksCacheSeconds: 600 }, now, async () => {
      throw new Error('down');
    });
    await expect(verifier.verify(rs256(first.privateKey, {}, 'k1'))).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('fetches the keys over HTTP itself when given no fetch function, and refuses what the issuer does not serve', async () => {
    let answer: { status: number; body: unknown } = { status: 200, body: { keys: [jwk(first, 'k1')] } };
    const server = createServer((_request, response) => {
      response.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const settings = { jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`, clockSkewSeconds: 0, jwksCacheSeconds: 600 };
      expect(await new JwtVerifier(settings, now).verify(rs256(first.privateKey, {}, 'k1'))).toMatchObject({ role: 'EXPLOIT' });
      // An HMAC token signed with the public key as its secret: the algorithm switch is refused.
      const publicPem = first.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const switched = signToken(`${publicPem}`, { tenant: 'tenant-a', role: 'ADMIN' }, { now });
      await expect(new JwtVerifier(settings, now).verify(switched)).rejects.toThrow(/algorithm HS256/);
      answer = { status: 500, body: { error: 'down' } };
      await expect(new JwtVerifier(settings, now).verify(rs256(first.privateKey, {}, 'k1'))).rejects.toBeInstanceOf(UnauthenticatedError);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('accepts only the algorithms the configuration pins', async () => {
    const pinned = hmac({ algorithms: ['HS512'] });
    expect(await pinned.verify(token({}, { algorithm: 'HS512' }))).toMatchObject({ role: 'ADMIN' });
    await expect(pinned.verify(token({}))).rejects.toThrow(/algorithm HS256 is not accepted/);
    // An algorithm whose key is not configured is a configuration error, found at start.
    expect(AuthSettingsSchema.safeParse({ jwksUrl: 'https://issuer.example/jwks', algorithms: ['HS512'] }).success).toBe(false);
    const env = AdminApiEnvSchema.parse({ TABLE_NAME: 'wm', BULK_JOBS_FUNCTION_NAME: 'wm-bulk', JWT_SECRET: SECRET, JWT_ALGORITHMS: 'HS512, HS384' });
    expect((await resolveAuthSettings(env)).algorithms).toEqual(['HS512', 'HS384']);
    expect(AdminApiEnvSchema.safeParse({ TABLE_NAME: 'wm', BULK_JOBS_FUNCTION_NAME: 'wm-bulk', JWT_SECRET: SECRET, JWT_ALGORITHMS: 'none' }).success).toBe(
      false,
    );
  });
});

describe('authenticate / authorize', () => {
  const verifier = hmac();
  const bearer = (claims: Record<string, unknown>) => `Bearer ${token(claims)}`;

  it('takes the tenant from the token, and refuses a missing or non-bearer header with 401', async () => {
    expect(await authenticate({ authorization: bearer({}), requestedTenant: undefined }, verifier)).toEqual({
      tenant: 'tenant-a',
      role: 'ADMIN',
      subject: 'ops',
    });
    await expect(authenticate({ authorization: undefined, requestedTenant: undefined }, verifier)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(authenticate({ authorization: `Basic ${token({})}`, requestedTenant: undefined }, verifier)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('lets only an INSTANCE_ADMIN act on another tenant, named explicitly', async () => {
    expect(await authenticate({ authorization: bearer({ role: 'INSTANCE_ADMIN', tenant: undefined }), requestedTenant: 'tenant-b' }, verifier)).toMatchObject({
      tenant: 'tenant-b',
      role: 'INSTANCE_ADMIN',
    });
    await expect(
      authenticate({ authorization: bearer({ role: 'INSTANCE_ADMIN', tenant: undefined }), requestedTenant: undefined }, verifier),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(authenticate({ authorization: bearer({ role: 'PROJECT_ADMIN' }), requestedTenant: 'tenant-b' }, verifier)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(await authenticate({ authorization: bearer({ role: 'EXPLOIT' }), requestedTenant: 'tenant-a' }, verifier)).toMatchObject({ tenant: 'tenant-a' });
    await expect(authenticate({ authorization: bearer({ tenant: undefined }), requestedTenant: undefined }, verifier)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('reads an unknown (project-specific) role as PUBLIC', async () => {
    const principal = await authenticate({ authorization: bearer({ role: 'MY_PROJECT_ROLE' }), requestedTenant: undefined }, verifier);
    expect(principal.role).toBe('PUBLIC');
    expect(() => authorize(principal, 'REGISTERED_USER')).toThrow(ForbiddenError);
  });

  it('follows the REGARDS hierarchy: PUBLIC < REGISTERED_USER < EXPLOIT < ADMIN < PROJECT_ADMIN < INSTANCE_ADMIN', () => {
    expect(hasRole('EXPLOIT', 'EXPLOIT')).toBe(true);
    expect(hasRole('REGISTERED_USER', 'EXPLOIT')).toBe(false);
    expect(hasRole('ADMIN', 'EXPLOIT')).toBe(true);
    expect(hasRole('ADMIN', 'PROJECT_ADMIN')).toBe(false);
    expect(hasRole('PROJECT_ADMIN', 'ADMIN')).toBe(true);
    expect(hasRole('INSTANCE_ADMIN', 'PROJECT_ADMIN')).toBe(true);
    expect(() => authorize({ tenant: 't', role: 'EXPLOIT', subject: 's' }, 'ADMIN')).toThrow(/ADMIN role/);
  });
});
