import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/aws/bin/app.js';
import {
  ENVIRONMENT_NAMES,
  environmentConfig,
  EnvironmentConfigSchema,
  selectEnvironments,
  UnknownEnvironmentError,
} from '../../infra/aws/config/environments.js';
import { DEFAULT_MANAGER_SETTINGS, ManagerSettingsSchema } from '../../shared/contract/manager-settings.js';
import { SKIP_BUNDLING } from './synth.js';

describe('Config: environments', () => {
  it('parses every environment, its settings with the schema the local host reads', () => {
    expect(ENVIRONMENT_NAMES).toEqual(['dev', 'prod']);
    for (const name of ENVIRONMENT_NAMES) {
      const config = environmentConfig(name);
      expect(config.name).toBe(name);
      expect(config.settings).toEqual(ManagerSettingsSchema.parse({}));
      expect(config.settings).toEqual(DEFAULT_MANAGER_SETTINGS);
    }
  });

  it('differs where it must: dev is cheap and disposable, prod clustered and retained', () => {
    const dev = environmentConfig('dev');
    const prod = environmentConfig('prod');
    expect([dev.broker.deploymentMode, prod.broker.deploymentMode]).toEqual(['SINGLE_INSTANCE', 'CLUSTER_MULTI_AZ']);
    expect([dev.removalPolicy, prod.removalPolicy]).toEqual(['destroy', 'retain']);
    expect(dev.broker.engineVersion).toBe(prod.broker.engineVersion);
    expect(prod.api).toEqual({
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
      stageName: 'v1',
      timeoutSeconds: 28,
      auth: { kind: 'hmac' },
      manageAccountLogRole: true,
      // No browser origin unless an operator lists the dashboard's.
      corsAllowOrigins: [],
    });
    expect([prod.functions.bulkJobsTimeoutSeconds, prod.functions.bulkJobsReservedConcurrency]).toEqual([300, 5]);
  });

  it('carries settings overrides through the shared schema, defaults filled in', () => {
    const config = environmentConfig('dev', { settings: { deliveryLimit: 9, names: { requestQueue: 'custom.requests' } } });
    expect(config.settings.deliveryLimit).toBe(9);
    expect(config.settings.names.requestQueue).toBe('custom.requests');
    expect(config.settings.names.workerResponse).toBe(DEFAULT_MANAGER_SETTINGS.names.workerResponse);
  });

  it('refuses broker settings Amazon MQ would refuse at deploy time', () => {
    const base = { name: 'x', removalPolicy: 'destroy', logRetentionDays: 7 } as const;
    const broker = (broker: Record<string, string>) => EnvironmentConfigSchema.safeParse({ ...base, broker });
    expect(broker({ engineVersion: '3.13', instanceType: 'mq.t3.micro', deploymentMode: 'SINGLE_INSTANCE' }).success).toBe(true);
    expect(broker({ engineVersion: '3.13', instanceType: 'mq.t3.micro', deploymentMode: 'CLUSTER_MULTI_AZ' }).success).toBe(false);
    expect(broker({ engineVersion: '4.2', instanceType: 'mq.m5.large', deploymentMode: 'SINGLE_INSTANCE' }).success).toBe(false);
    expect(broker({ engineVersion: '4.2', instanceType: 'mq.m7g.large', deploymentMode: 'CLUSTER_MULTI_AZ' }).success).toBe(true);
    expect(broker({ engineVersion: '3.12', instanceType: 'mq.m5.large', deploymentMode: 'SINGLE_INSTANCE' }).success).toBe(false);
    expect(broker({ engineVersion: '3.13', instanceType: 'mq.m5.large', deploymentMode: 'SINGLE_INSTANCE', username: 'amazonmq-admin' }).success).toBe(false);
    const retention = EnvironmentConfigSchema.safeParse({
      ...base,
      logRetentionDays: 8,
      broker: { engineVersion: '3.13', instanceType: 'mq.t3.micro', deploymentMode: 'SINGLE_INSTANCE' },
    });
    expect(retention.success).toBe(false);
  });

  it('refuses admin API settings API Gateway or Lambda would refuse, or the verifier could not use', () => {
    expect(() => environmentConfig('dev', { api: { timeoutSeconds: 29 } })).toThrow(/api\.timeoutSeconds/);
    expect(() => environmentConfig('dev', { api: { stageName: 'v-1' } })).toThrow(/api\.stageName/);
    // a base64 multipart body of 5 MiB would not fit Lambda's 6 MB request
    expect(() => environmentConfig('dev', { api: { maxBodyBytes: 5 * 1024 * 1024 } })).toThrow(/api\.maxBodyBytes/);
    expect(() => environmentConfig('dev', { api: { auth: { kind: 'jwks', jwksUrl: 'http://idp.example.org/jwks.json' } } })).toThrow(/api\.auth/);
    expect(environmentConfig('dev', { api: { auth: { kind: 'jwks', jwksUrl: 'https://idp.example.org/jwks.json' } } }).api.auth.kind).toBe('jwks');
    // a run needs more than the 30 s it keeps in reserve
    expect(() => environmentConfig('dev', { functions: { bulkJobsTimeoutSeconds: 30 } })).toThrow(/functions\.bulkJobsTimeoutSeconds/);
  });

  it('reports a misconfiguration with the path of the field', () => {
    expect(() => environmentConfig('dev', { settings: { mappings: { registerRequests: { batchSize: 0, maximumBatchingWindowSeconds: 0 } } } })).toThrow(
      /settings\.mappings\.registerRequests\.batchSize/,
    );
  });

  it('selects environments from the env context: one, a list, or all when none is given', () => {
    expect(selectEnvironments(undefined)).toEqual(['dev', 'prod']);
    expect(selectEnvironments('prod')).toEqual(['prod']);
    expect(selectEnvironments('dev, prod')).toEqual(['dev', 'prod']);
    expect(() => selectEnvironments('staging')).toThrow(UnknownEnvironmentError);
    expect(() => environmentConfig('toString')).toThrow(/unknown environment/);
  });
});

describe('App: both environments', () => {
  it('synthesises the stateful and stateless stacks of dev and prod, offline and environment-agnostic', () => {
    // Act
    const assembly = buildApp(new App({ context: SKIP_BUNDLING })).synth();
    // Assess
    const stacks = assembly.stacks.map((stack) => stack.stackName).sort();
    expect(stacks).toEqual(['WorkerManager-dev-Stateful', 'WorkerManager-dev-Stateless', 'WorkerManager-prod-Stateful', 'WorkerManager-prod-Stateless']);
    for (const stack of assembly.stacks) {
      expect(stack.environment.account, stack.stackName).toBe(process.env['CDK_DEFAULT_ACCOUNT'] ?? 'unknown-account');
      expect(Object.keys(stack.template.Resources ?? {}).length, stack.stackName).toBeGreaterThan(3);
      expect(
        stack.messages.filter((message) => message.level === 'error'),
        stack.stackName,
      ).toEqual([]);
    }
    const prodStateful = assembly.getStackByName('WorkerManager-prod-Stateful');
    expect(prodStateful.terminationProtection).toBe(true);
    expect(assembly.getStackByName('WorkerManager-dev-Stateful').terminationProtection).toBe(false);
    // The stateless stack deploys after the stateful one it imports from.
    expect(assembly.getStackByName('WorkerManager-prod-Stateless').dependencies.map((dependency) => dependency.id)).toContain('WorkerManager-prod-Stateful');
  });

  it('synthesises one environment when the env context names it', () => {
    const assembly = buildApp(new App({ context: { ...SKIP_BUNDLING, env: 'prod' } })).synth();
    expect(assembly.stacks.map((stack) => stack.stackName).sort()).toEqual(['WorkerManager-prod-Stateful', 'WorkerManager-prod-Stateless']);
  });
});
