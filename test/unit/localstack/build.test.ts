import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { AdminApiEnvSchema } from '../../../functions/admin-api/env.js';
import { BrokerTopologyEnvSchema } from '../../../functions/broker-topology/env.js';
import { HandleSessionDeletionsEnvSchema } from '../../../functions/handle-session-deletions/env.js';
import { HandleWorkerDeadLettersEnvSchema } from '../../../functions/handle-worker-dead-letters/env.js';
import { HandleWorkerResponsesEnvSchema } from '../../../functions/handle-worker-responses/env.js';
import { RecordHeartbeatsEnvSchema } from '../../../functions/record-heartbeats/env.js';
import { RegisterRequestsEnvSchema } from '../../../functions/register-requests/env.js';
import { RunBulkJobsEnvSchema } from '../../../functions/run-bulk-jobs/env.js';
import { SweepEnvSchema } from '../../../functions/sweep/env.js';
import { environmentConfig } from '../../../infra/aws/config/environments.js';
import { DEPLOYED_FUNCTIONS, functionSettings, type DeployedFunction } from '../../../infra/aws/config/function-settings.js';
import { bridgedFunctionNames } from '../../../localstack/bridge.js';
import { BUILD_FILES, deployedFunctionName } from '../../../localstack/deployment.js';
import {
  BuildConfigSchema,
  buildAll,
  bundleOptions,
  functionEnvironment,
  functionFolders,
  functionSpecs,
  manifest,
  REPO_ROOT,
} from '../../../localstack/scripts/build.js';
import { ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { MqFunctionEnvSchema, parseEnv } from '../../../shared/lambda/env.js';

describe('LocalStack build', () => {
  const config = BuildConfigSchema.parse({ TABLE_NAME: 'wm-table', WM_SETTINGS: JSON.stringify({ names: { requestQueue: 'custom.requests' } }) });
  const JWT = 'a'.repeat(40);
  const SCHEMAS: Record<DeployedFunction, z.ZodType> = {
    'admin-api': AdminApiEnvSchema,
    'broker-topology': BrokerTopologyEnvSchema,
    'handle-session-deletions': HandleSessionDeletionsEnvSchema,
    'handle-worker-dead-letters': HandleWorkerDeadLettersEnvSchema,
    'handle-worker-responses': HandleWorkerResponsesEnvSchema,
    'record-heartbeats': RecordHeartbeatsEnvSchema,
    'register-requests': RegisterRequestsEnvSchema,
    'run-bulk-jobs': RunBulkJobsEnvSchema,
    sweep: SweepEnvSchema,
  };

  it('gives each function an environment its own schema accepts, pointing at the compose services', () => {
    for (const folder of functionFolders()) {
      // Act
      const environment: Record<string, string> = { ...functionEnvironment(config, folder, JWT), AWS_LAMBDA_FUNCTION_NAME: `p-${folder}` };
      // Assess
      const schema = SCHEMAS[folder as DeployedFunction];
      expect(schema, `${folder} has a schema in this test`).toBeDefined();
      const parsed = schema.safeParse(environment);
      expect(parsed.success, `${folder}: ${parsed.success ? '' : parsed.error.message}`).toBe(true);
      expect(environment).toMatchObject({
        TABLE_NAME: 'wm-table',
        DYNAMODB_ENDPOINT: 'http://localstack:4566',
        AMQP_URL: 'amqp://worker-manager:worker-manager@rabbitmq:5672',
        LOG_LEVEL: 'info',
      });
      expect(ManagerSettingsSchema.parse(JSON.parse(environment['WM_SETTINGS'] ?? '{}')).names.requestQueue, folder).toBe('custom.requests');
    }
    const mq = parseEnv(MqFunctionEnvSchema, functionEnvironment(config, 'register-requests', JWT));
    expect(mq.WM_SETTINGS).toEqual(ManagerSettingsSchema.parse({ names: { requestQueue: 'custom.requests' } }));
  });

  it('gives admin-api its bulk-job function and JWT secret, sweep its bulk-job function, and no other function either', () => {
    // Act
    const admin = parseEnv(AdminApiEnvSchema, functionEnvironment(config, 'admin-api', JWT));
    const sweep = parseEnv(SweepEnvSchema, functionEnvironment(config, 'sweep', JWT));
    // Assess
    expect(admin.BULK_JOBS_FUNCTION_NAME).toBe(deployedFunctionName(config.WM_FUNCTION_PREFIX, 'run-bulk-jobs'));
    expect(admin.JWT_SECRET).toBe(JWT);
    expect(sweep.BULK_JOBS_FUNCTION_NAME).toBe(deployedFunctionName(config.WM_FUNCTION_PREFIX, 'run-bulk-jobs'));
    for (const folder of [
      'register-requests',
      'handle-worker-responses',
      'record-heartbeats',
      'handle-worker-dead-letters',
      'broker-topology',
      'run-bulk-jobs',
    ]) {
      const environment = functionEnvironment(config, folder, JWT);
      expect(environment['BULK_JOBS_FUNCTION_NAME'], folder).toBeUndefined();
      expect(environment['JWT_SECRET'], folder).toBeUndefined();
    }
  });

  it('takes the config-decided variables from the same typed settings the CDK constructs read', () => {
    const tuned = BuildConfigSchema.parse({ LOG_LEVEL: 'debug' });
    const dev = functionSettings(environmentConfig('dev', { logLevel: 'debug' }));
    for (const folder of DEPLOYED_FUNCTIONS) {
      expect(functionEnvironment(tuned, folder, JWT), folder).toMatchObject(dev[folder].environment);
    }
  });

  it('deploys a function for every one the bridge invokes', () => {
    // Act
    const deployed = functionSpecs(functionFolders(), 'p-').map((spec) => spec.functionName);
    // Assess
    expect(deployed).toEqual(expect.arrayContaining(Object.values(bridgedFunctionNames('p-'))));
  });

  it('sizes every function as the dev stack does, run-bulk-jobs 300 s and admin-api 28 s included, one per tab-separated line', () => {
    // Act
    const specs = functionSpecs(functionFolders(), 'p-');
    // Assess
    const dev = functionSettings(environmentConfig('dev'));
    expect(specs.map((spec) => spec.folder)).toEqual([...DEPLOYED_FUNCTIONS].sort());
    for (const spec of specs) {
      expect(spec, spec.folder).toEqual({
        folder: spec.folder,
        functionName: `p-${spec.folder}`,
        timeoutSeconds: dev[spec.folder as DeployedFunction].timeoutSeconds,
        memorySizeMb: dev[spec.folder as DeployedFunction].memorySizeMb,
      });
    }
    expect(specs.find((spec) => spec.folder === 'run-bulk-jobs')?.timeoutSeconds).toBe(300);
    expect(specs.find((spec) => spec.folder === 'admin-api')?.timeoutSeconds).toBe(28);
    expect(specs.find((spec) => spec.folder === 'broker-topology')).toMatchObject({ timeoutSeconds: 120, memorySizeMb: 256 });
    const two = specs.filter((spec) => spec.folder === 'register-requests' || spec.folder === 'sweep');
    expect(manifest(two)).toBe(two.map((spec) => `p-${spec.folder}\t${spec.folder}\t${spec.timeoutSeconds}\t${spec.memorySizeMb}\n`).join(''));
  });

  it('refuses a functions/ folder without settings rather than deploy it with a guessed timeout', () => {
    expect(() => functionSpecs(['new-function'], 'p-')).toThrow(/DEPLOYED_FUNCTIONS/);
  });

  it('writes the deployment the hook reads: the manifest, one environment file per manifest line, the JWT secret', async () => {
    // Act
    const out = await mkdtemp(path.join(tmpdir(), 'wm-localstack-'));
    try {
      const specs = await buildAll(config, out);
      // Assess
      const lines = (await readFile(path.join(out, BUILD_FILES.manifest), 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(DEPLOYED_FUNCTIONS.length);
      const secret = (await readFile(path.join(out, BUILD_FILES.jwtSecret), 'utf8')).trim();
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      for (const spec of specs) {
        const file = JSON.parse(await readFile(path.join(out, BUILD_FILES.environmentDir, `${spec.folder}.json`), 'utf8')) as {
          Variables: Record<string, string>;
        };
        expect(file.Variables, spec.folder).toEqual(functionEnvironment(config, spec.folder, secret));
        expect(existsSync(path.join(out, 'functions', spec.folder, 'index.mjs')), spec.folder).toBe(true);
      }
      // the hook reads the same folder and file names
      const hook = await readFile(path.join(REPO_ROOT, 'localstack/init/ready.d/20-deploy-functions.sh'), 'utf8');
      expect(hook).toContain(`$build_dir/${BUILD_FILES.environmentDir}`);
      expect(hook).toContain('$environment_dir/$folder.json');
      expect(hook).toContain(`$build_dir/${BUILD_FILES.manifest}`);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('pins the LocalStack image to a version, not latest, and counts the functions right in its README', async () => {
    const compose = await readFile(path.join(REPO_ROOT, 'localstack/docker-compose.yml'), 'utf8');
    const image = /image: \$\{LOCALSTACK_IMAGE:-[^}]+\}:\$\{LOCALSTACK_VERSION:-([^}]+)\}/.exec(compose);
    expect(image?.[1]).toMatch(/^\d+\.\d+\.\d+$/);
    const readme = await readFile(path.join(REPO_ROOT, 'localstack/README.md'), 'utf8');
    expect(readme).not.toMatch(/\bsix functions\b|\ball six\b/);
    expect(readme).toContain(
      `all ${['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'][functionFolders().length]} functions`,
    );
  });

  it('bundles like the CDK construct: ESM for node22, the require banner, the SDK left to the runtime', () => {
    // Act
    const options = bundleOptions('sweep', '/out');
    // Assess
    expect(options).toMatchObject({ bundle: true, platform: 'node', format: 'esm', target: 'node22', outfile: '/out/index.mjs', external: ['@aws-sdk/*'] });
    expect(options.banner?.['js']).toContain('createRequire(import.meta.url)');
    expect(options.entryPoints).toEqual([expect.stringMatching(/functions\/sweep\/handler\.ts$/)]);
  });

  it('refuses a prefix Lambda would refuse in a function name', () => {
    // Act
    const parsed = BuildConfigSchema.safeParse({ WM_FUNCTION_PREFIX: 'bad prefix/' });
    // Assess
    expect(parsed.success).toBe(false);
  });
});
