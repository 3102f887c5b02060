import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRICS, METRICS_NAMESPACE, type DimensionsOf, type MetricKey } from '../../../shared/ports/metrics.js';
import type { EnvironmentConfig } from '../config/environments.js';
import type { BrokerReference } from '../stacks/stateful-stack.js';
import { metricsServiceOf } from './manager-function.js';

// our metrics (ports/metrics.ts) + broker + table + function errors + API 5xx --> (CloudWatch alarms) --> one SNS topic

export interface ManagerAlarmsProps {
  broker: BrokerReference;
  thresholds: EnvironmentConfig['alarms'];
}

const PERIOD = Duration.minutes(5);

/** One of the manager's own metrics (ports/metrics.ts) of the functions of `scope`'s stack, as the functions record it. */
export function managerMetric<M extends MetricKey>(
  scope: Construct,
  metric: M,
  dimensions: DimensionsOf<M>,
  props: Pick<cloudwatch.MetricOptions, 'statistic' | 'period' | 'label'> = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRICS[metric].name,
    dimensionsMap: { service: metricsServiceOf(scope), ...dimensions },
    period: PERIOD,
    ...props,
  });
}

/*
 * What is watched, and why this way:
 * - Dead-letter queues: a message there is a request or answer the manager gave up on. Their depth
 *   is recorded by the sweep (checkQueue, one call per queue, the DeadLetterMessages gauge), not read from
 *   AWS/AmazonMQ: per-queue metrics exist for RabbitMQ 3 brokers only and cover the first 500
 *   queues ordered by consumer count, where a queue nobody consumes comes last.
 * - Input queue backlog: the Lambda event source for Amazon MQ publishes no lag or age metric
 *   (IteratorAge is for streams, OffsetLag for Kafka; we found the newer event-source-mapping
 *   metrics documented for other sources only), so the lag is read on the broker side: ready
 *   messages that do not drain. It also catches a mapping that stopped (e.g. after a credential
 *   error Lambda disables it and reports the reason only in its StateTransitionReason).
 * - Function errors: a thrown batch is redelivered whole, so every error is a replay and worth a look.
 * - API 5xx: the admin API's router answers every error itself, so its function rarely fails as
 *   Lambda counts it; a 500 (a bug), a 503 (store or broker down) or a gateway 502/504 shows only
 *   in the stage's 5XXError metric.
 * Amazon MQ publishes per-queue metrics of RabbitMQ 3 brokers under AWS/AmazonMQ with the
 * dimensions Broker (the broker name), VirtualHost and Queue; RabbitMQ 4 brokers have broker-level
 * metrics only, so the stack creates no backlog alarm for them.
 */
export class ManagerAlarms extends Construct {
  public readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;

  public constructor(
    scope: Construct,
    id: string,
    private readonly props: ManagerAlarmsProps,
  ) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Worker manager alarms', enforceSSL: true });
    if (props.thresholds.email !== undefined) this.topic.addSubscription(new subscriptions.EmailSubscription(props.thresholds.email));
    this.action = new actions.SnsAction(this.topic);
  }

  /**
   * Fires as soon as a dead-letter queue holds `deadLetterMessages` messages, on the depth the
   * sweep reads with checkQueue every minute (the DeadLetterMessages gauge).
   */
  public watchDeadLetterQueue(id: string, queue: string): cloudwatch.Alarm {
    return this.alarm(id, {
      alarmDescription: `Messages were dead-lettered to ${queue}: the manager gave up on them (list and move them back with wm dlq / the admin API)`,
      metric: managerMetric(this, 'deadLetterMessages', { Queue: queue }, { statistic: 'Maximum' }),
      threshold: this.props.thresholds.deadLetterMessages,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means the sweep did not run or could not read the queue: SweepNotRunning and the
      // sweep's Errors alarm say so; this one keeps its last state meanwhile.
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
  }

  /** Fires when an input queue keeps `backlogMessages` ready messages for `backlogMinutes`. */
  public watchInputQueue(id: string, queue: string): cloudwatch.Alarm {
    return this.alarm(id, {
      alarmDescription: `${queue} is not draining: its function is too slow or its event source mapping stopped`,
      // The minimum over a period: a backlog that was cleared at least once is not a backlog.
      metric: this.queueMetric('MessageReadyCount', queue, 'Minimum'),
      threshold: this.props.thresholds.backlogMessages,
      evaluationPeriods: Math.ceil(this.props.thresholds.backlogMinutes / PERIOD.toMinutes()),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Fires when a function fails `functionErrors` times within 5 minutes. */
  public watchFunction(id: string, fn: lambda.IFunction, why = 'for a queue-fed function the whole batch is redelivered'): cloudwatch.Alarm {
    return this.alarm(id, {
      alarmDescription: `${id} failed: ${why}`,
      metric: fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      threshold: this.props.thresholds.functionErrors,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Fires when an API stage answers `apiServerErrors` 5xx within 5 minutes. */
  public watchApi(id: string, stage: apigateway.Stage): cloudwatch.Alarm {
    return this.alarm(id, {
      alarmDescription: `${id}: the admin API answered 5xx (500 is a bug and is logged by admin-api; 503 the store or broker is down; 502/504 the function failed or timed out)`,
      // Per stage (ApiName + Stage dimensions), as API Gateway publishes it.
      metric: stage.metricServerError({ period: PERIOD, statistic: 'Sum' }),
      threshold: this.props.thresholds.apiServerErrors,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No request, no data point: a quiet API is not failing.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Fires when a scheduled function was not invoked for 10 minutes: the schedule or its role is broken. */
  public watchSchedule(id: string, fn: lambda.IFunction): cloudwatch.Alarm {
    return this.alarm(id, {
      alarmDescription: `${id} has not run for 10 minutes: deadlines, retries and liveness are not enforced`,
      metric: fn.metricInvocations({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // Lambda publishes no Invocations data point for a minute without invocation.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }

  /**
   * The broker's own trouble: memory near its high watermark and disk near its low watermark (at
   * either, RabbitMQ blocks every publisher: clients, workers and the functions stall), and more
   * connections than the manager and its clients should hold. Memory and disk compare the
   * broker's usage with the limit it reports itself, so no per-instance-type constant is needed.
   */
  public watchBroker(): cloudwatch.Alarm[] {
    const { thresholds } = this.props;
    const broker = (metricName: string, statistic = 'Maximum') => this.brokerMetric(metricName, statistic);
    return [
      this.alarm('BrokerMemory', {
        alarmDescription: `Broker memory is above ${thresholds.brokerMemoryPercent} % of its high watermark: at 100 % RabbitMQ blocks every publisher (a backlog, unacked batches, too many connections)`,
        metric: new cloudwatch.MathExpression({
          expression: '100 * used / limit',
          usingMetrics: { used: broker('RabbitMQMemUsed'), limit: broker('RabbitMQMemLimit', 'Minimum') },
          label: 'Broker memory, % of the high watermark',
          period: PERIOD,
        }),
        threshold: thresholds.brokerMemoryPercent,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      }),
      this.alarm('BrokerDisk', {
        alarmDescription: `Broker free disk is below ${thresholds.brokerDiskFreeMultiple} x its low watermark: at 1 x RabbitMQ blocks every publisher (a backlog or dead letters piling up)`,
        metric: new cloudwatch.MathExpression({
          expression: 'free / limit',
          usingMetrics: { free: broker('RabbitMQDiskFree', 'Minimum'), limit: broker('RabbitMQDiskFreeLimit') },
          label: 'Broker free disk, multiple of the low watermark',
          period: PERIOD,
        }),
        threshold: thresholds.brokerDiskFreeMultiple,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      }),
      this.alarm('BrokerConnections', {
        alarmDescription: `More than ${thresholds.brokerConnections} connections to the broker: a connection leak or a storm of cold starts, near Amazon MQ's per-instance quota`,
        metric: broker('ConnectionCount'),
        threshold: thresholds.brokerConnections,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      }),
    ];
  }

  /** Throttled reads or writes of the table or its indexes: on-demand capacity or a hot partition is the limit. */
  public watchTable(id: string, tableName: string, indexNames: readonly string[]): cloudwatch.Alarm {
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    const targets: Record<string, string>[] = [
      { TableName: tableName },
      ...indexNames.map((index) => ({ TableName: tableName, GlobalSecondaryIndexName: index })),
    ];
    targets.forEach((dimensionsMap, index) => {
      for (const [key, metricName] of [
        ['r', 'ReadThrottleEvents'],
        ['w', 'WriteThrottleEvents'],
      ] as const) {
        usingMetrics[`${key}${index}`] = new cloudwatch.Metric({ namespace: 'AWS/DynamoDB', metricName, dimensionsMap, statistic: 'Sum', period: PERIOD });
      }
    });
    return this.alarm(id, {
      alarmDescription: `${id}: DynamoDB throttled reads or writes of the table or an index; the functions retry, then fail their batch (redelivered)`,
      // FILL: an index or a direction without throttles publishes nothing.
      metric: new cloudwatch.MathExpression({
        expression: Object.keys(usingMetrics)
          .map((key) => `FILL(${key}, 0)`)
          .join(' + '),
        usingMetrics,
        label: 'Throttle events',
        period: PERIOD,
      }),
      threshold: this.props.thresholds.tableThrottles,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Throttles of a function, and runs that come near its timeout (a timed-out queue-fed batch is redelivered whole). */
  public watchFunctionLimits(name: string, fn: lambda.IFunction, timeout: Duration): cloudwatch.Alarm[] {
    const { thresholds } = this.props;
    const nearTimeoutMs = Math.floor((timeout.toMilliseconds() * thresholds.durationTimeoutPercent) / 100);
    return [
      this.alarm(`Throttles ${name}`, {
        alarmDescription: `${name} was throttled (account or reserved concurrency): its events wait, and a queue-fed batch is redelivered`,
        metric: fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        threshold: thresholds.functionThrottles,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      this.alarm(`NearTimeout ${name}`, {
        alarmDescription: `${name} ran for ${thresholds.durationTimeoutPercent} % of its ${timeout.toSeconds()} s timeout: smaller batches, more memory or a slow dependency`,
        metric: fn.metricDuration({ period: PERIOD, statistic: 'Maximum' }),
        threshold: nearTimeoutMs,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }

  /**
   * Fires when work items were dead-lettered by the broker (a worker rejected them, they expired
   * or overflowed a worker queue) `deadLetterMessages` times within 5 minutes: handle-worker-dead-letters
   * drains that queue at once, so its depth says nothing; the DeadLetters count does.
   */
  public watchWorkerDeadLetters(id: string, queue: string): cloudwatch.Alarm {
    return this.alarm(id, {
      alarmDescription: `Work items were dead-lettered to ${queue}: a worker rejects them, or they expire or overflow its queue (their requests were answered ERROR or retried)`,
      metric: managerMetric(this, 'deadLetters', { Queue: queue }, { statistic: 'Sum' }),
      threshold: this.props.thresholds.deadLetterMessages,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No dead letter, no data point.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * The oldest request waiting for a worker (NO_WORKER_AVAILABLE), as the sweep records it. The
   * minimum over each period, for three periods: one that got its worker drops out at once.
   */
  public watchOldestWaiting(id: string): cloudwatch.Alarm {
    const minutes = this.props.thresholds.oldestWaitingMinutes;
    return this.alarm(id, {
      alarmDescription: `A request has waited more than ${minutes} minutes for a worker: a worker type is down or not deployed (GET /requests?status=NO_WORKER_AVAILABLE)`,
      metric: managerMetric(this, 'oldestWaitingAge', {}, { statistic: 'Minimum' }),
      threshold: minutes * 60,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
  }

  private brokerMetric(metricName: string, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: 'AWS/AmazonMQ', metricName, dimensionsMap: { Broker: this.props.broker.name }, statistic, period: PERIOD });
  }

  private queueMetric(metricName: string, queue: string, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/AmazonMQ',
      metricName,
      dimensionsMap: { Broker: this.props.broker.name, VirtualHost: this.props.broker.virtualHost, Queue: queue },
      statistic,
      period: PERIOD,
    });
  }

  private alarm(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, props);
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }
}
