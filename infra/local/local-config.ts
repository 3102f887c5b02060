import * as z from 'zod';
import { ManagerSettingsSchema } from '../../shared/contract/manager-settings.js';
import { jsonEnv } from '../../shared/lambda/env.js';
import { AppError } from '../../shared/kernel/errors.js';

/**
 * Every knob of `npm start`, from environment variables (the README lists them with these
 * defaults). Invalid values stop the start with one message naming each variable.
 */
export const LocalConfigSchema = z.object({
  AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
    .default('amqp://guest:guest@127.0.0.1:5672'),
  /** Any DynamoDB-compatible endpoint; when absent, dynalite is embedded with its data in DATA_DIR. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  TABLE_NAME: z.string().min(3).max(255).default('worker-manager'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** AWS runs the sweep every minute (EventBridge Scheduler's precision); locally it can run often. */
  SWEEP_INTERVAL_SECONDS: z.coerce.number().min(0.1).default(5),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** `pretty` on a terminal, `json` otherwise (what log tools read). */
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
  /** Manager settings as JSON (names, batch sizes, expiry...): the same schema the Lambdas read. */
  WM_SETTINGS: jsonEnv(ManagerSettingsSchema),
  /** Secret of the admin API's HS256 tokens; generated once and kept in DATA_DIR when absent. */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Browser origins allowed to call the admin API (comma-separated, `*` for any): the dashboard's. */
  CORS_ALLOW_ORIGINS: z
    .string()
    .default('')
    .transform((list) =>
      list
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ''),
    ),
  /** Tenant of the development token printed at start (it is an instance admin: any tenant via X-Tenant). */
  DEV_TENANT: z.string().min(1).default('demo'),
});
export type LocalConfig = z.infer<typeof LocalConfigSchema>;

export class LocalConfigError extends AppError {
  public override readonly name = 'LocalConfigError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export function readLocalConfig(env: NodeJS.ProcessEnv): LocalConfig {
  const parsed = LocalConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    throw new LocalConfigError(`invalid configuration:\n${lines.join('\n')}`, { cause: parsed.error });
  }
  return parsed.data;
}
