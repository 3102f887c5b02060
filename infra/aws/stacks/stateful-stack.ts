import { ArnFormat, CfnOutput, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { TABLE_DEFINITION, type IndexDefinition, type TableDefinition } from '../../../shared/adapters/dynamodb/table-definition.js';
import type { EnvironmentConfig } from '../config/environments.js';
import { BrokerNetwork } from '../constructs/broker-network.js';

// What holds data and must outlive a redeploy of the code: the table, the broker, its credentials.

/** The broker users besides its administrator, one secret each (`{"username","password"}`). */
export interface BrokerUserSecrets {
  manager: secretsmanager.ISecret;
  clients: secretsmanager.ISecret;
  workers: secretsmanager.ISecret;
}

/** What the stateless stack needs to know about the broker. */
export interface BrokerReference {
  /** The broker name: also the `Broker` dimension of its CloudWatch metrics. */
  name: string;
  arn: string;
  id: string;
  /** `amqps://b-….mq.<region>.amazonaws.com:5671`, without credentials. */
  amqpEndpoint: string;
  virtualHost: string;
  /** The manager user's secret: the functions and the event source mappings log in with it. */
  secret: secretsmanager.ISecret;
  /** The administrator's: the topology step (users, policies, vhost) and operators only. */
  adminSecret: secretsmanager.ISecret;
  users: BrokerUserSecrets;
  /** Set for a private broker: where the functions run to reach it. */
  network?: { subnetIds: string[]; securityGroupIds: string[] };
}

/**
 * Where the stateful stack leaves what may change when the broker is replaced, as SSM parameters
 * (read by the stateless stack at deploy time) instead of CloudFormation exports: an export in use
 * cannot change, so a replaced broker (public to private, another deployment mode) would deadlock
 * the two stacks. The table and the secrets are never replaced with the broker: plain references.
 */
export function brokerParameterNames(environment: string) {
  const base = `/worker-manager/${environment}`;
  return {
    arn: `${base}/broker/arn`,
    id: `${base}/broker/id`,
    amqpEndpoint: `${base}/broker/amqp-endpoint`,
    subnetIds: `${base}/network/subnet-ids`,
    functionsSecurityGroupId: `${base}/network/functions-security-group-id`,
  };
}

/** The broker name: its access and mode in it, so a change that replaces the broker gives the new one another name. */
export function brokerNameOf(config: EnvironmentConfig): string {
  const mode = config.broker.deploymentMode === 'CLUSTER_MULTI_AZ' ? 'cluster' : 'single';
  return `worker-manager-${config.name}-${config.broker.access}-${mode}`;
}

/**
 * The broker as the stateless stack sees it: the values that follow a replaced broker read from
 * the SSM parameters at deploy time, the secrets by reference.
 */
export function readBrokerReference(
  scope: Construct,
  config: EnvironmentConfig,
  secrets: { admin: secretsmanager.ISecret; users: BrokerUserSecrets },
): BrokerReference {
  const names = brokerParameterNames(config.name);
  const read = (name: string) => ssm.StringParameter.valueForStringParameter(scope, name);
  return {
    name: brokerNameOf(config),
    arn: read(names.arn),
    id: read(names.id),
    amqpEndpoint: read(names.amqpEndpoint),
    virtualHost: config.broker.virtualHost,
    secret: secrets.users.manager,
    adminSecret: secrets.admin,
    users: secrets.users,
    ...(config.broker.access === 'private'
      ? { network: { subnetIds: Fn.split(',', read(names.subnetIds)), securityGroupIds: [read(names.functionsSecurityGroupId)] } }
      : {}),
  };
}

export interface StatefulStackProps extends StackProps {
  config: EnvironmentConfig;
}

export class StatefulStack extends Stack {
  public readonly table: dynamodb.TableV2;
  public readonly brokerSecret: secretsmanager.Secret;
  public readonly brokerUsers: BrokerUserSecrets;
  public readonly broker: amazonmq.CfnBroker;
  public readonly network: BrokerNetwork | undefined;

  public constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retain = config.removalPolicy === 'retain';
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.table = new dynamodb.TableV2(this, 'Table', {
      ...tableKeys(TABLE_DEFINITION),
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_DEFINITION.timeToLiveAttribute,
      deletionProtection: retain,
      removalPolicy,
    });

    const credentials = (id: string, username: string, description: string) =>
      new secretsmanager.Secret(this, id, {
        description: `${description} (${config.name}): {"username","password"}`,
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ username }),
          generateStringKey: 'password',
          // Amazon MQ refuses , : = in passwords, and clients that build URLs by hand trip over
          // the rest of the punctuation; 32 letters and digits still carry ~190 bits.
          excludePunctuation: true,
          includeSpace: false,
          passwordLength: 32,
        },
        removalPolicy,
      });
    this.brokerSecret = credentials('BrokerCredentials', config.broker.username, 'Amazon MQ administrator of the worker manager, for operators');
    this.brokerUsers = {
      manager: credentials('BrokerManagerCredentials', config.broker.users.manager, 'RabbitMQ user of the worker manager functions'),
      clients: credentials('BrokerClientsCredentials', config.broker.users.clients, 'RabbitMQ user of REGARDS clients'),
      workers: credentials('BrokerWorkersCredentials', config.broker.users.workers, 'RabbitMQ user of REGARDS workers'),
    };

    const isPrivate = config.broker.access === 'private';
    this.network = isPrivate ? new BrokerNetwork(this, 'Network', { availabilityZones: config.broker.availabilityZones }) : undefined;
    const brokerName = brokerNameOf(config);
    this.broker = new amazonmq.CfnBroker(this, 'Broker', {
      brokerName,
      engineType: 'RABBITMQ',
      engineVersion: config.broker.engineVersion,
      // Required from 3.13 on: Amazon MQ applies patch releases in the maintenance window.
      autoMinorVersionUpgrade: true,
      hostInstanceType: config.broker.instanceType,
      deploymentMode: config.broker.deploymentMode,
      publiclyAccessible: !isPrivate,
      ...(this.network === undefined
        ? {}
        : { subnetIds: this.network.brokerSubnetIds(config.broker.deploymentMode), securityGroups: [this.network.brokerSecurityGroup.securityGroupId] }),
      users: [
        {
          // Dynamic references: the password never appears in the template.
          username: this.brokerSecret.secretValueFromJson('username').unsafeUnwrap(),
          password: this.brokerSecret.secretValueFromJson('password').unsafeUnwrap(),
        },
      ],
      logs: { general: true },
      maintenanceWindowStartTime: {
        dayOfWeek: config.broker.maintenanceWindow.dayOfWeek,
        timeOfDay: config.broker.maintenanceWindow.timeOfDay,
        timeZone: config.broker.maintenanceWindow.timeZone,
      },
    });
    this.broker.applyRemovalPolicy(removalPolicy);

    // Amazon MQ writes the broker's general log to /aws/amazonmq/broker/<id>/general only when
    // CloudWatch Logs lets the service do so. aws:SourceAccount keeps another account's broker
    // (the confused deputy) from writing here; aws:SourceArn cannot name this broker, whose ARN
    // exists only after the policy it depends on.
    const brokerLogPolicy = new logs.CfnResourcePolicy(this, 'BrokerLogsPolicy', {
      policyName: `worker-manager-${config.name}-amazonmq-logs`,
      policyDocument: this.toJsonString({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'mq.amazonaws.com' },
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: this.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '/aws/amazonmq/*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
            Condition: { StringEquals: { 'aws:SourceAccount': this.account } },
          },
        ],
      }),
    });
    this.broker.node.addDependency(brokerLogPolicy);

    // Amazon MQ creates the log group itself, with no retention (kept forever). LogRetention (a
    // CDK custom resource) creates it or sets the retention of the existing group by name, so it
    // cannot clash with the group the broker creates.
    new logs.LogRetention(this, 'BrokerLogRetention', {
      logGroupName: Fn.join('', ['/aws/amazonmq/broker/', this.broker.attrId, '/general']),
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy,
    });

    const parameters = brokerParameterNames(config.name);
    const parameter = (id: string, parameterName: string, stringValue: string, description: string) =>
      new ssm.StringParameter(this, id, { parameterName, stringValue, description });
    parameter('BrokerArnParameter', parameters.arn, this.broker.attrArn, 'ARN of the worker manager broker');
    parameter('BrokerIdParameter', parameters.id, this.broker.attrId, 'Id of the worker manager broker');
    // A RabbitMQ broker has one AMQP endpoint, also in cluster mode (behind a load balancer).
    const amqpEndpoint = Fn.select(0, this.broker.attrAmqpEndpoints);
    parameter('BrokerEndpointParameter', parameters.amqpEndpoint, amqpEndpoint, 'AMQPS endpoint of the worker manager broker');
    if (this.network !== undefined) {
      const subnetIds = this.network.vpc.isolatedSubnets.map((subnet) => subnet.subnetId);
      parameter('SubnetIdsParameter', parameters.subnetIds, Fn.join(',', subnetIds), 'Subnets of the worker manager functions');
      parameter(
        'FunctionsSecurityGroupParameter',
        parameters.functionsSecurityGroupId,
        this.network.functionsSecurityGroup.securityGroupId,
        'Security group of the worker manager functions',
      );
    }

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AmqpEndpoint', { value: amqpEndpoint, description: 'Clients and workers connect here (TLS)' });
    new CfnOutput(this, 'VirtualHost', { value: config.broker.virtualHost });
    new CfnOutput(this, 'BrokerCredentialsSecretArn', {
      value: this.brokerSecret.secretArn,
      description: 'The broker administrator (operators only): username and password',
    });
    new CfnOutput(this, 'ClientCredentialsSecretArn', { value: this.brokerUsers.clients.secretArn, description: 'The RabbitMQ user of REGARDS clients' });
    new CfnOutput(this, 'WorkerCredentialsSecretArn', { value: this.brokerUsers.workers.secretArn, description: 'The RabbitMQ user of REGARDS workers' });
  }
}

/** The table's keys and indexes, exactly as TABLE_DEFINITION lists them (every key is a string). */
export function tableKeys(definition: TableDefinition): Pick<dynamodb.TablePropsV2, 'partitionKey' | 'sortKey' | 'globalSecondaryIndexes'> {
  const key = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
  return {
    partitionKey: key(definition.partitionKey),
    sortKey: key(definition.sortKey),
    globalSecondaryIndexes: definition.indexes.map((index: IndexDefinition) => ({
      indexName: index.name,
      partitionKey: key(index.partitionKey),
      sortKey: key(index.sortKey),
      projectionType: PROJECTIONS[index.projection],
      ...(index.projection === 'INCLUDE' ? { nonKeyAttributes: [...(index.nonKeyAttributes ?? [])] } : {}),
    })),
  };
}

const PROJECTIONS: Record<IndexDefinition['projection'], dynamodb.ProjectionType> = {
  ALL: dynamodb.ProjectionType.ALL,
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
  INCLUDE: dynamodb.ProjectionType.INCLUDE,
};
