import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type * as z from 'zod';
import { TABLE_DEFINITION } from '../../../shared/adapters/dynamodb/table-definition.js';
import type { EventSourceMappingSettings, ManagerSettings } from '../../../shared/contract/manager-settings.js';
import type { BrokerReference } from '../stacks/stateful-stack.js';
import { LAMBDA_BUNDLE } from './lambda-bundle.js';

// functions/<name>/handler.ts + its zod env schema --> (ManagerFunction) --> a Lambda wired like every other

/** The repository root: esbuild resolves the handlers and the lock file from here. */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** Every variable is a string or absent: what a function's env schema reads. */
type EnvInput = Record<string, string | undefined>;
/** An env schema; a coerced variable (`z.coerce.number()`) has the input type `unknown`. */
export type EnvSchema = z.ZodType<unknown, Record<string, unknown>>;
/** The variables of a schema as Lambda passes them: a coerced one is given as a string too. */
type EnvironmentOf<S extends EnvSchema> = { [K in keyof z.input<S>]: unknown extends z.input<S>[K] ? string | undefined : z.input<S>[K] };

/**
 * Variables the construct sets itself, each together with the permission it needs (bindTable,
 * bindBroker, bindSecret, bindInvoke), or that the Lambda runtime owns (AWS_REGION,
 * AWS_LAMBDA_FUNCTION_NAME: Lambda refuses them as configured variables) or only the local host uses.
 */
type ManagedVariable =
  | 'TABLE_NAME'
  | 'DYNAMODB_ENDPOINT'
  | 'AWS_REGION'
  | 'AWS_LAMBDA_FUNCTION_NAME'
  | 'WM_SETTINGS'
  | 'METRICS_SERVICE'
  | 'AMQP_URL'
  | 'AMQP_ENDPOINT'
  | 'AMQP_SECRET_ARN'
  | 'AMQP_VHOST'
  | `${string}_SECRET_ARN`
  | `${string}_FUNCTION_NAME`;

type Reads<S extends EnvSchema, Name extends string> = Name extends keyof z.input<S> ? true : false;

/** The `…_SECRET_ARN` variables of a schema that `bindSecret` may set (the broker's is bindBroker's). */
export type SecretVariable<S extends EnvSchema> = Exclude<Extract<keyof z.input<S>, `${string}_SECRET_ARN`>, 'AMQP_SECRET_ARN'>;
/** The `…_FUNCTION_NAME` variables of a schema that `bindInvoke` may set (Lambda sets AWS_LAMBDA_FUNCTION_NAME). */
export type FunctionVariable<S extends EnvSchema> = Exclude<Extract<keyof z.input<S>, `${string}_FUNCTION_NAME`>, 'AWS_LAMBDA_FUNCTION_NAME'>;

/**
 * The `service` dimension of the metrics of the functions in `scope`'s stack (ports/metrics.ts):
 * the stack's name, so two deployments in one account and region keep their metrics apart.
 */
export function metricsServiceOf(scope: Construct): string {
  return Stack.of(scope).stackName;
}

/** DynamoDB calls a function may be granted. Scan is not one of them: no path scans the table. */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem';
export type TableAccess = 'read' | 'readWrite' | readonly TableAction[];

export const TABLE_ACCESS_PRESETS: Record<Exclude<TableAccess, readonly TableAction[]>, readonly TableAction[]> = {
  read: ['GetItem', 'BatchGetItem', 'Query'],
  readWrite: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'],
};

const TABLE_ACTIONS: ReadonlySet<string> = new Set(TABLE_ACCESS_PRESETS.readWrite);

/**
 * What the Lambda poller of an Amazon MQ event source does with the function's role besides
 * mq:DescribeBroker and reading the broker secret ("Process Amazon MQ messages with Lambda",
 * execution role permissions; the SAM `MQ` event lists the same): it looks up the broker's VPC,
 * subnets and security groups and manages network interfaces in them. Without them a mapping may
 * fail to start (state "Disabled", reason in StateTransitionReason), even for a public broker.
 */
export const MQ_EVENT_SOURCE_EC2_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
] as const;

/**
 * What Lambda does with the role of a function in a VPC (the actions of AWS's
 * AWSLambdaVPCAccessExecutionRole, which this app does not attach: it grants logs on every group):
 * it creates, describes and deletes the function's network interfaces and assigns their
 * addresses. Like the poller's, these actions have no resource-level permissions.
 */
export const LAMBDA_VPC_EC2_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/** Variables the Lambda runtime sets; Lambda refuses a function configured with one of them. */
const RUNTIME_VARIABLES: ReadonlySet<string> = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

export type ManagerFunctionProps<S extends EnvSchema> = {
  /** The folder under functions/ holding handler.ts. */
  entry: string;
  /** The schema the handler validates its environment with. */
  envSchema: S;
  /** The variables the schema reads that no bind helper sets; a missing or misspelt one fails tsc. */
  environment: Omit<EnvironmentOf<S>, ManagedVariable>;
  description: string;
  memorySizeMb: number;
  timeout: Duration;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  /**
   * A physical name, only for a function that must know its own ARN before it exists (one that
   * invokes itself: see allowSelfInvoke). Others keep generated names, so a replacement never clashes.
   */
  functionName?: string;
  /** Caps the concurrent executions (and reserves them out of the account's pool). */
  reservedConcurrency?: number;
} & (Reads<S, 'WM_SETTINGS'> extends true
  ? { /** Passed as WM_SETTINGS, the JSON document the function parses with ManagerSettingsSchema. */ settings: ManagerSettings }
  : { settings?: never });

/**
 * The one way this app makes a Lambda: Node.js 22 on arm64, an ESM bundle built by the local
 * esbuild (no Docker), source maps on, JSON logs into its own log group, and an environment typed
 * by the zod schema the handler validates at run time. Permissions come only with the variables
 * that need them (bindTable, bindBroker, addBrokerEventSource), so a grant cannot be forgotten or
 * be wider than what the function was given to read.
 */
export class ManagerFunction<S extends EnvSchema> extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  private readonly envSchema: S;
  private readonly variables: Record<string, string> = {};
  private readonly physicalName: string | undefined;
  private broker: BrokerReference | undefined;
  private grantedEventSourceNetwork = false;

  public constructor(scope: Construct, id: string, props: ManagerFunctionProps<S>) {
    super(scope, id);
    this.envSchema = props.envSchema;
    this.physicalName = props.functionName;
    Object.assign(this.variables, definedOnly(props.environment as EnvInput));
    const reserved = Object.keys(this.variables).filter((name) => RUNTIME_VARIABLES.has(name));
    if (reserved.length > 0) throw new Error(`${this.node.path}: the Lambda runtime sets ${reserved.join(', ')}; it cannot be configured`);
    if (props.settings !== undefined) {
      this.variables['WM_SETTINGS'] = JSON.stringify(props.settings);
    } else if (this.reads('WM_SETTINGS')) {
      // WM_SETTINGS defaults to '{}': left out, the function would run on default queue names.
      throw new Error(`${this.node.path}: the function reads WM_SETTINGS; pass the environment's settings`);
    }
    // Every function of a stack records its metrics under one `service` dimension: the dashboard's and alarms'.
    if (this.reads('METRICS_SERVICE')) this.variables['METRICS_SERVICE'] = metricsServiceOf(this);
    const entry = path.join(REPO_ROOT, 'functions', props.entry, 'handler.ts');
    if (!existsSync(entry)) throw new Error(`no handler at ${entry}`);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Instead of AWSLambdaBasicExecutionRole, which may write to every log group of the account.
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }));

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      ...(props.functionName === undefined ? {} : { functionName: props.functionName }),
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySizeMb,
      timeout: props.timeout,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // The handlers filter by LOG_LEVEL themselves and write lowercase levels; letting Lambda
      // filter too could drop lines it does not recognise.
      applicationLogLevelV2: lambda.ApplicationLogLevel.TRACE,
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      tracing: lambda.Tracing.ACTIVE,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: LAMBDA_BUNDLE.target,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        minify: LAMBDA_BUNDLE.minify,
        keepNames: LAMBDA_BUNDLE.keepNames,
        sourceMap: true,
        sourcesContent: LAMBDA_BUNDLE.sourcesContent,
        banner: LAMBDA_BUNDLE.banner,
        externalModules: [...LAMBDA_BUNDLE.external],
        forceDockerBundling: false,
      },
      environment: { NODE_OPTIONS: '--enable-source-maps', ...this.variables },
    });
    this.node.addValidation({ validate: () => this.environmentIssues() });
  }

  /**
   * Grants exactly `access` on the table (and Query on its indexes) and sets TABLE_NAME.
   * Only for functions whose schema reads TABLE_NAME.
   */
  public bindTable(table: Reads<S, 'TABLE_NAME'> extends true ? dynamodb.ITableV2 : never, access: TableAccess): this {
    this.mustRead('TABLE_NAME', 'bindTable');
    const actions = typeof access === 'string' ? TABLE_ACCESS_PRESETS[access] : access;
    const unknown = actions.filter((action) => !TABLE_ACTIONS.has(action));
    if (unknown.length > 0) throw new Error(`${this.node.path}: not a table action this app grants: ${unknown.join(', ')}`);
    const itemActions = actions.filter((action) => action !== 'Query');
    if (itemActions.length > 0) {
      this.function.addToRolePolicy(new iam.PolicyStatement({ actions: itemActions.map((action) => `dynamodb:${action}`), resources: [table.tableArn] }));
    }
    if (actions.includes('Query')) {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [table.tableArn, ...TABLE_DEFINITION.indexes.map((index) => `${table.tableArn}/index/${index.name}`)],
        }),
      );
    }
    this.setVariable('TABLE_NAME', table.tableName);
    return this;
  }

  /**
   * Lets the function log in to the broker: sets AMQP_ENDPOINT, AMQP_SECRET_ARN and AMQP_VHOST and
   * grants reading that one secret. Only for functions whose schema reads AMQP_SECRET_ARN.
   */
  public bindBroker(broker: Reads<S, 'AMQP_SECRET_ARN'> extends true ? BrokerReference : never): this {
    this.mustRead('AMQP_SECRET_ARN', 'bindBroker');
    this.broker = broker;
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [broker.secret.secretArn] }));
    this.setVariable('AMQP_ENDPOINT', broker.amqpEndpoint);
    this.setVariable('AMQP_SECRET_ARN', broker.secret.secretArn);
    this.setVariable('AMQP_VHOST', broker.virtualHost);
    if (broker.network !== undefined) this.joinNetwork(broker.network);
    return this;
  }

  /**
   * A private broker is reached from inside its VPC: the function runs in the given subnets with
   * the functions' security group, and its role gets the network-interface actions Lambda needs
   * (the function is created after its role's policy, which CDK orders).
   */
  private joinNetwork(network: NonNullable<BrokerReference['network']>): void {
    const cfn = this.function.node.defaultChild as lambda.CfnFunction;
    cfn.vpcConfig = { subnetIds: network.subnetIds, securityGroupIds: network.securityGroupIds };
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: [...LAMBDA_VPC_EC2_ACTIONS], resources: ['*'] }));
  }

  /**
   * Sets `variable` to the ARN of `secret` and grants reading that one secret (GetSecretValue,
   * nothing else). Only for `…_SECRET_ARN` variables the schema reads.
   */
  public bindSecret(variable: SecretVariable<S>, secret: secretsmanager.ISecret): this {
    const name = String(variable);
    // The types say so too; this is for callers that cast them away.
    if (name === 'AMQP_SECRET_ARN') throw new Error(`${this.node.path}: the broker secret comes with its endpoint, through bindBroker()`);
    this.mustRead(name, 'bindSecret');
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
    this.setVariable(name, secret.secretArn);
    return this;
  }

  /**
   * Sets `variable` to the name of `target` and grants invoking that function (unqualified ARN
   * only: the caller invokes $LATEST by name). Only for `…_FUNCTION_NAME` variables the schema reads.
   */
  public bindInvoke(variable: FunctionVariable<S>, target: lambda.IFunction): this {
    const name = String(variable);
    if (RUNTIME_VARIABLES.has(name)) throw new Error(`${this.node.path}: the Lambda runtime sets ${name}`);
    this.mustRead(name, 'bindInvoke');
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [target.functionArn] }));
    this.setVariable(name, target.functionName);
    return this;
  }

  /**
   * Lets the function invoke itself (a long job continued by a fresh invocation). The ARN is built
   * from the physical name: the function's own ARN attribute in its role's policy would be a
   * circular dependency (the function waits for its policy, the policy for the function).
   */
  public allowSelfInvoke(): this {
    if (this.physicalName === undefined) throw new Error(`${this.node.path}: allowSelfInvoke() needs a functionName`);
    const arn = Stack.of(this).formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: this.physicalName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [arn] }));
    return this;
  }

  /**
   * Feeds the function from one broker queue. Amazon MQ has no L2 event source, so this is the L1
   * mapping; Lambda logs in with the broker secret (BASIC_AUTH) on the configured vhost and uses
   * the function's role, which therefore also gets mq:DescribeBroker and the EC2 network-interface
   * actions the Lambda guide lists for an Amazon MQ event source (MQ_EVENT_SOURCE_EC2_ACTIONS).
   */
  public addBrokerEventSource(id: string, mapping: EventSourceMappingSettings & { queue: string }): lambda.CfnEventSourceMapping {
    const broker = this.broker;
    if (broker === undefined) throw new Error(`${this.node.path}: bindBroker() before addBrokerEventSource()`);
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['mq:DescribeBroker'], resources: [broker.arn] }));
    if (!this.grantedEventSourceNetwork) {
      // Create/Describe* have no resource-level permissions (an ENI does not exist before it is
      // created), so '*' is the only resource IAM accepts; DeleteNetworkInterface is kept with them
      // since the poller deletes the interfaces it created, whose ids nobody knows in advance.
      this.function.addToRolePolicy(new iam.PolicyStatement({ actions: [...MQ_EVENT_SOURCE_EC2_ACTIONS], resources: ['*'] }));
      this.grantedEventSourceNetwork = true;
    }
    const eventSource = new lambda.CfnEventSourceMapping(this, id, {
      functionName: this.function.functionName,
      eventSourceArn: broker.arn,
      queues: [mapping.queue],
      batchSize: mapping.batchSize,
      maximumBatchingWindowInSeconds: mapping.maximumBatchingWindowSeconds,
      sourceAccessConfigurations: [
        { type: 'BASIC_AUTH', uri: broker.secret.secretArn },
        { type: 'VIRTUAL_HOST', uri: broker.virtualHost },
      ],
      enabled: true,
    });
    // Lambda checks the role when it creates the mapping; the policy must exist by then.
    const policy = this.function.role?.node.tryFindChild('DefaultPolicy');
    if (policy) eventSource.node.addDependency(policy);
    return eventSource;
  }

  /** Whether the schema reads a variable; a schema that is not a plain object may read anything. */
  private reads(name: string): boolean {
    const shape = (this.envSchema as { shape?: unknown }).shape;
    return typeof shape !== 'object' || shape === null || Object.hasOwn(shape, name);
  }

  /** The run-time twin of the bind helpers' parameter types, for callers that cast them away. */
  private mustRead(name: string, helper: string): void {
    if (!this.reads(name)) throw new Error(`${this.node.path}: ${helper}() sets ${name}, which this function's schema does not read`);
  }

  private setVariable(name: string, value: string): void {
    this.variables[name] = value;
    this.function.addEnvironment(name, value);
  }

  /**
   * Parses the environment with the function's own schema at synth time, so a variable nobody
   * set (a forgotten bindTable) fails `cdk synth` rather than the first invocation. Values that
   * are CloudFormation tokens are only known at deploy time and are not judged.
   */
  private environmentIssues(): string[] {
    // What the Lambda runtime adds to the configured variables.
    const environment: Record<string, string> = { AWS_LAMBDA_FUNCTION_NAME: this.function.functionName, ...this.variables };
    const parsed = this.envSchema.safeParse(environment);
    if (parsed.success) return [];
    return parsed.error.issues
      .filter((issue) => {
        const name = issue.path[0];
        const value = typeof name === 'string' ? environment[name] : undefined;
        return value === undefined || !Token.isUnresolved(value);
      })
      .map((issue) => `${Stack.of(this).stackName}/${this.node.id} environment: ${issue.path.join('.')}: ${issue.message}`);
  }
}

function definedOnly(environment: EnvInput): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
