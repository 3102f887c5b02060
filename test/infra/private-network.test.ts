import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { environmentConfig } from '../../infra/aws/config/environments.js';
import { brokerParameterNames } from '../../infra/aws/stacks/stateful-stack.js';
import { brokerPermissions } from '../../shared/contract/topology.js';
import { logicalId, resourcesOf, synthEnvironment } from './synth.js';

// Issue 14 point 5: prod's broker is private and reached through its VPC, every role of the broker
// has a user of its own, and no export pins the broker so that replacing it is a normal deploy.

const dev = synthEnvironment('dev');
const prod = synthEnvironment('prod');

const importsOf = (template: typeof dev.stateless): string[] => {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Fn::ImportValue') found.push(JSON.stringify(inner));
        else walk(inner);
      }
    }
  };
  walk(template.toJSON());
  return found;
};

const ingress = (template: typeof dev.stateful) => Object.values(resourcesOf(template, 'AWS::EC2::SecurityGroupIngress')).map((rule) => rule.Properties!);

describe('Point 5: prod is private and least privilege', () => {
  describe('the private broker and its network', () => {
    it('puts the prod broker in its own subnets and security group, not publicly accessible; dev stays public', () => {
      const brokerGroup = logicalId(prod.stateful, 'AWS::EC2::SecurityGroup', 'NetworkBrokerSecurityGroup');
      prod.stateful.hasResourceProperties('AWS::AmazonMQ::Broker', {
        PubliclyAccessible: false,
        SecurityGroups: [{ 'Fn::GetAtt': [brokerGroup, 'GroupId'] }],
        SubnetIds: Match.arrayWith([Match.objectLike({ Ref: Match.stringLikeRegexp('NetworkVpcprivateSubnet') })]),
      });
      dev.stateful.hasResourceProperties('AWS::AmazonMQ::Broker', { PubliclyAccessible: true, SubnetIds: Match.absent() });
      dev.stateful.resourceCountIs('AWS::EC2::VPC', 0);
    });

    it('has no route to the internet: no internet gateway, no NAT gateway; AWS services through endpoints', () => {
      prod.stateful.resourceCountIs('AWS::EC2::VPC', 1);
      prod.stateful.resourceCountIs('AWS::EC2::InternetGateway', 0);
      prod.stateful.resourceCountIs('AWS::EC2::NatGateway', 0);
      const endpoints = Object.values(resourcesOf(prod.stateful, 'AWS::EC2::VPCEndpoint')).map((endpoint) => endpoint.Properties!);
      const services = (type: string) =>
        endpoints
          .filter((endpoint) => (endpoint['VpcEndpointType'] ?? 'Gateway') === type)
          .map((endpoint) => JSON.stringify(endpoint['ServiceName']).replace(/.*\.(\w+)"?\]*\]*}*$/, '$1'))
          .sort();
      expect(services('Interface')).toEqual(['lambda', 'secretsmanager', 'sts', 'xray']);
      expect(services('Gateway')).toEqual(['dynamodb']);
      for (const endpoint of endpoints.filter((candidate) => candidate['VpcEndpointType'] === 'Interface')) expect(endpoint['PrivateDnsEnabled']).toBe(true);
    });

    it('opens the broker to the functions (AMQPS, management API) and to its own pollers (AMQPS), the endpoints to both on 443', () => {
      const group = (name: string) => ({ 'Fn::GetAtt': [logicalId(prod.stateful, 'AWS::EC2::SecurityGroup', name), 'GroupId'] });
      const [broker, functions, endpoints] = ['NetworkBrokerSecurityGroup', 'NetworkFunctionsSecurityGroup', 'NetworkEndpointsSecurityGroup'].map(group);
      const rules = ingress(prod.stateful).map((rule) => ({
        to: rule['GroupId'],
        from: rule['SourceSecurityGroupId'],
        port: rule['FromPort'],
        same: rule['FromPort'] === rule['ToPort'],
      }));
      expect(rules).toEqual(
        expect.arrayContaining([
          { to: broker, from: functions, port: 5671, same: true },
          { to: broker, from: functions, port: 443, same: true },
          { to: broker, from: broker, port: 5671, same: true },
          { to: endpoints, from: functions, port: 443, same: true },
          { to: endpoints, from: broker, port: 443, same: true },
        ]),
      );
      expect(rules).toHaveLength(5);
    });

    it('runs every prod function in the subnets and security group the stateful stack leaves in SSM; no dev function in a VPC', () => {
      const functions = Object.entries(resourcesOf(prod.stateless, 'AWS::Lambda::Function')).filter(
        // The web dashboard's file copy (CustomCDKBucketDeployment) writes to S3 only: it stays outside.
        ([id]) =>
          !id.startsWith('BrokerTopologyProviderframework') &&
          !id.startsWith('LogRetention') &&
          !id.startsWith('AWS') &&
          !id.startsWith('CustomCDKBucketDeployment'),
      );
      expect(functions.length).toBe(9);
      for (const [id, fn] of functions) {
        const vpc = JSON.stringify(fn.Properties?.['VpcConfig']);
        expect(vpc, id).toMatch(/SsmParameterValue.*networksubnetids/i);
        expect(vpc, id).toMatch(/SsmParameterValue.*networkfunctionssecuritygroupid/i);
      }
      for (const fn of Object.values(resourcesOf(dev.stateless, 'AWS::Lambda::Function'))) expect(fn.Properties?.['VpcConfig']).toBeUndefined();
    });

    it('refuses jwks token keys with a private broker: the network has no internet to fetch them from', () => {
      expect(() => environmentConfig('prod', { api: { auth: { kind: 'jwks', jwksUrl: 'https://idp.example.org/jwks.json' } } })).toThrow(/internet/);
      expect(() => environmentConfig('dev', { api: { auth: { kind: 'jwks', jwksUrl: 'https://idp.example.org/jwks.json' } } })).not.toThrow();
    });
  });

  describe('a replaceable broker', () => {
    it('exports nothing of the broker: the stateless stacks import only the table and the secrets', () => {
      for (const { stateless } of [dev, prod]) {
        const imports = importsOf(stateless);
        expect(imports.length).toBeGreaterThan(0);
        for (const imported of imports) expect(imported).toMatch(/Table|Credentials/);
        for (const imported of imports) expect(imported).not.toMatch(/BrokerArn|BrokerId|AmqpEndpoints|Subnet|SecurityGroup/);
      }
    });

    it('leaves the broker ARN, id and endpoint (and the private network) in SSM parameters named after the environment', () => {
      const names = brokerParameterNames('prod');
      const parameters = Object.values(resourcesOf(prod.stateful, 'AWS::SSM::Parameter')).map((parameter) => parameter.Properties!['Name']);
      expect(parameters.sort()).toEqual([names.amqpEndpoint, names.arn, names.id, names.functionsSecurityGroupId, names.subnetIds].sort());
      expect(Object.values(resourcesOf(dev.stateful, 'AWS::SSM::Parameter'))).toHaveLength(3);
    });

    it('going public to private replaces the broker under another name, and the stateless stack reads the same parameters', () => {
      const moved = synthEnvironment('dev', { broker: { ...dev.config.broker, access: 'private' } });
      const name = (template: typeof dev.stateful) => Object.values(resourcesOf(template, 'AWS::AmazonMQ::Broker'))[0]!.Properties!['BrokerName'];
      expect(name(dev.stateful)).toBe('worker-manager-dev-public-single');
      // A replacement creates the new broker before deleting the old: a fixed name would collide.
      expect(name(moved.stateful)).toBe('worker-manager-dev-private-single');
      const parametersOf = (template: typeof dev.stateless) =>
        Object.values(template.toJSON()['Parameters'] as Record<string, { Default?: string }>)
          .map((parameter) => parameter.Default)
          .filter((value) => value?.startsWith('/worker-manager/'))
          .sort();
      expect(parametersOf(moved.stateless)).toEqual(expect.arrayContaining(parametersOf(dev.stateless)));
      expect(moved.stateful.toJSON()['Resources']['Broker']).toBeDefined();
      expect(dev.stateful.toJSON()['Resources']['Broker']).toBeDefined();
    });
  });

  describe('broker users', () => {
    it('gives the manager, clients and workers users of their own, each with a generated secret, the administrator apart', () => {
      const secrets = Object.values(resourcesOf(dev.stateful, 'AWS::SecretsManager::Secret')).map(
        (secret) =>
          JSON.parse(String((secret.Properties!['GenerateSecretString'] as { SecretStringTemplate: string }).SecretStringTemplate)) as { username: string },
      );
      expect(secrets.map((secret) => secret.username).sort()).toEqual(['wm-clients', 'wm-manager', 'wm-workers', 'worker-manager']);
      const outputs = dev.stateful.findOutputs('*');
      expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ClientCredentialsSecretArn', 'WorkerCredentialsSecretArn', 'BrokerCredentialsSecretArn']));
      expect(() => environmentConfig('dev', { broker: { ...dev.config.broker, users: { manager: 'worker-manager' } } })).toThrow(/four different names/);
    });

    it("has the topology step keep the three users with brokerPermissions' regexes and their secrets, on every deploy", () => {
      const resource = Object.values(resourcesOf(dev.stateless, 'Custom::BrokerTopology'))[0]!.Properties!;
      const users = resource['Users'] as { Role: string; SecretArn: unknown; Configure: string; Write: string; Read: string }[];
      const permissions = brokerPermissions(dev.config.settings.names);
      expect(users.map((user) => user.Role)).toEqual(['manager', 'clients', 'workers']);
      for (const user of users) {
        const role = user.Role as keyof typeof permissions;
        expect({ configure: user.Configure, write: user.Write, read: user.Read }).toEqual(permissions[role]);
        const secret = { manager: 'BrokerManagerCredentials', clients: 'BrokerClientsCredentials', workers: 'BrokerWorkersCredentials' }[role];
        expect(JSON.stringify(user.SecretArn)).toContain(secret);
      }
    });
  });
});
