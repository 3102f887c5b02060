/*
 * What the LocalStack build (scripts/build.ts), the init hooks and the bridge must agree on, kept
 * in one place so a renamed function or folder cannot leave one of them behind.
 */

/** LocalStack's fixed account when the access key is not a 12-digit number. */
export const LOCALSTACK_ACCOUNT = '000000000000';
export const LOCALSTACK_REGION = 'us-east-1';

/** Prepended to each `functions/<name>` folder: several projects can share one LocalStack. */
export const DEFAULT_FUNCTION_PREFIX = 'worker-manager-';

/** Same default table as `npm start`, so a table name in a habit or a script works in both. */
export const DEFAULT_TABLE_NAME = 'worker-manager';

/** The build output, relative to `localstack/`; mounted read-only into the LocalStack container. */
export const BUILD_DIR = 'build';
/** Where docker-compose.yml mounts BUILD_DIR inside the LocalStack container. */
export const CONTAINER_BUILD_DIR = '/opt/worker-manager';

/** Files of the build that the init hooks read by these exact names. */
export const BUILD_FILES = {
  createTable: 'create-table.json',
  timeToLive: 'time-to-live.json',
  /** `<folder>.json` per function: `{"Variables": {...}}`, its own environment. */
  environmentDir: 'environment',
  /** One line per function: `<function name>\t<folder>\t<timeout s>\t<memory MB>`. */
  manifest: 'functions.tsv',
  /** The HMAC secret admin-api verifies tokens with (generated at build time unless JWT_SECRET is set). */
  jwtSecret: 'jwt-secret.txt',
} as const;

/** The deployed name of the function built from `functions/<folder>/handler.ts`. */
export function deployedFunctionName(prefix: string, folder: string): string {
  return `${prefix}${folder}`;
}
