import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BrokerTopologyEnvSchema } from '../../functions/broker-topology/env.js';
import { ManagerFunction, type TableAction } from '../../infra/aws/constructs/manager-function.js';
import type { BrokerReference } from '../../infra/aws/stacks/stateful-stack.js';
import { DEFAULT_MANAGER_SETTINGS } from '../../shared/contract/manager-settings.js';
import { BaseEnvSchema, MqFunctionEnvSchema } from '../../shared/lambda/env.js';
import { SKIP_BUNDLING } from './synth.js';

// The typed function construct on its own, in a throwaway stack.

function fixture() {
  const stack = new Stack(new App({ context: SKIP_BUNDLING }), 'Fixture');
  const table = new dynamodb.TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  const secret = new secretsmanager.Secret(stack, 'Secret');
  const broker: BrokerReference = {
    name: 'broker',
    arn: 'arn:aws:mq:eu-west-3:123456789012:broker:broker:b-1',
    id: 'b-1',
    amqpEndpoint: 'amqps://b-1.mq.eu-west-3.amazonaws.com:5671',
    virtualHost: '/',
    secret,
    adminSecret: secret,
    users: { manager: secret, clients: secret, workers: secret },
  };
  const common = {
    description: 'test',
    memorySizeMb: 256,
    timeout: Duration.seconds(10),
    logRetention: logs.RetentionDays.ONE_DAY,
    removalPolicy: RemovalPolicy.DESTROY,
  };
  return { stack, table, broker, common };
}

describe('Construct: ManagerFunction', () => {
  it('synthesises a function whose environment passes its own schema', () => {
    // Prepare
    const { stack, table, broker, common } = fixture();
    // Act
    new ManagerFunction(stack, 'Fn', {
      entry: 'register-requests',
      envSchema: MqFunctionEnvSchema,
      environment: { LOG_LEVEL: 'warn' },
      settings: DEFAULT_MANAGER_SETTINGS,
      ...common,
    })
      .bindTable(table, 'read')
      .bindBroker(broker);
    // Assess
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { LOG_LEVEL: 'warn', AMQP_ENDPOINT: broker.amqpEndpoint, AMQP_VHOST: '/', NODE_OPTIONS: '--enable-source-maps' } },
    });
    const policy = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policy).toContain('dynamodb:GetItem');
    expect(policy).not.toContain('dynamodb:PutItem');
  });

  it('fails the synth when a variable the schema needs was never set (a forgotten bindTable)', () => {
    const { stack, broker, common } = fixture();
    new ManagerFunction(stack, 'Fn', {
      entry: 'register-requests',
      envSchema: MqFunctionEnvSchema,
      environment: {},
      settings: DEFAULT_MANAGER_SETTINGS,
      ...common,
    }).bindBroker(broker);
    expect(() => Template.fromStack(stack)).toThrow(/TABLE_NAME/);
  });

  it('fails the synth (and tsc) on a value the schema refuses', () => {
    const { stack, table, broker, common } = fixture();
    new ManagerFunction(stack, 'Fn', {
      entry: 'register-requests',
      envSchema: MqFunctionEnvSchema,
      // @ts-expect-error 'loud' is not a LOG_LEVEL
      environment: { LOG_LEVEL: 'loud' },
      settings: DEFAULT_MANAGER_SETTINGS,
      ...common,
    })
      .bindTable(table, 'read')
      .bindBroker(broker);
    expect(() => Template.fromStack(stack)).toThrow(/LOG_LEVEL/);
  });

  it('refuses a variable the schema does not read at compile time', () => {
    const { stack, common } = fixture();
    const schema = BaseEnvSchema.pick({ LOG_LEVEL: true }).extend({ BULK_JOB_FUNCTION: z.string().min(1) });
    const make = (id: string, environment: { BULK_JOB_FUNCTION: string }) =>
      new ManagerFunction(stack, id, { entry: 'sweep', envSchema: schema, environment, ...common });
    // @ts-expect-error a misspelt variable is not part of the schema's input
    new ManagerFunction(stack, 'Misspelt', { entry: 'sweep', envSchema: schema, environment: { BULK_JOB_FUNCTON: 'x', BULK_JOB_FUNCTION: 'y' }, ...common });
    // @ts-expect-error a variable the schema requires cannot be left out
    new ManagerFunction(stack, 'Missing', { entry: 'sweep', envSchema: schema, environment: {}, ...common });
    make('Right', { BULK_JOB_FUNCTION: 'run-bulk-jobs' });
    // Only Missing is caught at synth time as well: an extra variable is harmless at run time.
    expect(() => Template.fromStack(stack)).toThrow(/Missing environment: BULK_JOB_FUNCTION/);
  });

  it('binds only what the schema reads, and grants only the table actions this app knows (no Scan)', () => {
    const { stack, table, broker, common } = fixture();
    const topology = new ManagerFunction(stack, 'Topology', { entry: 'broker-topology', envSchema: BrokerTopologyEnvSchema, environment: {}, ...common });
    // @ts-expect-error the topology handler reads no TABLE_NAME
    expect(() => topology.bindTable(table, 'read')).toThrow(/TABLE_NAME/);
    const noBroker = new ManagerFunction(stack, 'NoBroker', {
      entry: 'sweep',
      envSchema: BaseEnvSchema,
      environment: {},
      settings: DEFAULT_MANAGER_SETTINGS,
      ...common,
    });
    // @ts-expect-error this schema reads no broker variable
    expect(() => noBroker.bindBroker(broker)).toThrow(/AMQP_SECRET_ARN/);
    // @ts-expect-error Scan is not a TableAction
    const scan: TableAction = 'Scan';
    expect(() => noBroker.bindTable(table, [scan])).toThrow(/Scan/);
  });

  it('insists on the settings for a function that reads WM_SETTINGS', () => {
    const { stack, common } = fixture();
    // @ts-expect-error settings are required when the schema reads WM_SETTINGS
    expect(() => new ManagerFunction(stack, 'Fn', { entry: 'sweep', envSchema: BaseEnvSchema, environment: {}, ...common })).toThrow(/WM_SETTINGS/);
  });

  it('needs the broker bound before a queue can feed the function', () => {
    const { stack, table, common } = fixture();
    const fn = new ManagerFunction(stack, 'Fn', {
      entry: 'register-requests',
      envSchema: MqFunctionEnvSchema,
      environment: {},
      settings: DEFAULT_MANAGER_SETTINGS,
      ...common,
    }).bindTable(table, 'readWrite');
    expect(() => fn.addBrokerEventSource('EventSource', { queue: 'q', batchSize: 10, maximumBatchingWindowSeconds: 0 })).toThrow(/bindBroker/);
  });

  it('binds a secret variable with GetSecretValue on that secret only, and refuses it as a plain variable', () => {
    const { stack, table, common } = fixture();
    const jwt = new secretsmanager.Secret(stack, 'Jwt');
    const schema = BaseEnvSchema.pick({ LOG_LEVEL: true }).extend({ JWT_SECRET_ARN: z.string().startsWith('arn:'), AMQP_SECRET_ARN: z.string().optional() });
    const fn = new ManagerFunction(stack, 'Fn', { entry: 'sweep', envSchema: schema, environment: {}, ...common }).bindSecret('JWT_SECRET_ARN', jwt);
    // @ts-expect-error a secret ARN comes with its grant, through bindSecret
    new ManagerFunction(stack, 'Plain', { entry: 'sweep', envSchema: schema, environment: { JWT_SECRET_ARN: 'arn:x' }, ...common }).bindSecret(
      'JWT_SECRET_ARN',
      jwt,
    );
    // @ts-expect-error the schema reads no such secret variable
    expect(() => fn.bindSecret('DB_SECRET_ARN', jwt)).toThrow(/DB_SECRET_ARN/);
    // @ts-expect-error the broker secret is bindBroker's
    expect(() => fn.bindSecret('AMQP_SECRET_ARN', jwt)).toThrow(/bindBroker/);
    // @ts-expect-error TABLE_NAME is no secret variable (and this schema does not read it)
    expect(() => fn.bindTable(table, 'read')).toThrow(/TABLE_NAME/);
    const template = Template.fromStack(stack);
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
    for (const { Properties } of fns)
      expect(Properties.Environment.Variables['JWT_SECRET_ARN']).toEqual({ Ref: stack.getLogicalId(jwt.node.defaultChild as secretsmanager.CfnSecret) });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );
    const reads = statements.filter((statement) => statement.Action === 'secretsmanager:GetSecretValue');
    expect(reads.length).toBeGreaterThan(0);
    for (const statement of reads) expect(statement.Resource).toEqual({ Ref: stack.getLogicalId(jwt.node.defaultChild as secretsmanager.CfnSecret) });
  });

  it('binds a function-name variable with InvokeFunction on that function, and fails the synth when it was forgotten', () => {
    const { stack, common } = fixture();
    const schema = BaseEnvSchema.pick({ LOG_LEVEL: true }).extend({ JOBS_FUNCTION_NAME: z.string().min(1) });
    const target = new ManagerFunction(stack, 'Target', { entry: 'sweep', envSchema: BaseEnvSchema.pick({ LOG_LEVEL: true }), environment: {}, ...common });
    new ManagerFunction(stack, 'Caller', { entry: 'sweep', envSchema: schema, environment: {}, ...common }).bindInvoke('JOBS_FUNCTION_NAME', target.function);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { JOBS_FUNCTION_NAME: { Ref: stack.getLogicalId(target.function.node.defaultChild as CfnFunction) } } },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [stack.getLogicalId(target.function.node.defaultChild as CfnFunction), 'Arn'] },
          },
        ]),
      },
    });

    const other = fixture();
    // @ts-expect-error the name comes with its grant, through bindInvoke
    new ManagerFunction(other.stack, 'Plain', { entry: 'sweep', envSchema: schema, environment: { JOBS_FUNCTION_NAME: 'x' }, ...other.common });
    new ManagerFunction(other.stack, 'Forgotten', { entry: 'sweep', envSchema: schema, environment: {}, ...other.common });
    expect(() => Template.fromStack(other.stack)).toThrow(/Forgotten environment: JOBS_FUNCTION_NAME/);
  });

  it('lets a named function invoke itself by an ARN built from its name, and counts on the runtime for AWS_LAMBDA_FUNCTION_NAME', () => {
    const { stack, common } = fixture();
    const schema = BaseEnvSchema.pick({ LOG_LEVEL: true }).extend({ AWS_LAMBDA_FUNCTION_NAME: z.string().min(1) });
    expect(
      // @ts-expect-error the runtime sets AWS_LAMBDA_FUNCTION_NAME; Lambda refuses it as a configured variable
      () => new ManagerFunction(stack, 'Reserved', { entry: 'sweep', envSchema: schema, environment: { AWS_LAMBDA_FUNCTION_NAME: 'x' }, ...common }),
    ).toThrow(/runtime sets AWS_LAMBDA_FUNCTION_NAME/);
    const unnamed = new ManagerFunction(stack, 'Unnamed', { entry: 'sweep', envSchema: schema, environment: {}, ...common });
    expect(() => unnamed.allowSelfInvoke()).toThrow(/functionName/);
    // @ts-expect-error the runtime's own name is no function to bind
    expect(() => unnamed.bindInvoke('AWS_LAMBDA_FUNCTION_NAME', unnamed.function)).toThrow(/runtime sets AWS_LAMBDA_FUNCTION_NAME/);
    new ManagerFunction(stack, 'Named', {
      entry: 'sweep',
      envSchema: schema,
      environment: {},
      functionName: 'wm-self',
      reservedConcurrency: 3,
      ...common,
    }).allowSelfInvoke();
    // Synthesises: no circular dependency, and AWS_LAMBDA_FUNCTION_NAME is not demanded of the stack.
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'wm-self', ReservedConcurrentExecutions: 3 });
    const named = template.toJSON() as { Resources: Record<string, { Type: string; Properties: { Environment?: { Variables: Record<string, unknown> } } }> };
    for (const resource of Object.values(named.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(resource.Properties.Environment?.Variables['AWS_LAMBDA_FUNCTION_NAME']).toBeUndefined();
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':function:wm-self']],
            },
          },
        ]),
      },
    });
  });

  it('refuses an entry that has no handler', () => {
    const { stack, common } = fixture();
    expect(() => new ManagerFunction(stack, 'Fn', { entry: 'no-such-function', envSchema: BrokerTopologyEnvSchema, environment: {}, ...common })).toThrow(
      /no handler/,
    );
  });
});
