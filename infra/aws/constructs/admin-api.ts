import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AdminApiEnvSchema } from '../../../functions/admin-api/env.js';
import { RunBulkJobsEnvSchema } from '../../../functions/run-bulk-jobs/env.js';
import type { ManagerSettings } from '../../../shared/contract/manager-settings.js';
import type { LogLevel } from '../../../shared/lambda/json-logger.js';
import type { EnvironmentConfig } from '../config/environments.js';
import { adminApiEnvironment, runBulkJobsEnvironment } from '../config/function-settings.js';
import type { BrokerReference } from '../stacks/stateful-stack.js';
import { ManagerFunction, type TableAction } from './manager-function.js';

// HTTPS client --> API Gateway REST (stage: throttling, access logs) --> admin-api --(async invoke)--> run-bulk-jobs --(itself)

/** Only the MIME type this API receives in binary: the REGARDS configuration import (multipart upload). */
export const BINARY_MEDIA_TYPES = ['multipart/form-data'] as const;

export interface AdminApiProps {
  /** The environment's name: part of the API's name (its ApiName metric dimension) and of run-bulk-jobs' physical name. */
  environmentName: string;
  api: EnvironmentConfig['api'];
  functions: Pick<EnvironmentConfig['functions'], 'memorySizeMb' | 'bulkJobsTimeoutSeconds' | 'bulkJobsReservedConcurrency' | 'bulkJobsMaxPages'>;
  table: dynamodb.ITableV2;
  broker: BrokerReference;
  /** The DynamoDB calls of each function (TABLE_ACCESS in the stateless stack, next to the others). */
  tableAccess: { adminApi: readonly TableAction[]; runBulkJobs: readonly TableAction[] };
  settings: ManagerSettings;
  logLevel: LogLevel;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * The admin REST API: one REST API whose root and `{proxy+}` resources send ANY method to the
 * admin-api function (it routes every path itself, see functions/admin-api/README.md), and the
 * run-bulk-jobs function it starts bulk retries and deletes with. Tokens are verified inside
 * admin-api, not by an API Gateway authorizer, so the same code runs in the local host.
 */
export class AdminApi extends Construct {
  public readonly adminApi: ManagerFunction<typeof AdminApiEnvSchema>;
  public readonly runBulkJobs: ManagerFunction<typeof RunBulkJobsEnvSchema>;
  public readonly restApi: apigateway.RestApi;
  public readonly accessLogs: logs.LogGroup;
  /** The HMAC secret tokens are signed with; absent when tokens are verified against a JWKS. */
  public readonly jwtSecret: secretsmanager.Secret | undefined;

  public constructor(scope: Construct, id: string, props: AdminApiProps) {
    super(scope, id);
    const { api, functions, table, broker } = props;
    const common = { logRetention: props.logRetention, removalPolicy: props.removalPolicy, settings: props.settings, memorySizeMb: functions.memorySizeMb };

    this.runBulkJobs = new ManagerFunction(this, 'RunBulkJobs', {
      entry: 'run-bulk-jobs',
      envSchema: RunBulkJobsEnvSchema,
      environment: runBulkJobsEnvironment(functions, props.logLevel),
      description: 'Carries bulk retries and deletes forward, page by page, re-invoking itself until done',
      timeout: Duration.seconds(functions.bulkJobsTimeoutSeconds),
      // Known before the function exists, so its policy can name its own ARN (allowSelfInvoke).
      functionName: `worker-manager-${props.environmentName}-run-bulk-jobs`,
      // Bounds the load bulk jobs put on the table and the broker next to the live traffic.
      reservedConcurrency: functions.bulkJobsReservedConcurrency,
      ...common,
    })
      .bindTable(table, props.tableAccess.runBulkJobs)
      .bindBroker(broker)
      .allowSelfInvoke();
    // Lambda's defaults, said here because the job design counts on them: two retries of a failed
    // run (the job item keeps the cursor), and events kept for the 6 hours throttling may delay them.
    this.runBulkJobs.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6) });

    this.jwtSecret =
      api.auth.kind === 'hmac'
        ? new secretsmanager.Secret(this, 'JwtSecret', {
            description: `Worker manager (${props.environmentName}) admin API: HMAC secret (HS256/384/512) tokens are signed with`,
            generateSecretString: {
              // Plain text (admin-api also accepts JSON {"secret": "..."}): 64 letters and digits,
              // ~380 bits, easy to pass to a signing tool; the verifier needs at least 32 characters.
              passwordLength: 64,
              excludePunctuation: true,
              includeSpace: false,
            },
            removalPolicy: props.removalPolicy,
          })
        : undefined;

    this.adminApi = new ManagerFunction(this, 'AdminApi', {
      entry: 'admin-api',
      envSchema: AdminApiEnvSchema,
      environment: adminApiEnvironment(api, props.logLevel),
      description: 'The admin REST API (REGARDS rs-worker-manager paths): one router behind API Gateway',
      timeout: Duration.seconds(api.timeoutSeconds),
      ...common,
    })
      .bindTable(table, props.tableAccess.adminApi)
      .bindBroker(broker)
      .bindInvoke('BULK_JOBS_FUNCTION_NAME', this.runBulkJobs.function);
    if (this.jwtSecret !== undefined) this.adminApi.bindSecret('JWT_SECRET_ARN', this.jwtSecret);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `worker-manager-${props.environmentName}-admin`,
      description: `Worker manager (${props.environmentName}) admin REST API`,
      // Regional: the REGARDS gateway or a custom domain sits in front; an edge distribution adds nothing.
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Without it API Gateway would pass the upload to the function as (corrupted) UTF-8 text.
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      cloudWatchRole: api.manageAccountLogRole,
      // The account setting serves every REST API of the account and region: keep it with the stack gone.
      ...(api.manageAccountLogRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: api.stageName,
        throttlingRateLimit: api.throttlingRateLimit,
        throttlingBurstLimit: api.throttlingBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
        // Access logs and the function's own logs say enough; execution logs would add a log group
        // API Gateway creates itself, outside the stack and its retention.
        loggingLevel: apigateway.MethodLoggingLevel.OFF,
        dataTraceEnabled: false,
        tracingEnabled: true,
      },
    });

    // RestApi adds an `Endpoint<hash>` output of its own; the stack outputs the URL as `ApiUrl`, a
    // name an operator's script can rely on.
    this.restApi.node.tryRemoveChild('Endpoint');

    const integration = new apigateway.LambdaIntegration(this.adminApi.function, {
      proxy: true,
      // The console's test button is not how this API is exercised; no permission for it.
      allowTestInvoke: false,
    });
    // `/` too: `{proxy+}` does not match the root path.
    this.restApi.root.addMethod('ANY', integration);
    this.restApi.root.addProxy({ defaultIntegration: integration, anyMethod: true });
  }

  /** The stage URL, `https://<id>.execute-api.<region>.amazonaws.com/<stage>/`. */
  public get url(): string {
    return this.restApi.url;
  }

  public get stage(): apigateway.Stage {
    return this.restApi.deploymentStage;
  }
}

/**
 * One JSON object per request. No caller identity field (the token is verified in the function,
 * which logs the tenant and subject), and never a header: Authorization carries the token.
 */
function accessLogFormat(): apigateway.AccessLogFormat {
  const field = apigateway.AccessLogField;
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: field.contextRequestId(),
      extendedRequestId: field.contextExtendedRequestId(),
      requestTime: field.contextRequestTime(),
      ip: field.contextIdentitySourceIp(),
      userAgent: field.contextIdentityUserAgent(),
      method: field.contextHttpMethod(),
      path: field.contextPath(),
      resourcePath: field.contextResourcePath(),
      protocol: field.contextProtocol(),
      status: field.contextStatus(),
      responseLength: field.contextResponseLength(),
      responseLatency: field.contextResponseLatency(),
      integrationStatus: field.contextIntegrationStatus(),
      integrationLatency: field.contextIntegrationLatency(),
      integrationError: field.contextIntegrationErrorMessage(),
      // Not messageString: that one comes quoted already, and would break the JSON line.
      error: field.contextErrorMessage(),
      xrayTraceId: field.contextXrayTraceId(),
    }),
  );
}
