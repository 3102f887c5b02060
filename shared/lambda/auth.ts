import { createHmac } from 'node:crypto';
import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type FlattenedJWSInput,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AppError } from '../kernel/errors.js';
import * as z from 'zod';

/*
 * Bearer JWT verified inside the function, not by a Lambda authorizer: the same code runs in the
 * local host and in AWS, there is no second function to cold-start on the first call, and API
 * Gateway's throttling still stands in front. Verified with jose: HS256/384/512 with a shared
 * secret (REGARDS itself signs with an HMAC secret), or RS256 with keys from a JWKS URL, cached.
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
export class UnauthenticatedError extends AppError {
  public override readonly name = 'UnauthenticatedError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, statusCode: 401 });
  }
}

/** A valid token that may not do this, or not on this tenant: 403. */
export class ForbiddenError extends AppError {
  public override readonly name = 'ForbiddenError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, statusCode: 403 });
  }
}

export interface Principal {
  /** The tenant every call of this request acts on. */
  tenant: string;
  role: Role;
  subject: string;
}

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const JWKS_ALGORITHMS = ['RS256'] as const;
export const JwtAlgorithmSchema = z.enum([...HMAC_ALGORITHMS, ...JWKS_ALGORITHMS]);
export type JwtAlgorithm = z.infer<typeof JwtAlgorithmSchema>;

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
    /** The accepted algorithms; default: every algorithm of the configured keys. */
    algorithms: z.array(JwtAlgorithmSchema).min(1).optional(),
  })
  .refine((settings) => settings.secret !== undefined || settings.jwksUrl !== undefined, {
    error: 'set JWT_SECRET (HS256) or JWT_JWKS_URL (RS256)',
  })
  .refine(
    (settings) =>
      (settings.algorithms ?? []).every((alg) =>
        (HMAC_ALGORITHMS as readonly string[]).includes(alg) ? settings.secret !== undefined : settings.jwksUrl !== undefined,
      ),
    { error: 'JWT_ALGORITHMS names an algorithm whose key is not configured (HS* needs the secret, RS256 the JWKS URL)' },
  );
export type AuthSettings = z.infer<typeof AuthSettingsSchema>;
export type AuthSettingsInput = z.input<typeof AuthSettingsSchema>;

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

/** Reads a JWKS URL; tests give their own, the default is jose's fetch (5 s timeout, no redirect). */
export type FetchJson = (url: string) => Promise<unknown>;

/** Shortest wait between two JWKS fetches for an unknown key id, so forged kids cannot make us hammer the issuer. */
const JWKS_REFETCH_MIN_MS = 30_000;
const JWKS_TIMEOUT_MS = 5_000;

/**
 * Tokens verified with jose, the algorithm pinned by the configuration: `algorithms` when given,
 * else every algorithm of the configured keys (HS256/384/512 with a secret, RS256 with a JWKS
 * URL). The key is chosen by that configuration, never by the token: `alg: none`, an algorithm
 * switch (an HMAC token signed with the RSA public key) and an unlisted algorithm are refused.
 */
export class JwtVerifier {
  private readonly algorithms: readonly JwtAlgorithm[];
  private readonly secret: Uint8Array | undefined;
  private readonly jwks: JWTVerifyGetKey | undefined;

  public constructor(
    private readonly settings: AuthSettings,
    private readonly now: () => number = Date.now,
    fetchJson?: FetchJson,
  ) {
    this.algorithms = acceptedAlgorithms(settings);
    this.secret = settings.secret === undefined ? undefined : new TextEncoder().encode(settings.secret);
    // jose caches the keys and refetches for an unknown kid after the cooldown, on the system clock.
    this.jwks =
      settings.jwksUrl === undefined
        ? undefined
        : createRemoteJWKSet(new URL(settings.jwksUrl), {
            cacheMaxAge: settings.jwksCacheSeconds * 1000,
            cooldownDuration: JWKS_REFETCH_MIN_MS,
            timeoutDuration: JWKS_TIMEOUT_MS,
            ...(fetchJson === undefined ? {} : { [customFetch]: async (url: string) => Response.json(await fetchJson(url)) }),
          });
  }

  /** The verified claims; UnauthenticatedError for anything else. */
  public async verify(token: string): Promise<TokenClaims> {
    let alg: unknown;
    try {
      ({ alg } = decodeProtectedHeader(token));
    } catch (error) {
      throw new UnauthenticatedError('malformed token', { cause: error });
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [...this.algorithms],
        clockTolerance: this.settings.clockSkewSeconds,
        currentDate: new Date(this.now()),
        ...(this.settings.issuer === undefined ? {} : { issuer: this.settings.issuer }),
        ...(this.settings.audience === undefined ? {} : { audience: this.settings.audience }),
      }));
    } catch (error) {
      throw refusal(error, algorithmName(alg));
    }
    const claims = ClaimsSchema.safeParse(payload);
    if (!claims.success) throw new UnauthenticatedError('token claims are missing or malformed (role and exp are required)');
    return claims.data;
  }

  /** Called by jose once the algorithm passed the `algorithms` check. */
  private readonly key: JWTVerifyGetKey = async (header: JWTHeaderParameters, token: FlattenedJWSInput) => {
    if (isHmac(header.alg)) {
      if (this.secret === undefined) throw new UnauthenticatedError(`token algorithm ${header.alg} is not accepted`);
      return this.secret;
    }
    if (this.jwks === undefined) throw new UnauthenticatedError(`token algorithm ${header.alg} is not accepted`);
    try {
      return await this.jwks(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new UnauthenticatedError('the token signing keys cannot be fetched', { cause: error });
    }
  };
}

/** The token's `alg` as a refusal may quote it: a forged one (control characters, megabytes, an object) is not echoed. */
function algorithmName(alg: unknown): string {
  return typeof alg === 'string' && /^[A-Za-z0-9+_-]{1,16}$/.test(alg) ? alg : '(not an algorithm name)';
}

function isHmac(alg: string): boolean {
  return (HMAC_ALGORITHMS as readonly string[]).includes(alg);
}

function acceptedAlgorithms(settings: AuthSettings): readonly JwtAlgorithm[] {
  if (settings.algorithms !== undefined) return settings.algorithms;
  return [...(settings.secret === undefined ? [] : HMAC_ALGORITHMS), ...(settings.jwksUrl === undefined ? [] : JWKS_ALGORITHMS)];
}

/** Every jose refusal is a 401, with a message that says which check failed and nothing of the key. */
function refusal(error: unknown, alg: string): UnauthenticatedError {
  if (error instanceof UnauthenticatedError) return error;
  const because = (message: string) => new UnauthenticatedError(message, { cause: error });
  if (error instanceof errors.JOSEAlgNotAllowed) return because(`token algorithm ${alg} is not accepted`);
  if (error instanceof errors.JWTExpired) return because('token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return because('token not valid yet');
    if (error.claim === 'iss') return because('token issuer is not accepted');
    if (error.claim === 'aud') return because('token audience is not accepted');
    return because('token claims are missing or malformed (role and exp are required)');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return because('bad token signature');
  }
  if (error instanceof errors.JOSEError) return because('malformed token');
  // Not a refusal: a bug, answered as one (500).
  throw error;
}

/**
 * Longest Authorization header read: REGARDS tokens are well under 2 KB; anything much longer is
 * refused before any decoding, so a forged header cannot make us base64- and JSON-decode megabytes.
 */
export const MAX_AUTHORIZATION_LENGTH = 8 * 1024;

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
  if (input.authorization !== undefined && input.authorization.length > MAX_AUTHORIZATION_LENGTH) {
    throw new UnauthenticatedError(`the Authorization header is longer than ${MAX_AUTHORIZATION_LENGTH} characters`);
  }
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

const HMAC_DIGESTS: Record<(typeof HMAC_ALGORITHMS)[number], string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

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
  const signature = createHmac(HMAC_DIGESTS[algorithm], secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
