import { z } from 'zod';
import { ManagerSettingsSchema } from '../contract/manager-settings.js';

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
});
export type BaseEnv = z.infer<typeof BaseEnvSchema>;

/** Functions that publish or consume on the broker. */
export const AmqpEnvSchema = z.object({
  AMQP_URL: z.string().regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL').default('amqp://guest:guest@127.0.0.1:5672'),
});
export type AmqpEnv = z.infer<typeof AmqpEnvSchema>;

export class EnvironmentError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EnvironmentError';
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
export const MqFunctionEnvSchema = BaseEnvSchema.extend(AmqpEnvSchema.shape);
export type MqFunctionEnv = z.infer<typeof MqFunctionEnvSchema>;
