import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import * as z from 'zod';
import { environmentConfig } from '../../infra/aws/config/environments.js';
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
  /** The RabbitMQ service of docker-compose.yml, with the user it creates. */
  LAMBDA_AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
    .default('amqp://worker-manager:worker-manager@rabbitmq:5672'),
});
export type BuildConfig = z.infer<typeof BuildConfigSchema>;

/**
 * The environment every deployed function gets. A function reads only what its schema names, so
 * one environment serves them all; AMQP_URL stands in for the AWS endpoint + secret pair, which
 * needs the Amazon MQ broker LocalStack cannot provide.
 */
export function functionEnvironment(config: BuildConfig): Record<string, string> {
  return {
    TABLE_NAME: config.TABLE_NAME,
    DYNAMODB_ENDPOINT: config.LAMBDA_DYNAMODB_ENDPOINT,
    AMQP_URL: config.LAMBDA_AMQP_URL,
    WM_SETTINGS: JSON.stringify(config.WM_SETTINGS),
    LOG_LEVEL: config.LOG_LEVEL,
    NODE_OPTIONS: '--enable-source-maps',
  };
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

/** Timeouts and memory as the dev environment deploys them, so a slow handler times out here as it would there. */
export function functionSpecs(folders: readonly string[], prefix: string): FunctionSpec[] {
  const sizing = environmentConfig('dev').functions;
  return folders.map((folder) => {
    // As infra/aws/constructs/broker-topology.ts sizes its handler (not part of the environment config).
    if (folder === 'broker-topology') return { folder, functionName: deployedFunctionName(prefix, folder), timeoutSeconds: 120, memorySizeMb: 256 };
    const timeoutSeconds = folder === 'sweep' ? sizing.sweepTimeoutSeconds : sizing.mqTimeoutSeconds;
    return { folder, functionName: deployedFunctionName(prefix, folder), timeoutSeconds, memorySizeMb: sizing.memorySizeMb };
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
  await writeFile(path.join(outRoot, BUILD_FILES.environment), json({ Variables: functionEnvironment(config) }));
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
