import { describe, expect, it } from 'vitest';
import { BrokerTopologyEnvSchema } from '../../../functions/broker-topology/env.js';
import { environmentConfig } from '../../../infra/aws/config/environments.js';
import { SweepEnvSchema } from '../../../functions/sweep/env.js';
import { bridgedFunctionNames } from '../../../localstack/bridge.js';
import { BuildConfigSchema, bundleOptions, functionEnvironment, functionFolders, functionSpecs, manifest } from '../../../localstack/scripts/build.js';
import { ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { MqFunctionEnvSchema, parseEnv } from '../../../shared/lambda/env.js';

describe('LocalStack build', () => {
  const config = BuildConfigSchema.parse({ TABLE_NAME: 'wm-table', WM_SETTINGS: JSON.stringify({ names: { requestQueue: 'custom.requests' } }) });

  it('gives the functions an environment their own schemas accept, pointing at the compose services', () => {
    // Act
    const environment = functionEnvironment(config);
    // Assess
    const mq = parseEnv(MqFunctionEnvSchema, environment);
    expect(mq).toMatchObject({
      TABLE_NAME: 'wm-table',
      DYNAMODB_ENDPOINT: 'http://localstack:4566',
      AMQP_URL: 'amqp://worker-manager:worker-manager@rabbitmq:5672',
    });
    expect(mq.WM_SETTINGS).toEqual(ManagerSettingsSchema.parse({ names: { requestQueue: 'custom.requests' } }));
    expect(parseEnv(SweepEnvSchema, environment).WM_SETTINGS.names.requestQueue).toBe('custom.requests');
    expect(parseEnv(BrokerTopologyEnvSchema, environment).AMQP_URL).toBe(environment['AMQP_URL']);
  });

  it('deploys a function for every one the bridge invokes', () => {
    // Act
    const deployed = functionSpecs(functionFolders(), 'p-').map((spec) => spec.functionName);
    // Assess
    expect(deployed).toEqual(expect.arrayContaining(Object.values(bridgedFunctionNames('p-'))));
  });

  it('sizes the functions as the dev stack does and writes them one per tab-separated line', () => {
    // Act
    const specs = functionSpecs(['register-requests', 'sweep'], 'p-');
    // Assess
    const dev = environmentConfig('dev').functions;
    expect(specs).toEqual([
      { folder: 'register-requests', functionName: 'p-register-requests', timeoutSeconds: dev.mqTimeoutSeconds, memorySizeMb: dev.memorySizeMb },
      { folder: 'sweep', functionName: 'p-sweep', timeoutSeconds: dev.sweepTimeoutSeconds, memorySizeMb: dev.memorySizeMb },
    ]);
    expect(manifest(specs)).toBe(
      `p-register-requests\tregister-requests\t${dev.mqTimeoutSeconds}\t${dev.memorySizeMb}\np-sweep\tsweep\t${dev.sweepTimeoutSeconds}\t${dev.memorySizeMb}\n`,
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
