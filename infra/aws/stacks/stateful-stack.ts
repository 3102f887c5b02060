import { ArnFormat, CfnOutput, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TABLE_DEFINITION, type IndexDefinition, type TableDefinition } from '../../../shared/adapters/dynamodb/table-definition.js';
import type { EnvironmentConfig } from '../config/environments.js';

// What holds data and must outlive a redeploy of the code: the table, the broker, its credentials.

/** What the stateless stack needs to know about the broker. */
export interface BrokerReference {
  /** The broker name: also the `Broker` dimension of its CloudWatch metrics. */
  name: string;
  arn: string;
  id: string;
  /** `amqps://b-….mq.<region>.amazonaws.com:5671`, without credentials. */
  amqpEndpoint: string;
  virtualHost: string;
  /** `{"username", "password"}` of the broker user: the event source mappings log in with it. */
  secret: secretsmanager.ISecret;
}

export interface StatefulStackProps extends StackProps {
  config: EnvironmentConfig;
}

export class StatefulStack extends Stack {
  public readonly table: dynamodb.TableV2;
  public readonly brokerSecret: secretsmanager.Secret;
  public readonly broker: amazonmq.CfnBroker;
  public readonly brokerReference: BrokerReference;

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

    this.brokerSecret = new secretsmanager.Secret(this, 'BrokerCredentials', {
      description: `Amazon MQ user of the worker manager (${config.name}): {"username","password"}`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: config.broker.username }),
        generateStringKey: 'password',
        // Amazon MQ refuses , : = in passwords, and clients that build URLs by hand trip over
        // the rest of the punctuation; 32 letters and digits still carry ~190 bits.
        excludePunctuation: true,
        includeSpace: false,
        passwordLength: 32,
      },
      removalPolicy,
    });

    const brokerName = `worker-manager-${config.name}`;
    this.broker = new amazonmq.CfnBroker(this, 'Broker', {
      brokerName,
      engineType: 'RABBITMQ',
      engineVersion: config.broker.engineVersion,
      // Required from 3.13 on: Amazon MQ applies patch releases in the maintenance window.
      autoMinorVersionUpgrade: true,
      hostInstanceType: config.broker.instanceType,
      deploymentMode: config.broker.deploymentMode,
      // The MQ event source reaches a public broker without a VPC; a private broker needs VPC
      // access for the functions plus Secrets Manager and STS endpoints, which is not built here.
      publiclyAccessible: true,
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

    this.brokerReference = {
      name: brokerName,
      arn: this.broker.attrArn,
      id: this.broker.attrId,
      // A RabbitMQ broker has one AMQP endpoint, also in cluster mode (behind a load balancer).
      amqpEndpoint: Fn.select(0, this.broker.attrAmqpEndpoints),
      virtualHost: config.broker.virtualHost,
      secret: this.brokerSecret,
    };

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AmqpEndpoint', { value: this.brokerReference.amqpEndpoint, description: 'Clients and workers connect here (TLS)' });
    new CfnOutput(this, 'VirtualHost', { value: config.broker.virtualHost });
    new CfnOutput(this, 'BrokerCredentialsSecretArn', {
      value: this.brokerSecret.secretArn,
      description: 'Secrets Manager secret with the broker username and password',
    });
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
