import { createHmac, createPublicKey, timingSafeEqual, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/*
 * Bearer JWT verified inside the function, not by a Lambda authorizer: the same code runs in the
 * local host and in AWS, there is no second function to cold-start on the first call, and API
 * Gateway's throttling still stands in front. Only node:crypto: HS256/384/512 with a shared secret
 * (REGARDS itself signs with an HMAC secret), or RS256 with keys from a JWKS URL, cached.
 *
 * Claims: `tenant` and `role` (REGARDS' own claim names), `exp` required, `sub` for the audit log,
 * `iss` and `aud` checked when configured.
 */

/** The REGARDS role hierarchy (rs-admin), lowest first. PROJECT_ADMIN sits above ADMIN; INSTANCE_ADMIN above all, on any tenant. */
export const ROLES = ['PUBLIC', 'REGISTERED_USER', 'EXPLOIT', 'ADMIN', 'PROJECT_ADMIN', 'INSTANCE_ADMIN'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES);

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function hasRole(role: Role, required: Role): boolean {
  return roleRank(role) >= roleRank(required);
}

/** A missing, malformed, expired or badly signed token: 401. */
export class UnauthenticatedError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnauthenticatedError';
  }
}

/** A valid token that may not do this, or not on this tenant: 403. */
export class ForbiddenError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ForbiddenError';
  }
}

export interface Principal {
  /** The tenant every call of this request acts on. */
  tenant: string;
  role: Role;
  subject: string;
}

export const AuthSettingsSchema = z
  .object({
    /** HMAC secret (HS256/384/512). */
    secret: z.string().min(32, 'an HMAC secret needs at least 32 characters').optional(),
    /** RS256 keys. */
    jwksUrl: z.url().optional(),
    issuer: z.string().min(1).optional(),
    audience: z.string().min(1).optional(),
    /** Tolerated clock difference with the token issuer. */
    clockSkewSeconds: z.number().int().min(0).max(300).default(30),
    /** How long fetched JWKS keys are trusted before being fetched again. */
    jwksCacheSeconds: z.number().int().min(1).default(600),
  })
  .refine((settings) => settings.secret !== undefined || settings.jwksUrl !== undefined, {
    error: 'set JWT_SECRET (HS256) or JWT_JWKS_URL (RS256)',
  });
export type AuthSettings = z.infer<typeof AuthSettingsSchema>;
export type AuthSettingsInput = z.input<typeof AuthSettingsSchema>;

const HeaderSchema = z.object({ alg: z.string(), kid: z.string().optional(), typ: z.string().optional() });
const ClaimsSchema = z.object({
  tenant: z.string().min(1).optional(),
  role: z.string().min(1),
  exp: z.number(),
  nbf: z.number().optional(),
  sub: z.string().optional(),
  user: z.string().optional(),
  iss: z.string().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
});
export type TokenClaims = z.infer<typeof ClaimsSchema>;

const HMAC_ALGORITHMS: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

const JwkSchema = z.looseObject({ kty: z.string(), kid: z.string().optional(), alg: z.string().optional(), use: z.string().optional() });
const JwksSchema = z.object({ keys: z.array(JwkSchema) });

export type FetchJson = (url: string) => Promise<unknown>;

const defaultFetchJson: FetchJson = async (url) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`JWKS ${url} answered ${response.status}`);
  return response.json();
};

/** Shortest wait between two JWKS fetches for an unknown key id, so forged kids cannot make us hammer the issuer. */
const JWKS_REFETCH_MIN_MS = 30_000;

export class JwtVerifier {
  private jwks: { keys: Map<string, KeyObject>; anonymous: KeyObject[]; fetchedAt: number } | undefined;
  private fetching: Promise<void> | undefined;

  public constructor(
    private readonly settings: AuthSettings,
    private readonly now: () => number = Date.now,
    private readonly fetchJson: FetchJson = defaultFetchJson,
  ) {}

  /** The verified claims; UnauthenticatedError for anything else. */
  public async verify(token: string): Promise<TokenClaims> {
    const parts = token.split('.');
    if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part))) throw new UnauthenticatedError('malformed token');
    const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = parts;
    const header = HeaderSchema.safeParse(decodeJson(encodedHeader));
    if (!header.success) throw new UnauthenticatedError('malformed token header');
    const signed = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
    const signature = Buffer.from(encodedSignature, 'base64url');
    const { alg, kid } = header.data;
    // The algorithm is chosen by our configuration, never by the token: `none` and a switch between families both fail here.
    if (alg in HMAC_ALGORITHMS && this.settings.secret !== undefined) {
      const expected = createHmac(HMAC_ALGORITHMS[alg] as string, this.settings.secret).update(signed).digest();
      if (expected.length !== signature.length || !timingSafeEqual(expected, signature)) throw new UnauthenticatedError('bad token signature');
    } else if (alg === 'RS256' && this.settings.jwksUrl !== undefined) {
      const keys = await this.keysFor(kid);
      if (!keys.some((key) => verifySignature('RSA-SHA256', signed, key, signature))) throw new UnauthenticatedError('bad token signature');
    } else {
      throw new UnauthenticatedError(`token algorithm ${alg} is not accepted`);
    }
    const claims = ClaimsSchema.safeParse(decodeJson(encodedPayload));
    if (!claims.success) throw new UnauthenticatedError('token claims are missing or malformed (role and exp are required)');
    this.checkTimes(claims.data);
    this.checkAudience(claims.data);
    return claims.data;
  }

  private checkTimes(claims: TokenClaims): void {
    const nowSeconds = this.now() / 1000;
    const skew = this.settings.clockSkewSeconds;
    if (claims.exp + skew <= nowSeconds) throw new UnauthenticatedError('token expired');
    if (claims.nbf !== undefined && claims.nbf - skew > nowSeconds) throw new UnauthenticatedError('token not valid yet');
  }

  private checkAudience(claims: TokenClaims): void {
    const { issuer, audience } = this.settings;
    if (issuer !== undefined && claims.iss !== issuer) throw new UnauthenticatedError('token issuer is not accepted');
    if (audience !== undefined) {
      const audiences = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!audiences.includes(audience)) throw new UnauthenticatedError('token audience is not accepted');
    }
  }

  private async keysFor(kid: string | undefined): Promise<KeyObject[]> {
    const fresh = this.jwks !== undefined && this.now() - this.jwks.fetchedAt < this.settings.jwksCacheSeconds * 1000;
    if (!fresh) await this.refresh();
    const found = this.lookup(kid);
    if (found.length > 0) return found;
    // A key rotated in since the last fetch: fetch again, but not more often than every 30 s.
    if (this.jwks !== undefined && this.now() - this.jwks.fetchedAt >= JWKS_REFETCH_MIN_MS) {
      await this.refresh();
      return this.lookup(kid);
    }
    return [];
  }

  private lookup(kid: string | undefined): KeyObject[] {
    if (this.jwks === undefined) return [];
    if (kid === undefined) return [...this.jwks.keys.values(), ...this.jwks.anonymous];
    const key = this.jwks.keys.get(kid);
    return key === undefined ? [] : [key];
  }

  private async refresh(): Promise<void> {
    const url = this.settings.jwksUrl;
    if (url === undefined) return;
    this.fetching ??= (async () => {
      try {
        const raw = await this.fetchJson(url);
        const parsed = JwksSchema.parse(raw);
        const keys = new Map<string, KeyObject>();
        const anonymous: KeyObject[] = [];
        for (const jwk of parsed.keys) {
          if (jwk.kty !== 'RSA' || (jwk.use !== undefined && jwk.use !== 'sig') || (jwk.alg !== undefined && jwk.alg !== 'RS256')) continue;
          const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
          if (jwk.kid === undefined) anonymous.push(key);
          else keys.set(jwk.kid, key);
        }
        this.jwks = { keys, anonymous, fetchedAt: this.now() };
      } catch (error) {
        throw new UnauthenticatedError('the token signing keys cannot be fetched', { cause: error });
      } finally {
        this.fetching = undefined;
      }
    })();
    await this.fetching;
  }
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export interface AuthenticateInput {
  authorization: string | undefined;
  /** The tenant named by the caller (X-Tenant header or `tenant` query parameter). */
  requestedTenant: string | undefined;
}

/**
 * The principal of a request. The tenant comes from the verified token; only an INSTANCE_ADMIN may
 * name another one, and anyone else naming a tenant must name their own.
 */
export async function authenticate(input: AuthenticateInput, verifier: JwtVerifier): Promise<Principal> {
  const header = input.authorization?.trim();
  if (header === undefined || header === '') throw new UnauthenticatedError('no bearer token');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match?.[1] === undefined) throw new UnauthenticatedError('the Authorization header is not "Bearer <token>"');
  const claims = await verifier.verify(match[1]);
  const role = RoleSchema.safeParse(claims.role);
  // A project-specific REGARDS role is not one this service knows: it gets no more than PUBLIC.
  const granted: Role = role.success ? role.data : 'PUBLIC';
  const subject = claims.sub ?? claims.user ?? 'unknown';
  const requested = input.requestedTenant?.trim() || undefined;
  if (granted === 'INSTANCE_ADMIN') {
    const tenant = requested ?? claims.tenant;
    if (tenant === undefined) throw new ForbiddenError('an instance administrator names the tenant (X-Tenant header or tenant query parameter)');
    return { tenant, role: granted, subject };
  }
  if (claims.tenant === undefined) throw new ForbiddenError('the token names no tenant');
  if (requested !== undefined && requested !== claims.tenant) throw new ForbiddenError(`this token is for tenant ${claims.tenant}, not ${requested}`);
  return { tenant: claims.tenant, role: granted, subject };
}

export function authorize(principal: Principal, required: Role): void {
  if (!hasRole(principal.role, required)) throw new ForbiddenError(`this needs the ${required} role (the token has ${principal.role})`);
}

export interface SignOptions {
  algorithm?: 'HS256' | 'HS384' | 'HS512';
  /** Lifetime from now; default one hour. */
  expiresInSeconds?: number;
  now?: () => number;
}

/**
 * An HMAC-signed token: the local host's development token, and tests. `claims.exp` wins over
 * `expiresInSeconds` when given (tests make expired tokens that way).
 */
export function signToken(secret: string, claims: Record<string, unknown>, options: SignOptions = {}): string {
  const algorithm = options.algorithm ?? 'HS256';
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: algorithm, typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ iat: nowSeconds, exp: nowSeconds + (options.expiresInSeconds ?? 3600), ...claims })).toString('base64url');
  const signature = createHmac(HMAC_ALGORITHMS[algorithm] as string, secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
