import { describe, expect, it } from 'vitest';
import { LAMBDA_VPC_EC2_ACTIONS, MQ_EVENT_SOURCE_EC2_ACTIONS } from '../../infra/aws/constructs/manager-function.js';
import { SESSION_DELETIONS_TABLE_ACCESS, TABLE_ACCESS, type ManagerFunctionName } from '../../infra/aws/stacks/stateless-stack.js';
import { TABLE_DEFINITION } from '../../shared/adapters/dynamodb/table-definition.js';
import { logicalId, resourcesOf, synthEnvironment } from './synth.js';

// Least privilege, read off the synthesised policies of both environments.

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const CONSTRUCTS: Record<ManagerFunctionName | 'broker-topology' | 'handle-session-deletions', string> = {
  'register-requests': 'RegisterRequests',
  'handle-worker-responses': 'HandleWorkerResponses',
  'record-heartbeats': 'RecordHeartbeats',
  'handle-worker-dead-letters': 'HandleWorkerDeadLetters',
  sweep: 'Sweep',
  'admin-api': 'AdminApi',
  'run-bulk-jobs': 'AdminApiRunBulkJobs',
  'broker-topology': 'BrokerTopologyHandler',
  'handle-session-deletions': 'HandleSessionDeletions',
};
const QUEUE_FED: (keyof typeof CONSTRUCTS)[] = [
  'register-requests',
  'handle-worker-responses',
  'record-heartbeats',
  'handle-worker-dead-letters',
  'handle-session-deletions',
];

const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
const resourcesOfStatement = (statement: Statement) => (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]);

const sameSet = (actions: readonly string[], expected: readonly string[]) => JSON.stringify([...actions].sort()) === JSON.stringify([...expected].sort());

for (const environment of ['dev', 'prod'] as const) {
  const { stateless, config } = synthEnvironment(environment);
  /** prod's broker is private: every function runs in its VPC, with the network-interface actions that needs. */
  const vpcActions: string[] = config.broker.access === 'private' ? [...LAMBDA_VPC_EC2_ACTIONS] : [];
  const policies = resourcesOf(stateless, 'AWS::IAM::Policy');
  const statementsOf = (policyId: string): Statement[] =>
    (policies[policyId]?.Properties?.['PolicyDocument'] as { Statement: Statement[] } | undefined)?.Statement ?? [];
  const policyOf = (name: keyof typeof CONSTRUCTS) => logicalId(stateless, 'AWS::IAM::Policy', `${CONSTRUCTS[name]}RoleDefaultPolicy`);
  const allStatements = Object.keys(policies).flatMap((id) => statementsOf(id).map((statement) => ({ policy: id, statement })));
  const mentions = (statement: Statement, exportPart: string) => JSON.stringify(statement.Resource).includes(exportPart);

  describe(`IAM of the ${environment} functions`, () => {
    it('grants each function exactly the DynamoDB calls its use case makes', () => {
      for (const name of Object.keys(TABLE_ACCESS) as ManagerFunctionName[]) {
        const granted = statementsOf(policyOf(name))
          .flatMap(actionsOf)
          .filter((action) => action.startsWith('dynamodb:'))
          .sort();
        expect(granted, name).toEqual(TABLE_ACCESS[name].map((action) => `dynamodb:${action}`).sort());
      }
      expect(TABLE_ACCESS['register-requests']).toEqual(['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem']);
      // The admin API deletes nothing itself (run-bulk-jobs does), and run-bulk-jobs registers no tenant.
      expect(TABLE_ACCESS['admin-api']).toEqual(['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem']);
      // Deleting a request replaces it by its trace (PutItem): no function deletes requests with DeleteItem.
      expect(TABLE_ACCESS['run-bulk-jobs']).toEqual(['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem']);
    });

    it('limits item calls to the table and queries to the table and its three indexes', () => {
      for (const name of Object.keys(TABLE_ACCESS) as ManagerFunctionName[]) {
        for (const statement of statementsOf(policyOf(name)).filter((s) => actionsOf(s).some((action) => action.startsWith('dynamodb:')))) {
          const resources = resourcesOfStatement(statement).map((resource) => JSON.stringify(resource));
          if (actionsOf(statement).includes('dynamodb:Query')) {
            expect(actionsOf(statement), name).toEqual(['dynamodb:Query']);
            const indexes = resources.filter((resource) => resource.includes('/index/')).map((resource) => /\/index\/([^"]+)/.exec(resource)?.[1]);
            expect(indexes.sort(), name).toEqual(TABLE_DEFINITION.indexes.map((index) => index.name).sort());
            expect(resources, name).toHaveLength(1 + TABLE_DEFINITION.indexes.length);
          } else {
            expect(resources, name).toHaveLength(1);
            expect(resources[0], name).toContain('TableCD117FA1Arn');
            expect(resources[0], name).not.toContain('/index/');
          }
        }
      }
    });

    it('grants no wildcard DynamoDB action, no Scan, and nothing on the table itself (no DeleteTable, no UpdateTable)', () => {
      const allowed = new Set(
        ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].map((action) => `dynamodb:${action}`),
      );
      const dynamoActions = allStatements.flatMap(({ statement }) => actionsOf(statement)).filter((action) => action.toLowerCase().startsWith('dynamodb:'));
      expect(dynamoActions.length).toBeGreaterThan(0);
      for (const action of dynamoActions) {
        expect(allowed.has(action), action).toBe(true);
        expect(action).not.toMatch(/\*|Scan/);
      }
      for (const { statement } of allStatements) expect(actionsOf(statement)).not.toContain('*');
    });

    it('uses a wildcard resource only for X-Ray and the event source network interfaces, which have no resource-level permissions', () => {
      for (const { policy, statement } of allStatements) {
        if (resourcesOfStatement(statement).includes('*')) {
          const actions = actionsOf(statement).sort();
          if (actions[0]?.startsWith('ec2:')) expect(sameSet(actions, MQ_EVENT_SOURCE_EC2_ACTIONS) || sameSet(actions, vpcActions), policy).toBe(true);
          else expect(actions, policy).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        }
      }
    });

    it('gives each queue-fed role, and only those, the six EC2 actions its event source mapping needs, once, on "*"', () => {
      expect([...MQ_EVENT_SOURCE_EC2_ACTIONS].sort()).toEqual([
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcs',
      ]);
      const ec2 = allStatements.filter(
        ({ statement }) => actionsOf(statement).some((action) => action.startsWith('ec2:')) && !sameSet(actionsOf(statement), vpcActions),
      );
      expect(ec2.map(({ policy }) => policy).sort()).toEqual(QUEUE_FED.map(policyOf).sort());
      for (const { statement } of ec2) {
        expect(statement.Effect).toBe('Allow');
        expect(actionsOf(statement).sort()).toEqual([...MQ_EVENT_SOURCE_EC2_ACTIONS].sort());
        expect(statement.Resource).toBe('*');
      }
      // Besides the broker description and the broker secret the mapping logs in with.
      for (const name of QUEUE_FED) {
        const actions = statementsOf(policyOf(name)).flatMap(actionsOf);
        expect(actions, name).toContain('mq:DescribeBroker');
        expect(actions, name).toContain('secretsmanager:GetSecretValue');
      }
    });

    it("lets the functions read the manager user's secret, the topology handler the administrator's and the users', only admin-api the JWT secret, and only GetSecretValue", () => {
      const readers = allStatements.filter(({ statement }) => actionsOf(statement).some((action) => action.startsWith('secretsmanager:')));
      for (const { statement } of readers) expect(actionsOf(statement)).toEqual(['secretsmanager:GetSecretValue']);
      const single = readers.filter(({ statement }) => resourcesOfStatement(statement).length === 1);
      const managerReaders = single.filter(({ statement }) => mentions(statement, 'BrokerManagerCredentials')).map(({ policy }) => policy);
      const others = (Object.keys(CONSTRUCTS) as (keyof typeof CONSTRUCTS)[]).filter((name) => name !== 'broker-topology');
      expect(managerReaders.sort()).toEqual(others.map(policyOf).sort());
      // The administrator's secret: the topology step only (it creates users and policies).
      const adminReaders = single.filter(({ statement }) => mentions(statement, 'BrokerCredentials')).map(({ policy }) => policy);
      expect(adminReaders).toEqual([policyOf('broker-topology')]);
      // The three users' secrets, whose passwords it sets: one statement, the topology step's.
      const userReaders = readers.filter(({ statement }) => resourcesOfStatement(statement).length > 1);
      expect(userReaders.map(({ policy }) => policy)).toEqual([policyOf('broker-topology')]);
      const userSecrets = JSON.stringify(userReaders[0]?.statement.Resource);
      for (const secret of ['BrokerManagerCredentials', 'BrokerClientsCredentials', 'BrokerWorkersCredentials']) expect(userSecrets).toContain(secret);
      expect(resourcesOfStatement(userReaders[0]!.statement)).toHaveLength(3);
      const jwtSecret = logicalId(stateless, 'AWS::SecretsManager::Secret', 'AdminApiJwtSecret');
      const jwtReaders = readers.filter(({ statement }) => mentions(statement, jwtSecret));
      expect(jwtReaders.map(({ policy }) => policy)).toEqual([policyOf('admin-api')]);
      expect(jwtReaders[0]?.statement.Resource).toEqual({ Ref: jwtSecret });
      // Every secret statement names one of these.
      expect(readers).toHaveLength(managerReaders.length + adminReaders.length + userReaders.length + jwtReaders.length);
      const scheduler = logicalId(stateless, 'AWS::IAM::Policy', 'SchedulerRoleForTarget098f73DefaultPolicy');
      expect(JSON.stringify(statementsOf(scheduler))).not.toContain('secretsmanager');
    });

    it('lets only the queue-fed functions describe the broker, as their event source mapping needs', () => {
      const describers = allStatements.filter(({ statement }) => actionsOf(statement).some((action) => action.startsWith('mq:')));
      expect(describers.map(({ policy }) => policy).sort()).toEqual(QUEUE_FED.map(policyOf).sort());
      for (const { statement } of describers) {
        expect(actionsOf(statement)).toEqual(['mq:DescribeBroker']);
        // The ARN the stateful stack leaves in its SSM parameter (no export pins the broker).
        expect(JSON.stringify(statement.Resource)).toMatch(/SsmParameterValue.*brokerarn/i);
      }
    });

    it('gives the topology handler its logs, the secrets and nothing of the table', () => {
      const statements = statementsOf(policyOf('broker-topology'));
      expect(statements.flatMap(actionsOf).sort()).toEqual(
        [
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          // the administrator's secret; the three users' secrets
          'secretsmanager:GetSecretValue',
          'secretsmanager:GetSecretValue',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
          ...vpcActions,
        ].sort(),
      );
    });

    it('lets each function write to its own log group only, with no managed policy (no AWSLambdaBasicExecutionRole)', () => {
      const roles = resourcesOf(stateless, 'AWS::IAM::Role');
      for (const [name, constructId] of Object.entries(CONSTRUCTS)) {
        const role = roles[logicalId(stateless, 'AWS::IAM::Role', `${constructId}Role`)];
        expect(role?.Properties?.['ManagedPolicyArns'], name).toBeUndefined();
        const logs = statementsOf(policyOf(name as keyof typeof CONSTRUCTS)).filter((statement) =>
          actionsOf(statement).some((action) => action.startsWith('logs:')),
        );
        expect(logs, name).toHaveLength(1);
        expect(logs[0]?.Resource, name).toEqual({ 'Fn::GetAtt': [logicalId(stateless, 'AWS::Logs::LogGroup', `${constructId}Logs`), 'Arn'] });
      }
    });

    it('lets the schedule invoke sweep and nothing else, and the provider framework the topology handler only', () => {
      const scheduler = statementsOf(logicalId(stateless, 'AWS::IAM::Policy', 'SchedulerRoleForTarget098f73DefaultPolicy'));
      expect(scheduler.flatMap(actionsOf)).toEqual(['lambda:InvokeFunction']);
      expect(JSON.stringify(scheduler[0]?.Resource)).toContain(logicalId(stateless, 'AWS::Lambda::Function', 'SweepFunction'));
      const framework = statementsOf(logicalId(stateless, 'AWS::IAM::Policy', 'BrokerTopologyProviderframeworkonEventServiceRoleDefaultPolicy'));
      const invoke = framework.find((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
      expect(JSON.stringify(invoke?.Resource)).toContain(logicalId(stateless, 'AWS::Lambda::Function', 'BrokerTopologyHandlerFunction'));
      expect(JSON.stringify(framework)).not.toMatch(/secretsmanager|dynamodb|mq:/);
    });

    it('gives handle-session-deletions only the job write, the broker and the invoke of run-bulk-jobs', () => {
      const granted = statementsOf(policyOf('handle-session-deletions')).flatMap(actionsOf);
      expect(granted.filter((action) => action.startsWith('dynamodb:'))).toEqual(SESSION_DELETIONS_TABLE_ACCESS.map((action) => `dynamodb:${action}`));
      expect(granted).toContain('lambda:InvokeFunction');
      expect(granted).toContain('secretsmanager:GetSecretValue');
      expect(granted).toContain('mq:DescribeBroker');
    });

    it('gives admin-api and run-bulk-jobs exactly the actions their use cases need', () => {
      const granted = (name: keyof typeof CONSTRUCTS) => statementsOf(policyOf(name)).flatMap(actionsOf).sort();
      const common = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments', ...vpcActions];
      expect(granted('admin-api')).toEqual(
        [
          ...common,
          ...TABLE_ACCESS['admin-api'].map((action) => `dynamodb:${action}`),
          'lambda:InvokeFunction',
          // the broker secret and the JWT secret, one statement each
          'secretsmanager:GetSecretValue',
          'secretsmanager:GetSecretValue',
        ].sort(),
      );
      expect(granted('run-bulk-jobs')).toEqual(
        [...common, ...TABLE_ACCESS['run-bulk-jobs'].map((action) => `dynamodb:${action}`), 'lambda:InvokeFunction', 'secretsmanager:GetSecretValue'].sort(),
      );
    });

    it('lets admin-api, run-bulk-jobs and sweep invoke run-bulk-jobs only, and no other function invoke anything', () => {
      const runBulkJobs = logicalId(stateless, 'AWS::Lambda::Function', 'AdminApiRunBulkJobsFunction');
      const invokers = (Object.keys(CONSTRUCTS) as (keyof typeof CONSTRUCTS)[]).flatMap((name) =>
        statementsOf(policyOf(name))
          .filter((statement) => actionsOf(statement).some((action) => action.startsWith('lambda:')))
          .map((statement) => ({ name, statement })),
      );
      expect(invokers.map(({ name }) => name).sort()).toEqual(['admin-api', 'handle-session-deletions', 'run-bulk-jobs', 'sweep']);
      for (const { statement } of invokers) expect(actionsOf(statement)).toEqual(['lambda:InvokeFunction']);
      const byName = Object.fromEntries(invokers.map(({ name, statement }) => [name, statement.Resource]));
      // admin-api, and sweep to restart stalled jobs: the function's ARN attribute (run-bulk-jobs exists first).
      expect(byName['admin-api']).toEqual({ 'Fn::GetAtt': [runBulkJobs, 'Arn'] });
      expect(byName['sweep']).toEqual({ 'Fn::GetAtt': [runBulkJobs, 'Arn'] });
      // rs-admin's session and source deletions start delete jobs.
      expect(byName['handle-session-deletions']).toEqual({ 'Fn::GetAtt': [runBulkJobs, 'Arn'] });
      // run-bulk-jobs: its own ARN built from its physical name, one unqualified function, no wildcard.
      const self = JSON.stringify(byName['run-bulk-jobs']);
      expect(self).toContain(`:function:worker-manager-${environment}-run-bulk-jobs"`);
      expect(self).not.toContain('*');
      expect(self).not.toContain(runBulkJobs);
      const fn = resourcesOf(stateless, 'AWS::Lambda::Function')[runBulkJobs];
      expect(fn?.Properties?.['FunctionName']).toBe(`worker-manager-${environment}-run-bulk-jobs`);
    });

    it("lets API Gateway invoke admin-api only, from this API's stage only, and gives its account log role the one managed policy", () => {
      const permissions = Object.values(resourcesOf(stateless, 'AWS::Lambda::Permission')).filter(
        (permission) => permission.Properties?.['Principal'] === 'apigateway.amazonaws.com',
      );
      expect(permissions).toHaveLength(2);
      const restApi = logicalId(stateless, 'AWS::ApiGateway::RestApi', 'AdminApiRestApi');
      for (const permission of permissions) {
        expect(permission.Properties?.['Action']).toBe('lambda:InvokeFunction');
        expect(permission.Properties?.['FunctionName']).toEqual({ 'Fn::GetAtt': [logicalId(stateless, 'AWS::Lambda::Function', 'AdminApiFunction'), 'Arn'] });
        const source = JSON.stringify(permission.Properties?.['SourceArn']);
        expect(source).toContain(restApi);
        expect(source).not.toContain('test-invoke-stage');
      }
      // Managed policies only on the roles CDK builds for a service: the Provider framework's and API Gateway's account log role.
      const logRole = logicalId(stateless, 'AWS::IAM::Role', 'AdminApiRestApiCloudWatchRole');
      const managed = Object.entries(resourcesOf(stateless, 'AWS::IAM::Role')).filter(([, role]) => role.Properties?.['ManagedPolicyArns'] !== undefined);
      expect(managed.map(([id]) => id).sort()).toEqual(
        [logicalId(stateless, 'AWS::IAM::Role', 'BrokerTopologyProviderframeworkonEventServiceRole'), logRole].sort(),
      );
      const logRolePolicies = resourcesOf(stateless, 'AWS::IAM::Role')[logRole]?.Properties?.['ManagedPolicyArns'];
      expect(JSON.stringify(logRolePolicies)).toContain('service-role/AmazonAPIGatewayPushToCloudWatchLogs');
      expect(logRolePolicies).toHaveLength(1);
      expect(JSON.stringify(resourcesOf(stateless, 'AWS::IAM::Role')[logRole]?.Properties?.['AssumeRolePolicyDocument'])).toContain('apigateway.amazonaws.com');
    });

    it('gives every function a role of its own', () => {
      const roles = Object.values(resourcesOf(stateless, 'AWS::Lambda::Function')).map((fn) => JSON.stringify(fn.Properties?.['Role']));
      expect(new Set(roles).size).toBe(roles.length);
    });
  });
}
