import type { EnvironmentConfig } from './environments.js';

/*
 * Each function's timeout, memory and configuration variables, derived from one environment's
 * typed config. The CDK constructs and the LocalStack build both read this, so a function gets
 * the same timeout and the same variables wherever it is deployed. Variables that come with a
 * resource and its permission (TABLE_NAME, the broker, secrets, function names) are not here:
 * the CDK sets them with its bind helpers, LocalStack with its own addresses.
 */

export const DEPLOYED_FUNCTIONS = [
  'admin-api',
  'broker-topology',
  'handle-session-deletions',
  'handle-worker-dead-letters',
  'handle-worker-responses',
  'record-heartbeats',
  'register-requests',
  'run-bulk-jobs',
  'sweep',
] as const;
export type DeployedFunction = (typeof DEPLOYED_FUNCTIONS)[number];

export interface FunctionSettings {
  timeoutSeconds: number;
  memorySizeMb: number;
  /** The variables the config decides, LOG_LEVEL included. */
  environment: Record<string, string>;
}

/** The broker-topology custom resource handler: small and not part of the environment config. */
export const TOPOLOGY_HANDLER = { timeoutSeconds: 120, memorySizeMb: 256 } as const;

/** admin-api's token and body settings (`api` of the config). */
export function adminApiEnvironment(api: EnvironmentConfig['api'], logLevel: EnvironmentConfig['logLevel']): Record<string, string> {
  return {
    LOG_LEVEL: logLevel,
    ...(api.auth.kind === 'jwks' ? { JWT_JWKS_URL: api.auth.jwksUrl } : {}),
    ...(api.issuer === undefined ? {} : { JWT_ISSUER: api.issuer }),
    ...(api.audience === undefined ? {} : { JWT_AUDIENCE: api.audience }),
    ...(api.maxBodyBytes === undefined ? {} : { MAX_BODY_BYTES: String(api.maxBodyBytes) }),
    ...(api.corsAllowOrigins.length === 0 ? {} : { CORS_ALLOW_ORIGINS: api.corsAllowOrigins.join(',') }),
  };
}

/** run-bulk-jobs' page budget per run (`functions.bulkJobsMaxPages`); the function's default when left out. */
export function runBulkJobsEnvironment(
  functions: Pick<EnvironmentConfig['functions'], 'bulkJobsMaxPages'>,
  logLevel: EnvironmentConfig['logLevel'],
): Record<string, string> {
  return {
    LOG_LEVEL: logLevel,
    ...(functions.bulkJobsMaxPages === undefined ? {} : { BULK_JOB_MAX_PAGES: String(functions.bulkJobsMaxPages) }),
  };
}

/** Every deployed function of one environment. */
export function functionSettings(config: EnvironmentConfig): Record<DeployedFunction, FunctionSettings> {
  const { functions, logLevel } = config;
  const memorySizeMb = functions.memorySizeMb;
  const mq: FunctionSettings = { timeoutSeconds: functions.mqTimeoutSeconds, memorySizeMb, environment: { LOG_LEVEL: logLevel } };
  return {
    'register-requests': mq,
    'handle-worker-responses': mq,
    'record-heartbeats': mq,
    'handle-worker-dead-letters': mq,
    'handle-session-deletions': mq,
    sweep: { timeoutSeconds: functions.sweepTimeoutSeconds, memorySizeMb, environment: { LOG_LEVEL: logLevel } },
    'broker-topology': { ...TOPOLOGY_HANDLER, environment: { LOG_LEVEL: logLevel } },
    'admin-api': { timeoutSeconds: config.api.timeoutSeconds, memorySizeMb, environment: adminApiEnvironment(config.api, logLevel) },
    'run-bulk-jobs': { timeoutSeconds: functions.bulkJobsTimeoutSeconds, memorySizeMb, environment: runBulkJobsEnvironment(functions, logLevel) },
  };
}

export function isDeployedFunction(name: string): name is DeployedFunction {
  return (DEPLOYED_FUNCTIONS as readonly string[]).includes(name);
}
