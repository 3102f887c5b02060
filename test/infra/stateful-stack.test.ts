import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TABLE_DEFINITION } from '../../shared/adapters/dynamodb/table-definition.js';
import { resourcesOf, synthEnvironment } from './synth.js';

const dev = synthEnvironment('dev');
const prod = synthEnvironment('prod');

describe('Stack: stateful', () => {
  describe('Resource: table', () => {
    it('is the one table of TABLE_DEFINITION: same keys, exactly its indexes and projections', () => {
      // Prepare
      const keys = (partitionKey: string, sortKey: string) => [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ];
      const attributes = [
        ...new Set([
          TABLE_DEFINITION.partitionKey,
          TABLE_DEFINITION.sortKey,
          ...TABLE_DEFINITION.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
        ]),
      ];
      // Act
      const tables = resourcesOf(dev.stateful, 'AWS::DynamoDB::GlobalTable');
      // Assess
      expect(Object.keys(tables)).toHaveLength(1);
      const table = Object.values(tables)[0]!.Properties!;
      expect(table['KeySchema']).toEqual(keys(TABLE_DEFINITION.partitionKey, TABLE_DEFINITION.sortKey));
      expect(table['AttributeDefinitions']).toEqual(attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })));
      expect(table['GlobalSecondaryIndexes']).toEqual(
        TABLE_DEFINITION.indexes.map((index) => ({
          IndexName: index.name,
          KeySchema: keys(index.partitionKey, index.sortKey),
          Projection:
            index.projection === 'INCLUDE'
              ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...(index.nonKeyAttributes ?? [])] }
              : { ProjectionType: index.projection },
        })),
      );
      expect(table['LocalSecondaryIndexes']).toBeUndefined();
    });

    it('is on-demand, with point-in-time recovery and the TTL attribute', () => {
      for (const { stateful } of [dev, prod]) {
        stateful.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
          BillingMode: 'PAY_PER_REQUEST',
          TimeToLiveSpecification: { AttributeName: TABLE_DEFINITION.timeToLiveAttribute, Enabled: true },
          Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
        });
      }
    });

    it('is retained with deletion protection in prod, and deletable in dev', () => {
      prod.stateful.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })] }),
      });
      dev.stateful.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Delete',
        Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] }),
      });
    });
  });

  describe('Resource: broker', () => {
    it('runs RabbitMQ at the pinned version: a single instance in dev, a multi-AZ cluster in prod', () => {
      dev.stateful.resourceCountIs('AWS::AmazonMQ::Broker', 1);
      dev.stateful.hasResourceProperties('AWS::AmazonMQ::Broker', {
        BrokerName: 'worker-manager-dev-public-single',
        EngineType: 'RABBITMQ',
        EngineVersion: dev.config.broker.engineVersion,
        AutoMinorVersionUpgrade: true,
        DeploymentMode: 'SINGLE_INSTANCE',
        HostInstanceType: 'mq.t3.micro',
        PubliclyAccessible: true,
        Logs: { General: true },
      });
      prod.stateful.hasResourceProperties('AWS::AmazonMQ::Broker', {
        BrokerName: 'worker-manager-prod-private-cluster',
        PubliclyAccessible: false,
        EngineType: 'RABBITMQ',
        EngineVersion: '3.13',
        DeploymentMode: 'CLUSTER_MULTI_AZ',
        HostInstanceType: 'mq.m5.large',
      });
      expect(dev.config.broker.engineVersion).toBe('3.13');
    });

    it('takes its only user from the generated secret by dynamic references, never a literal password', () => {
      // Prepare
      const secretId = Object.keys(resourcesOf(dev.stateful, 'AWS::SecretsManager::Secret'))[0]!;
      const reference = (field: string) => ({
        'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, `:SecretString:${field}::}}`]],
      });
      // Assess
      dev.stateful.hasResourceProperties('AWS::AmazonMQ::Broker', { Users: [{ Username: reference('username'), Password: reference('password') }] });
      dev.stateful.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: {
          SecretStringTemplate: JSON.stringify({ username: 'worker-manager' }),
          GenerateStringKey: 'password',
          ExcludePunctuation: true,
          IncludeSpace: false,
          PasswordLength: 32,
        },
      });
      expect(JSON.stringify(dev.stateful.toJSON())).not.toMatch(/"Password":"[^{]/);
    });

    it('keeps the broker and its secret on stack deletion in prod only', () => {
      prod.stateful.hasResource('AWS::AmazonMQ::Broker', { DeletionPolicy: 'Retain' });
      prod.stateful.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
      dev.stateful.hasResource('AWS::AmazonMQ::Broker', { DeletionPolicy: 'Delete' });
      dev.stateful.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    });

    it('lets Amazon MQ write its general log, before the broker is created', () => {
      dev.stateful.hasResourceProperties('AWS::Logs::ResourcePolicy', { PolicyName: 'worker-manager-dev-amazonmq-logs' });
      const policy = Object.values(resourcesOf(dev.stateful, 'AWS::Logs::ResourcePolicy'))[0]!;
      expect(JSON.stringify(policy.Properties?.['PolicyDocument'])).toContain('mq.amazonaws.com');
      dev.stateful.hasResource('AWS::AmazonMQ::Broker', { DependsOn: ['BrokerLogsPolicy'] });
    });

    it('publishes what clients need as outputs: endpoint, vhost, secret, table', () => {
      const outputs = dev.stateful.findOutputs('*');
      expect(outputs['AmqpEndpoint']?.['Value']).toEqual({ 'Fn::Select': [0, { 'Fn::GetAtt': ['Broker', 'AmqpEndpoints'] }] });
      expect(outputs['VirtualHost']?.['Value']).toBe('/');
      expect(outputs['BrokerCredentialsSecretArn']).toBeDefined();
      expect(outputs['TableName']).toBeDefined();
    });

    it('takes the virtual host from the configuration', () => {
      const custom = synthEnvironment('dev', {
        broker: { engineVersion: '3.13', instanceType: 'mq.t3.micro', deploymentMode: 'SINGLE_INSTANCE', virtualHost: 'wm' },
      });
      expect(custom.stateful.findOutputs('VirtualHost')['VirtualHost']?.['Value']).toBe('wm');
      custom.stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        SourceAccessConfigurations: Match.arrayWith([{ Type: 'VIRTUAL_HOST', URI: 'wm' }]),
      });
      custom.stateless.hasResourceProperties('Custom::BrokerTopology', { VirtualHost: 'wm' });
    });
  });
});
