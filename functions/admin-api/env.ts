import * as z from 'zod';
import { JwtAlgorithmSchema } from '../../shared/lambda/auth.js';
import { AmqpEnvSchema, BaseEnvSchema } from '../../shared/lambda/env.js';

/** 6 MB is Lambda's own limit on a synchronous request; the default keeps well below it. */
const LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024;

/**
 * The admin API reads and writes the store, publishes (a configuration import re-dispatches
 * waiting requests), verifies tokens and starts bulk jobs.
 */
export const AdminApiEnvSchema = BaseEnvSchema.extend(AmqpEnvSchema.shape)
  .extend({
    /** HS256/384/512 secret, at least 32 characters (local host, tests). */
    JWT_SECRET: z.string().min(32, 'must have at least 32 characters').optional(),
    /** AWS: the Secrets Manager secret holding the HMAC secret (its plain text, or JSON {"secret": "..."}). */
    JWT_SECRET_ARN: z.string().startsWith('arn:', 'must be a Secrets Manager secret ARN').optional(),
    /** RS256: where the signing keys are published. */
    JWT_JWKS_URL: z.url().optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    /** The accepted algorithms, comma-separated (e.g. `HS512`); default: every algorithm of the configured keys. */
    JWT_ALGORITHMS: z
      .string()
      .transform((list) =>
        list
          .split(',')
          .map((alg) => alg.trim())
          .filter((alg) => alg !== ''),
      )
      .pipe(z.array(JwtAlgorithmSchema).min(1))
      .optional(),
    /** The run-bulk-jobs function, invoked asynchronously to carry the bulk jobs out. */
    BULK_JOBS_FUNCTION_NAME: z.string().min(1),
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(LAMBDA_PAYLOAD_LIMIT)
      .default(1024 * 1024),
    /**
     * The API's public URL with its stage or base path (`https://regards.example.org/api/v1/rs-worker-manager`):
     * what links and `Location` headers start with. Unset: links are relative to the API's base path.
     */
    PUBLIC_BASE_URL: z
      .url({ protocol: /^https?$/ })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /** Browser origins allowed to call the API (comma-separated, `*` for any); none by default. */
    CORS_ALLOW_ORIGINS: z
      .string()
      .default('')
      .transform((list) =>
        list
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin !== ''),
      ),
  })
  .superRefine((env, ctx) => {
    if (env.JWT_SECRET === undefined && env.JWT_SECRET_ARN === undefined && env.JWT_JWKS_URL === undefined) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'set JWT_SECRET or JWT_SECRET_ARN (HMAC) or JWT_JWKS_URL (RS256)' });
    }
  });
export type AdminApiEnv = z.infer<typeof AdminApiEnvSchema>;
