import { Annotations, CfnOutput, CrossStackReferences, Duration, ReferenceStrength, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import { HandleSessionDeletionsEnvSchema } from '../../../functions/handle-session-deletions/env.js';
import { HandleWorkerDeadLettersEnvSchema } from '../../../functions/handle-worker-dead-letters/env.js';
import { HandleWorkerResponsesEnvSchema } from '../../../functions/handle-worker-responses/env.js';
import { RecordHeartbeatsEnvSchema } from '../../../functions/record-heartbeats/env.js';
import { RegisterRequestsEnvSchema } from '../../../functions/register-requests/env.js';
import { SweepEnvSchema } from '../../../functions/sweep/env.js';
import { deadLetterQueues } from '../../../functions/sweep/metrics.js';
import { TABLE_DEFINITION } from '../../../shared/adapters/dynamodb/table-definition.js';
import { eventSourceMappings, sessionDeletionMapping, type MappedFunction } from '../../../shared/contract/manager-settings.js';
import type { MqFunctionEnvSchema } from '../../../shared/lambda/env.js';
import type { EnvironmentConfig } from '../config/environments.js';
import { AdminApi } from '../constructs/admin-api.js';
import { BrokerTopology } from '../constructs/broker-topology.js';
import { Dashboard } from '../constructs/dashboard.js';
import { ManagerAlarms } from '../constructs/manager-alarms.js';
import { ManagerDashboard } from '../constructs/manager-dashboard.js';
import { ManagerFunction, type TableAction } from '../constructs/manager-function.js';
import { readBrokerReference, type BrokerReference, type BrokerUserSecrets } from './stateful-stack.js';

// Code and wiring, redeployable at will: functions, event source mappings, schedule, topology, admin API, alarms.

export interface StatelessStackProps extends StackProps {
  config: EnvironmentConfig;
  table: dynamodb.ITableV2;
  /** The broker itself is read from the stateful stack's SSM parameters (`readBrokerReference`). */
  brokerSecrets: { admin: secretsmanager.ISecret; users: BrokerUserSecrets };
}

/** How often the sweep runs; also the most a run may wait to be delivered before it is dropped. */
export const SWEEP_PERIOD = Duration.minutes(1);

export type ManagerFunctionName = MappedFunction | 'sweep' | 'admin-api' | 'run-bulk-jobs';

/**
 * The DynamoDB calls each function's use case makes (see its store calls), and nothing more.
 * A new store call in a use case needs its action here; the infra tests list them per function.
 */
export const TABLE_ACCESS: Record<ManagerFunctionName, readonly TableAction[]> = {
  // tenant configs (GetItem), liveness (Query), tenant registry (BatchWriteItem), conditional
  // inserts (PutItem) with a read-back of duplicates (BatchGetItem), session counters (UpdateItem).
  'register-requests': ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem'],
  // load the requests (BatchGetItem), guarded status writes (UpdateItem), SUCCESS/keepErrors
  // removals (PutItem: a removed request is replaced by its trace, see RequestStore.deleteAll).
  'handle-worker-responses': ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'],
  'handle-worker-dead-letters': ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'],
  // worker types (UpdateItem) and instances (PutItem), then the re-dispatch of waiting requests.
  'record-heartbeats': ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'],
  // expiry of dead instances and idle slot counters (DeleteItem), due and waiting requests (Query,
  // BatchGetItem, UpdateItem), requests past their retention replaced by their trace (PutItem).
  sweep: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'],
  // Reads: tenant configs, session counters, jobs and the health probe (GetItem), one request in
  // full (BatchGetItem), searches on the status index, job lists and liveness (Query). Writes:
  // configuration imports (PutItem, conditional) and the tenant registry (BatchWriteItem), new jobs
  // (PutItem), and the re-dispatch of waiting requests after an import (UpdateItem on requests and
  // counters). No DeleteItem: deletes are run-bulk-jobs' work, and a re-dispatch purges nothing.
  'admin-api': ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem'],
  // The job (GetItem, PutItem conditional on its version), pages of the status index (Query), the
  // requests in full (BatchGetItem), operator retries (UpdateItem, plus counters) and deletes
  // (PutItem: each deleted request is replaced by its trace; also purges after publish). No
  // DeleteItem, and no BatchWriteItem: it registers no tenant.
  'run-bulk-jobs': ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'],
};

/** handle-session-deletions only records delete jobs (PutItem, conditional); run-bulk-jobs does the deleting. */
export const SESSION_DELETIONS_TABLE_ACCESS: readonly TableAction[] = ['PutItem'];

/** Defined next to the sweep, which publishes their depth; re-exported for the stack's callers and tests. */
export { deadLetterQueues };

/** The functions, the admin API, and everything that triggers or watches them. */
export class StatelessStack extends Stack {
  public readonly mqFunctions: Record<MappedFunction, ManagerFunction<typeof MqFunctionEnvSchema>>;
  public readonly sweep: ManagerFunction<typeof SweepEnvSchema>;
  /** rs-admin's session and source deletions, turned into bulk delete jobs. */
  public readonly sessionDeletions: ManagerFunction<typeof HandleSessionDeletionsEnvSchema>;
  public readonly topology: BrokerTopology;
  public readonly adminApi: AdminApi;
  public readonly dashboard: Dashboard;
  public readonly alarms: ManagerAlarms;
  public readonly cloudWatchDashboard: ManagerDashboard;
  public readonly sweepSchedule: scheduler.Schedule;
  public readonly broker: BrokerReference;
  private readonly config: EnvironmentConfig;

  public constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    // Strong (CloudFormation exports) for the table and the secrets, which are never replaced: the
    // stateful stack cannot drop them while these functions use them. The broker, which a change of
    // access or mode replaces, comes through SSM parameters instead, so no export pins it.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const { config, table } = props;
    const broker = readBrokerReference(this, config, props.brokerSecrets);
    this.broker = broker;
    this.config = config;
    const mqTimeout = Duration.seconds(config.functions.mqTimeoutSeconds);

    const defaults = {
      memorySizeMb: config.functions.memorySizeMb,
      logRetention: this.logRetention(),
      removalPolicy: this.removalPolicy(),
      settings: config.settings,
    };
    const environment = { LOG_LEVEL: config.logLevel };
    const mqFunction = (name: MappedFunction, constructId: string, envSchema: typeof MqFunctionEnvSchema, description: string) =>
      new ManagerFunction(this, constructId, { entry: name, envSchema, environment, description, timeout: mqTimeout, ...defaults })
        .bindTable(table, TABLE_ACCESS[name])
        .bindBroker(broker);

    this.mqFunctions = {
      'register-requests': mqFunction(
        'register-requests',
        'RegisterRequests',
        RegisterRequestsEnvSchema,
        'Registers client requests and dispatches them to workers',
      ),
      'handle-worker-responses': mqFunction(
        'handle-worker-responses',
        'HandleWorkerResponses',
        HandleWorkerResponsesEnvSchema,
        'Applies worker responses and chains workflow steps',
      ),
      'record-heartbeats': mqFunction(
        'record-heartbeats',
        'RecordHeartbeats',
        RecordHeartbeatsEnvSchema,
        'Records worker heartbeats and wakes waiting requests',
      ),
      'handle-worker-dead-letters': mqFunction(
        'handle-worker-dead-letters',
        'HandleWorkerDeadLetters',
        HandleWorkerDeadLettersEnvSchema,
        'Fails the requests whose work item was dead-lettered',
      ),
    };

    this.sweep = new ManagerFunction(this, 'Sweep', {
      entry: 'sweep',
      envSchema: SweepEnvSchema,
      environment,
      description: 'Expires dead workers, enforces deadlines, fires retries, re-dispatches waiting requests',
      timeout: Duration.seconds(config.functions.sweepTimeoutSeconds),
      // Overlapping sweeps are safe (conditional writes) but do the same work twice.
      reservedConcurrency: 1,
      ...defaults,
    })
      .bindTable(table, TABLE_ACCESS.sweep)
      .bindBroker(broker);

    this.topology = new BrokerTopology(this, 'BrokerTopology', {
      broker,
      settings: config.settings,
      logLevel: config.logLevel,
      logRetention: this.logRetention(),
      removalPolicy: this.removalPolicy(),
    });

    this.adminApi = new AdminApi(this, 'AdminApi', {
      environmentName: config.name,
      api: config.api,
      functions: config.functions,
      table,
      broker,
      tableAccess: { adminApi: TABLE_ACCESS['admin-api'], runBulkJobs: TABLE_ACCESS['run-bulk-jobs'] },
      settings: config.settings,
      logLevel: config.logLevel,
      logRetention: this.logRetention(),
      removalPolicy: this.removalPolicy(),
    });
    // The web dashboard (infra/dashboard) calls the API from its CloudFront origin.
    this.dashboard = new Dashboard(this, 'Dashboard', { apiUrl: this.adminApi.url, removalPolicy: this.removalPolicy(), logRetention: this.logRetention() });
    this.adminApi.adminApi.function.addEnvironment('CORS_ALLOW_ORIGINS', [...config.api.corsAllowOrigins, this.dashboard.url].join(','));
    // The sweep restarts bulk jobs whose runs all died, so a job never stays RUNNING forever.
    this.sweep.bindInvoke('BULK_JOBS_FUNCTION_NAME', this.adminApi.runBulkJobs.function);

    // REGARDS SessionDeleteEvent / SourceDeleteEvent (README, "Counters") start delete jobs run by run-bulk-jobs.
    this.sessionDeletions = new ManagerFunction(this, 'HandleSessionDeletions', {
      entry: 'handle-session-deletions',
      envSchema: HandleSessionDeletionsEnvSchema,
      environment,
      description: 'Deletes the requests of the sessions and sources rs-admin deletes, through bulk jobs',
      timeout: mqTimeout,
      ...defaults,
    })
      .bindTable(table, SESSION_DELETIONS_TABLE_ACCESS)
      .bindBroker(broker)
      .bindInvoke('BULK_JOBS_FUNCTION_NAME', this.adminApi.runBulkJobs.function);
    this.sessionDeletions.addBrokerEventSource('EventSource', sessionDeletionMapping(config.settings)).node.addDependency(this.topology.resource);

    this.alarms = new ManagerAlarms(this, 'Alarms', { broker, thresholds: config.alarms });
    // Amazon MQ publishes per-queue metrics for RabbitMQ 3 brokers only.
    const queueMetrics = config.broker.engineVersion.startsWith('3.');
    const perFunction = new Map<MappedFunction, number>();
    const mappingOutputs: { function: string; queue: string; uuid: string }[] = [];
    for (const mapping of eventSourceMappings(config.settings)) {
      const count = (perFunction.get(mapping.functionName) ?? 0) + 1;
      perFunction.set(mapping.functionName, count);
      // Stable ids (not the queue name), so renaming a queue updates these resources in place.
      const suffix = count === 1 ? '' : String(count);
      const eventSource = this.mqFunctions[mapping.functionName].addBrokerEventSource(`EventSource${suffix}`, mapping);
      // A mapping on a queue that does not exist yet would fail; the topology declares it first.
      eventSource.node.addDependency(this.topology.resource);
      mappingOutputs.push({ function: mapping.functionName, queue: mapping.queue, uuid: eventSource.ref });
      if (queueMetrics) this.alarms.watchInputQueue(`Backlog ${mapping.functionName}${suffix}`, mapping.queue);
    }
    // On the depth the sweep records (functions/sweep/metrics.ts), for every engine version: Amazon
    // MQ's per-queue metrics exist for RabbitMQ 3 only, and cover the first 500 queues ordered by
    // consumers, where a dead-letter queue (no consumer) comes last.
    for (const queue of deadLetterQueues(config.settings)) this.alarms.watchDeadLetterQueue(`DeadLetters ${queue}`, queue);
    this.alarms.watchWorkerDeadLetters('WorkerDeadLetters', config.settings.names.workerDeadLetter);
    if (!queueMetrics) {
      Annotations.of(this.alarms).addWarningV2(
        'worker-manager:no-queue-metrics',
        `Amazon MQ publishes no per-queue metrics for RabbitMQ ${config.broker.engineVersion}: no backlog alarm is created; watch the input queues through the RabbitMQ management API`,
      );
    }

    // Scheduler invokes asynchronously, so Lambda's own retries of a failed run (two by default)
    // would come on top of the schedule's: none either, and an event older than a period is dropped.
    this.sweep.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: SWEEP_PERIOD });
    this.sweepSchedule = new scheduler.Schedule(this, 'SweepSchedule', {
      description: 'Runs the sweeper every minute (Scheduler precision is one minute)',
      schedule: scheduler.ScheduleExpression.rate(SWEEP_PERIOD),
      target: new schedulerTargets.LambdaInvoke(this.sweep.function, {
        // The next run comes a minute later and resumes the work; retrying a failed run only overlaps it.
        retryAttempts: 0,
        maxEventAge: SWEEP_PERIOD,
      }),
    });

    for (const [name, fn] of this.allFunctions()) this.alarms.watchFunction(`Errors ${name}`, fn);
    this.alarms.watchFunction(
      'Errors admin-api',
      this.adminApi.adminApi.function,
      'it could not start (configuration, secret) or timed out; the router answers every other error itself',
    );
    this.alarms.watchFunction(
      'Errors run-bulk-jobs',
      this.adminApi.runBulkJobs.function,
      'Lambda retries the run twice from its saved page; a job that still stops needs POST /jobs/{id}/resume',
    );
    this.alarms.watchSchedule('SweepNotRunning', this.sweep.function);
    // What is wrong, not only that something failed: the broker's watermarks and connections, the
    // table's throttles, each function's throttles and runs near its timeout, requests that wait
    // too long for a worker.
    this.alarms.watchBroker();
    this.alarms.watchTable(
      'TableThrottles',
      table.tableName,
      TABLE_DEFINITION.indexes.map((index) => index.name),
    );
    for (const [name, fn] of this.limitedFunctions()) this.alarms.watchFunctionLimits(name, fn, fn.timeout ?? Duration.seconds(3));
    this.alarms.watchOldestWaiting('OldestWaitingRequest');
    this.alarms.watchApi('AdminApiServerErrors', this.adminApi.stage);

    this.cloudWatchDashboard = new ManagerDashboard(this, 'CloudWatchDashboard', {
      broker,
      queueMetrics,
      inputQueues: eventSourceMappings(config.settings).map((mapping) => mapping.queue),
      deadLetterQueues: deadLetterQueues(config.settings),
      tableName: table.tableName,
      functions: this.limitedFunctions(),
      queueFed: Object.keys(this.mqFunctions),
      oldestWaitingMinutes: config.alarms.oldestWaitingMinutes,
    });

    new CfnOutput(this, 'DashboardName', {
      value: this.cloudWatchDashboard.dashboard.dashboardName,
      description: 'CloudWatch dashboard of the manager, its broker and its table',
    });
    // The smoke test (infra/aws/smoke) reads each mapping's state and last processing result by its UUID.
    new CfnOutput(this, 'EventSourceMappings', {
      value: this.toJsonString(mappingOutputs),
      description: 'Event source mappings: function, queue, UUID (JSON)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn, description: 'SNS topic of every alarm' });
    new CfnOutput(this, 'ApiUrl', {
      value: this.adminApi.url,
      description: 'Admin REST API (stage URL; paths without the REGARDS /api/v1/rs-worker-manager prefix)',
    });
    new CfnOutput(this, 'DashboardUrl', { value: this.dashboard.url, description: 'Web dashboard (CloudFront); sign in with an admin API token' });
    if (this.adminApi.jwtSecret !== undefined) {
      new CfnOutput(this, 'JwtSecretArn', { value: this.adminApi.jwtSecret.secretArn, description: 'HMAC secret admin API tokens are signed with (HS256)' });
    }
  }

  private allFunctions(): [string, lambda.IFunction][] {
    return [
      ...Object.entries(this.mqFunctions).map(([name, fn]): [string, lambda.IFunction] => [name, fn.function]),
      ['sweep', this.sweep.function],
      ['broker-topology', this.topology.handler.function],
      ['handle-session-deletions', this.sessionDeletions.function],
    ];
  }

  /** Every function with its configured timeout: the near-timeout alarm compares each run with it. */
  private limitedFunctions(): [string, lambda.Function][] {
    return [
      ...Object.entries(this.mqFunctions).map(([name, fn]): [string, lambda.Function] => [name, fn.function]),
      ['sweep', this.sweep.function],
      ['broker-topology', this.topology.handler.function],
      ['handle-session-deletions', this.sessionDeletions.function],
      ['admin-api', this.adminApi.adminApi.function],
      ['run-bulk-jobs', this.adminApi.runBulkJobs.function],
    ];
  }

  private logRetention(): logs.RetentionDays {
    return this.config.logRetentionDays as logs.RetentionDays;
  }

  private removalPolicy(): RemovalPolicy {
    return this.config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  }
}
