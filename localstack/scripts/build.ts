import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import * as z from 'zod';
import { environmentConfig } from '../../infra/aws/config/environments.js';
import { functionSettings, isDeployedFunction } from '../../infra/aws/config/function-settings.js';
import { ManagerSettingsSchema, type ManagerSettings } from '../../shared/contract/manager-settings.js';
import { BaseEnvSchema, jsonEnv } from '../../shared/lambda/env.js';
import { BUILD_DIR, BUILD_FILES, DEFAULT_FUNCTION_PREFIX, DEFAULT_TABLE_NAME, deployedFunctionName } from '../deployment.js';
import { tableInput, timeToLiveInput } from './table-input.js';
import { lambdaBuildOptions } from '../../infra/aws/constructs/lambda-bundle.js';

/*
 * `npx tsx localstack/scripts/build.ts`, on the host (the LocalStack container has no project and
 * no node_modules): bundles every functions/<name>/handler.ts as the CDK construct does, and writes
 * what the init hooks need into localstack/build/, which docker-compose.yml mounts read-only.
 */

export const REPO_ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const LOCALSTACK_DIR = path.join(REPO_ROOT, 'localstack');

/** Host-side knobs of the build; the LAMBDA_* ones are addresses as seen from inside a Lambda container. */
export const BuildConfigSchema = z.object({
  TABLE_NAME: z.string().min(3).max(255).default(DEFAULT_TABLE_NAME),
  WM_SETTINGS: jsonEnv(ManagerSettingsSchema),
  LOG_LEVEL: BaseEnvSchema.shape.LOG_LEVEL,
  WM_FUNCTION_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, - and _ (Lambda function name rules)')
    .default(DEFAULT_FUNCTION_PREFIX),
  /** The compose service name: Lambda containers join the compose network (LAMBDA_DOCKER_NETWORK). */
  LAMBDA_DYNAMODB_ENDPOINT: z.url().default('http://localstack:4566'),
  /** admin-api's HMAC token secret (at least 32 characters); a random one is generated and written to build/jwt-secret.txt when unset. */
  JWT_SECRET: z.string().min(32, 'must have at least 32 characters').optional(),
  /** The RabbitMQ service of docker-compose.yml, with the user it creates. */
  LAMBDA_AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
    .default('amqp://worker-manager:worker-manager@rabbitmq:5672'),
});
export type BuildConfig = z.infer<typeof BuildConfigSchema>;

/**
 * The environment of one deployed function: the variables the dev stack's typed config decides
 * (functionSettings, the same the CDK constructs read: LOG_LEVEL, admin-api's token settings,
 * run-bulk-jobs' page budget), plus what CDK's bind helpers would set, as LocalStack provides it:
 * AMQP_URL stands in for the AWS endpoint + secret pair (no Amazon MQ broker here), the table and
 * DynamoDB endpoint are the compose ones, run-bulk-jobs is named by its deployed name (Lambda sets
 * AWS_LAMBDA_FUNCTION_NAME itself) and admin-api verifies tokens with a plain JWT_SECRET.
 */
export function functionEnvironment(config: BuildConfig, folder: string, jwtSecret: string): Record<string, string> {
  const dev = environmentConfig('dev', { logLevel: config.LOG_LEVEL });
  const configured = isDeployedFunction(folder) ? functionSettings(dev)[folder].environment : { LOG_LEVEL: config.LOG_LEVEL };
  const runBulkJobs = deployedFunctionName(config.WM_FUNCTION_PREFIX, 'run-bulk-jobs');
  const bound: Record<string, string> = {
    TABLE_NAME: config.TABLE_NAME,
    DYNAMODB_ENDPOINT: config.LAMBDA_DYNAMODB_ENDPOINT,
    AMQP_URL: config.LAMBDA_AMQP_URL,
    WM_SETTINGS: JSON.stringify(config.WM_SETTINGS),
    NODE_OPTIONS: '--enable-source-maps',
  };
  // As the stack binds them: admin-api, sweep and handle-session-deletions start run-bulk-jobs; admin-api checks tokens.
  if (folder === 'admin-api' || folder === 'sweep' || folder === 'handle-session-deletions') bound['BULK_JOBS_FUNCTION_NAME'] = runBulkJobs;
  if (folder === 'admin-api' && dev.api.auth.kind === 'hmac') bound['JWT_SECRET'] = jwtSecret;
  return { ...bound, ...configured };
}

export interface FunctionSpec {
  folder: string;
  functionName: string;
  timeoutSeconds: number;
  memorySizeMb: number;
}

/** Every folder of functions/ that has a handler.ts: a new function is deployed without editing this. */
export function functionFolders(root: string = REPO_ROOT): string[] {
  const functionsDir = path.join(root, 'functions');
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(functionsDir, entry.name, 'handler.ts')))
    .map((entry) => entry.name)
    .sort();
}

/** Timeouts and memory as the dev stack deploys them (functionSettings), so a slow handler times out here as it would there. */
export function functionSpecs(folders: readonly string[], prefix: string): FunctionSpec[] {
  const settings = functionSettings(environmentConfig('dev'));
  return folders.map((folder) => {
    if (!isDeployedFunction(folder))
      throw new Error(`functions/${folder} is not in DEPLOYED_FUNCTIONS (infra/aws/config/function-settings.ts): give it its settings there`);
    const { timeoutSeconds, memorySizeMb } = settings[folder];
    return { folder, functionName: deployedFunctionName(prefix, folder), timeoutSeconds, memorySizeMb };
  });
}

/** The manifest the deploy hook reads with `read`: tab-separated, one function a line. */
export function manifest(specs: readonly FunctionSpec[]): string {
  return specs.map((spec) => `${spec.functionName}\t${spec.folder}\t${spec.timeoutSeconds}\t${spec.memorySizeMb}\n`).join('');
}

/** The esbuild options of ManagerFunction's NodejsFunction, those the bundle budget test builds with. */
export function bundleOptions(folder: string, outdir: string, root: string = REPO_ROOT): BuildOptions {
  return lambdaBuildOptions(root, folder, outdir);
}

export async function buildAll(config: BuildConfig, outRoot: string = path.join(LOCALSTACK_DIR, BUILD_DIR)): Promise<FunctionSpec[]> {
  await rm(outRoot, { recursive: true, force: true });
  await mkdir(path.join(outRoot, 'functions'), { recursive: true });
  const specs = functionSpecs(functionFolders(), config.WM_FUNCTION_PREFIX);
  await Promise.all(specs.map((spec) => build(bundleOptions(spec.folder, path.join(outRoot, 'functions', spec.folder)))));
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(path.join(outRoot, BUILD_FILES.createTable), json(tableInput(config.TABLE_NAME)));
  await writeFile(path.join(outRoot, BUILD_FILES.timeToLive), json(timeToLiveInput(config.TABLE_NAME)));
  const jwtSecret = config.JWT_SECRET ?? randomBytes(32).toString('hex');
  await mkdir(path.join(outRoot, BUILD_FILES.environmentDir), { recursive: true });
  for (const spec of specs) {
    await writeFile(
      path.join(outRoot, BUILD_FILES.environmentDir, `${spec.folder}.json`),
      json({ Variables: functionEnvironment(config, spec.folder, jwtSecret) }),
    );
  }
  await writeFile(path.join(outRoot, BUILD_FILES.jwtSecret), `${jwtSecret}\n`, { mode: 0o600 });
  await writeFile(path.join(outRoot, BUILD_FILES.manifest), manifest(specs));
  return specs;
}

function describeSettings(settings: ManagerSettings): string {
  return `request queue ${settings.names.requestQueue}, worker responses ${settings.names.workerResponse}`;
}

function isMain(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href;
}

if (isMain()) {
  const parsed = BuildConfigSchema.safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`localstack build: invalid configuration:\n${z.prettifyError(parsed.error)}\n`);
    process.exit(1);
  }
  buildAll(parsed.data).then(
    (specs) => {
      process.stdout.write(
        `built ${specs.length} functions into localstack/${BUILD_DIR}/ (${specs.map((spec) => spec.functionName).join(', ')}); ` +
          `table ${parsed.data.TABLE_NAME}; ${describeSettings(parsed.data.WM_SETTINGS)}\n`,
      );
    },
    (error: unknown) => {
      process.stderr.write(`localstack build failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
