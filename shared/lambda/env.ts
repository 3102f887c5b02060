import * as z from 'zod';
import { ManagerSettingsSchema } from '../contract/manager-settings.js';
import { AppError } from '../kernel/errors.js';

/** A JSON document carried in one environment variable, validated by `schema`. */
export function jsonEnv<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `not JSON: ${(error as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** What every function reads from its environment. */
export const BaseEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** Set locally (dynalite) and in tests; absent in AWS. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  WM_SETTINGS: jsonEnv(ManagerSettingsSchema),
  /** The `service` dimension of the function's metrics: the deployment (CDK sets the stateless stack's name). */
  METRICS_SERVICE: z.string().min(1).default('worker-manager'),
});
export type BaseEnv = z.infer<typeof BaseEnvSchema>;

/** The broker the local host talks to when the environment names none. */
export const LOCAL_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

const amqpUrl = z.string().regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL');

interface AmqpEnvFields {
  AMQP_URL?: string | undefined;
  AMQP_ENDPOINT?: string | undefined;
  AMQP_SECRET_ARN?: string | undefined;
}

/**
 * The broker is named either by one URL with its credentials (local host, tests) or, in AWS, by
 * the endpoint plus the Secrets Manager secret holding the credentials, so that no password sits
 * in the function configuration. Half of the AWS pair is a mistake, never a fallback to the local
 * broker. Every schema with these variables applies the check (`checkingAmqp`), and
 * `resolveAmqpUrl` applies it again when it builds the URL.
 */
export function amqpEnvIssue(env: AmqpEnvFields): { path: string; message: string } | undefined {
  if (env.AMQP_URL !== undefined) return undefined;
  const hasEndpoint = env.AMQP_ENDPOINT !== undefined;
  const hasSecret = env.AMQP_SECRET_ARN !== undefined;
  if (hasEndpoint === hasSecret) return undefined;
  return hasEndpoint
    ? { path: 'AMQP_SECRET_ARN', message: 'AMQP_ENDPOINT is set without AMQP_SECRET_ARN (or set AMQP_URL instead)' }
    : { path: 'AMQP_ENDPOINT', message: 'AMQP_SECRET_ARN is set without AMQP_ENDPOINT (or set AMQP_URL instead)' };
}

/**
 * Functions that publish or consume on the broker. With none of the URL variables set, the local
 * broker (`LOCAL_AMQP_URL`) is used.
 */
export const AmqpFieldsSchema = z.object({
  /** Local host and tests: `amqp://user:password@host:port/vhost`. */
  AMQP_URL: amqpUrl.optional(),
  /** AWS: the broker endpoint without credentials, `amqps://b-….mq.<region>.amazonaws.com:5671`. */
  AMQP_ENDPOINT: amqpUrl.optional(),
  /** AWS: the secret holding `{"username", "password"}` of the broker user. */
  AMQP_SECRET_ARN: z.string().startsWith('arn:', 'must be a Secrets Manager secret ARN').optional(),
  /** AWS: the virtual host, joined to AMQP_ENDPOINT (AMQP_URL carries its own). */
  AMQP_VHOST: z.string().min(1).default('/'),
});

/** Adds the URL-or-endpoint-and-secret check to any schema holding the broker variables. */
export function checkingAmqp<T extends z.ZodType<AmqpEnvFields>>(schema: T): T {
  return schema.superRefine((env, ctx) => {
    const issue = amqpEnvIssue(env);
    if (issue) ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
  });
}

export const AmqpEnvSchema = checkingAmqp(AmqpFieldsSchema);
export type AmqpEnv = z.infer<typeof AmqpEnvSchema>;

export class EnvironmentError extends AppError {
  public override readonly name = 'EnvironmentError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Validates the environment once; a misconfigured function fails at its first event, loudly. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new EnvironmentError(`environment variables are incorrectly configured:\n${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** The environment of a function fed by an Amazon MQ event source. */
export const MqFunctionEnvSchema = checkingAmqp(BaseEnvSchema.extend(AmqpFieldsSchema.shape));
export type MqFunctionEnv = z.infer<typeof MqFunctionEnvSchema>;
