import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AdminApiEnvSchema } from '../../functions/admin-api/env.js';
import { RunBulkJobsEnvSchema } from '../../functions/run-bulk-jobs/env.js';
import { logicalId, resourcesOf, synthEnvironment, type SynthesizedEnvironment } from './synth.js';

// The admin REST API in the stateless stack: API Gateway, admin-api, run-bulk-jobs, the JWT secret, alarms, outputs.

const dev = synthEnvironment('dev');
const prod = synthEnvironment('prod');

type Template = SynthesizedEnvironment['stateless'];
const ids = {
  restApi: (t: Template) => logicalId(t, 'AWS::ApiGateway::RestApi', 'AdminApiRestApi'),
  adminApi: (t: Template) => logicalId(t, 'AWS::Lambda::Function', 'AdminApiFunction'),
  runBulkJobs: (t: Template) => logicalId(t, 'AWS::Lambda::Function', 'AdminApiRunBulkJobsFunction'),
  accessLogs: (t: Template) => logicalId(t, 'AWS::Logs::LogGroup', 'AdminApiAccessLogs'),
  jwtSecret: (t: Template) => logicalId(t, 'AWS::SecretsManager::Secret', 'AdminApiJwtSecret'),
};
const single = (t: Template, type: string) => {
  const all = Object.entries(resourcesOf(t, type));
  expect(all, type).toHaveLength(1);
  return all[0]![1];
};
const stageOf = (t: Template) => single(t, 'AWS::ApiGateway::Stage').Properties!;
const functionOf = (t: Template, id: string) => resourcesOf(t, 'AWS::Lambda::Function')[id]!.Properties!;
const variablesOf = (t: Template, id: string) => (functionOf(t, id)['Environment'] as { Variables: Record<string, unknown> }).Variables;

/**
 * The synthesised variables with each CloudFormation token replaced by a value of the shape it
 * takes once deployed: what the function's schema will parse at its first invocation.
 */
function deployedEnvironment(variables: Record<string, unknown>, runtime: Record<string, string>): Record<string, string> {
  const resolved = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      if (name.endsWith('_ARN')) return [name, 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:s-AbCdEf'];
      if (name === 'AMQP_ENDPOINT') return [name, 'amqps://b-1.mq.eu-west-3.amazonaws.com:5671'];
      return [name, 'resolved-name'];
    }),
  );
  return { ...runtime, ...resolved };
}

describe('Construct: AdminApi', () => {
  describe('Resource: REST API', () => {
    it('is one regional REST API taking multipart uploads as binary', () => {
      const api = single(dev.stateless, 'AWS::ApiGateway::RestApi').Properties!;
      expect(api['Name']).toBe('worker-manager-dev-admin');
      expect(api['EndpointConfiguration']).toEqual({ Types: ['REGIONAL'] });
      expect(api['BinaryMediaTypes']).toEqual(['multipart/form-data']);
    });

    it('sends ANY method on / and on {proxy+} to admin-api through a Lambda proxy integration, with no authorizer', () => {
      const restApi = ids.restApi(dev.stateless);
      const resources = Object.entries(resourcesOf(dev.stateless, 'AWS::ApiGateway::Resource'));
      expect(resources).toHaveLength(1);
      const [proxyId, proxy] = resources[0]!;
      expect(proxy.Properties).toEqual({ ParentId: { 'Fn::GetAtt': [restApi, 'RootResourceId'] }, PathPart: '{proxy+}', RestApiId: { Ref: restApi } });

      const methods = Object.values(resourcesOf(dev.stateless, 'AWS::ApiGateway::Method')).map((method) => method.Properties!);
      expect(methods).toHaveLength(2);
      expect(methods.map((method) => method['ResourceId'])).toEqual(expect.arrayContaining([{ 'Fn::GetAtt': [restApi, 'RootResourceId'] }, { Ref: proxyId }]));
      for (const method of methods) {
        expect(method['HttpMethod']).toBe('ANY');
        // JWTs are verified in the function (same code as the local host), not by API Gateway.
        expect(method['AuthorizationType']).toBe('NONE');
        const integration = method['Integration'] as Record<string, unknown>;
        expect(integration['Type']).toBe('AWS_PROXY');
        expect(integration['IntegrationHttpMethod']).toBe('POST');
        expect(JSON.stringify(integration['Uri'])).toContain(`"${ids.adminApi(dev.stateless)}","Arn"`);
      }
    });

    it('throttles the stage as configured', () => {
      expect(stageOf(dev.stateless)['StageName']).toBe('v1');
      expect(stageOf(dev.stateless)['MethodSettings']).toEqual([
        expect.objectContaining({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
      ]);
      const tuned = synthEnvironment('dev', { api: { throttlingRateLimit: 5, throttlingBurstLimit: 10, stageName: 'admin' } });
      expect(stageOf(tuned.stateless)['StageName']).toBe('admin');
      expect(stageOf(tuned.stateless)['MethodSettings']).toEqual([expect.objectContaining({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 })]);
    });

    it("writes one JSON access log line per request to its own log group, kept as long as the functions' logs; no execution logs", () => {
      const stage = stageOf(dev.stateless);
      const setting = stage['AccessLogSetting'] as { DestinationArn: unknown; Format: string };
      expect(setting.DestinationArn).toEqual({ 'Fn::GetAtt': [ids.accessLogs(dev.stateless), 'Arn'] });
      const format = JSON.parse(setting.Format) as Record<string, string>;
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', ip: '$context.identity.sourceIp', path: '$context.path' });
      expect(format['integrationError']).toBe('$context.integrationErrorMessage');
      // No request header is logged: Authorization carries the token.
      expect(setting.Format).not.toMatch(/header|authorizer/i);
      expect(stage['MethodSettings']).toEqual([expect.objectContaining({ LoggingLevel: 'OFF', DataTraceEnabled: false })]);
      expect(stage['TracingEnabled']).toBe(true);
      expect(resourcesOf(dev.stateless, 'AWS::Logs::LogGroup')[ids.accessLogs(dev.stateless)]).toMatchObject({
        Properties: { RetentionInDays: 7 },
        DeletionPolicy: 'Delete',
      });
      expect(resourcesOf(prod.stateless, 'AWS::Logs::LogGroup')[ids.accessLogs(prod.stateless)]).toMatchObject({
        Properties: { RetentionInDays: 90 },
        DeletionPolicy: 'Retain',
      });
    });

    it("sets the account's API Gateway log role (kept when the stack goes) unless told the account has one", () => {
      const account = single(dev.stateless, 'AWS::ApiGateway::Account');
      expect(account).toMatchObject({ DeletionPolicy: 'Retain' });
      const stage = Object.values(resourcesOf(dev.stateless, 'AWS::ApiGateway::Stage'))[0]!;
      // Access logging fails to deploy before the account names a role.
      expect(stage.DependsOn).toContain(logicalId(dev.stateless, 'AWS::ApiGateway::Account', 'AdminApiRestApiAccount'));
      const existing = synthEnvironment('dev', { api: { manageAccountLogRole: false } });
      existing.stateless.resourceCountIs('AWS::ApiGateway::Account', 0);
      expect(JSON.stringify(existing.stateless.toJSON())).not.toContain('AmazonAPIGatewayPushToCloudWatchLogs');
      expect(stageOf(existing.stateless)['AccessLogSetting']).toBeDefined();
    });
  });

  describe('Resource: JWT secret', () => {
    it('generates the HMAC secret in Secrets Manager, 64 letters and digits, retained in prod', () => {
      const secret = resourcesOf(dev.stateless, 'AWS::SecretsManager::Secret')[ids.jwtSecret(dev.stateless)]!;
      expect(secret.Properties?.['GenerateSecretString']).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
      expect(secret).toMatchObject({ DeletionPolicy: 'Delete' });
      expect(resourcesOf(prod.stateless, 'AWS::SecretsManager::Secret')[ids.jwtSecret(prod.stateless)]).toMatchObject({ DeletionPolicy: 'Retain' });
    });

    it("gives admin-api the secret's ARN, never its value", () => {
      const env = variablesOf(dev.stateless, ids.adminApi(dev.stateless));
      expect(env['JWT_SECRET_ARN']).toEqual({ Ref: ids.jwtSecret(dev.stateless) });
      expect(env['JWT_SECRET']).toBeUndefined();
      expect(env['JWT_JWKS_URL']).toBeUndefined();
      expect(JSON.stringify(dev.stateless.toJSON())).not.toContain('{{resolve:secretsmanager');
    });

    it('makes no secret with JWKS (RS256) configured, and passes the URL, issuer and audience instead', () => {
      const jwks = synthEnvironment('dev', {
        api: {
          auth: { kind: 'jwks', jwksUrl: 'https://idp.example.org/.well-known/jwks.json' },
          issuer: 'https://idp.example.org',
          audience: 'worker-manager',
        },
      });
      jwks.stateless.resourceCountIs('AWS::SecretsManager::Secret', 0);
      const env = variablesOf(jwks.stateless, ids.adminApi(jwks.stateless));
      expect(env).toMatchObject({
        JWT_JWKS_URL: 'https://idp.example.org/.well-known/jwks.json',
        JWT_ISSUER: 'https://idp.example.org',
        JWT_AUDIENCE: 'worker-manager',
      });
      expect(env['JWT_SECRET_ARN']).toBeUndefined();
      expect(jwks.stateless.toJSON()['Outputs']?.['JwtSecretArn']).toBeUndefined();
      expect(JSON.stringify(jwks.stateless.toJSON())).not.toContain('AdminApiJwtSecret');
    });
  });

  describe('Resource: admin-api', () => {
    it("gets the table, the settings, the broker, the JWT secret and run-bulk-jobs' name, which its schema parses once deployed", () => {
      const env = variablesOf(dev.stateless, ids.adminApi(dev.stateless));
      expect(env['BULK_JOBS_FUNCTION_NAME']).toEqual({ Ref: ids.runBulkJobs(dev.stateless) });
      expect(JSON.stringify(env['TABLE_NAME'])).toContain('Table');
      expect(env['MAX_BODY_BYTES']).toBeUndefined();
      const parsed = AdminApiEnvSchema.safeParse(deployedEnvironment(env, {}));
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(parsed.data?.WM_SETTINGS).toEqual(dev.config.settings);
    });

    it("times out before API Gateway's 29 s integration timeout, and passes the configured body limit", () => {
      expect(functionOf(dev.stateless, ids.adminApi(dev.stateless))['Timeout']).toBe(28);
      const tuned = synthEnvironment('dev', { api: { timeoutSeconds: 20, maxBodyBytes: 2 * 1024 * 1024 } });
      expect(functionOf(tuned.stateless, ids.adminApi(tuned.stateless))['Timeout']).toBe(20);
      expect(variablesOf(tuned.stateless, ids.adminApi(tuned.stateless))['MAX_BODY_BYTES']).toBe(String(2 * 1024 * 1024));
    });
  });

  describe('Resource: run-bulk-jobs', () => {
    it('runs a few minutes per invocation under a fixed name, with reserved concurrency, and Lambda retrying a failed run twice', () => {
      const fn = functionOf(dev.stateless, ids.runBulkJobs(dev.stateless));
      expect(fn['FunctionName']).toBe('worker-manager-dev-run-bulk-jobs');
      expect(fn['Timeout']).toBe(300);
      expect(fn['ReservedConcurrentExecutions']).toBe(5);
      dev.stateless.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.runBulkJobs(dev.stateless) },
        MaximumRetryAttempts: 2,
        Qualifier: '$LATEST',
      });
      const tuned = synthEnvironment('dev', { functions: { bulkJobsTimeoutSeconds: 600, bulkJobsReservedConcurrency: 2, bulkJobsMaxPages: 50 } });
      const tunedFn = functionOf(tuned.stateless, ids.runBulkJobs(tuned.stateless));
      expect([tunedFn['Timeout'], tunedFn['ReservedConcurrentExecutions']]).toEqual([600, 2]);
      expect(variablesOf(tuned.stateless, ids.runBulkJobs(tuned.stateless))['BULK_JOB_MAX_PAGES']).toBe('50');
    });

    it('leaves its own name to the runtime (AWS_LAMBDA_FUNCTION_NAME is reserved) and parses its environment once deployed', () => {
      const env = variablesOf(dev.stateless, ids.runBulkJobs(dev.stateless));
      expect(env['AWS_LAMBDA_FUNCTION_NAME']).toBeUndefined();
      expect(env['BULK_JOB_MAX_PAGES']).toBeUndefined();
      expect(env['JWT_SECRET_ARN']).toBeUndefined();
      const parsed = RunBulkJobsEnvSchema.safeParse(deployedEnvironment(env, { AWS_LAMBDA_FUNCTION_NAME: 'worker-manager-dev-run-bulk-jobs' }));
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(parsed.data?.BULK_JOB_MAX_PAGES).toBe(500);
    });
  });

  describe('Resource: alarms and outputs', () => {
    it("alarms on the stage's 5xx answers and on both functions' errors, through the alarm topic", () => {
      dev.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5XXError',
        Dimensions: Match.arrayWith([
          { Name: 'ApiName', Value: 'worker-manager-dev-admin' },
          { Name: 'Stage', Value: { Ref: logicalId(dev.stateless, 'AWS::ApiGateway::Stage', 'AdminApiRestApiDeploymentStagev1') } },
        ]),
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
      });
      for (const fn of [ids.adminApi(dev.stateless), ids.runBulkJobs(dev.stateless)]) {
        dev.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
          AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
        });
      }
      const tuned = synthEnvironment('dev', { alarms: { apiServerErrors: 5 } });
      tuned.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5XXError', Threshold: 5 });
    });

    it('outputs the stage URL as ApiUrl and the JWT secret ARN, and no second URL output', () => {
      const outputs = dev.stateless.toJSON()['Outputs'] as Record<string, { Value: unknown }>;
      const url = JSON.stringify(outputs['ApiUrl']?.Value);
      expect(url).toContain(ids.restApi(dev.stateless));
      expect(url).toContain('.execute-api.');
      expect(url).toContain(logicalId(dev.stateless, 'AWS::ApiGateway::Stage', 'AdminApiRestApiDeploymentStagev1'));
      expect(outputs['JwtSecretArn']?.Value).toEqual({ Ref: ids.jwtSecret(dev.stateless) });
      // DashboardUrl is the web dashboard's (CloudFront) and DashboardName the CloudWatch one's: EventSourceMappings lists the mappings for the smoke test: none is a second URL of the API.
      expect(Object.keys(outputs).sort()).toEqual(['AlarmTopicArn', 'ApiUrl', 'DashboardName', 'DashboardUrl', 'EventSourceMappings', 'JwtSecretArn']);
    });
  });
});
