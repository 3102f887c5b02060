import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ResponseStateSchema } from '../../../shared/contract/status.js';
import { METRICS, METRICS_NAMESPACE, type Catalogue, type MetricKey } from '../../../shared/ports/metrics.js';
import type { BrokerReference } from '../stacks/stateful-stack.js';
import { managerMetric } from './manager-alarms.js';
import { metricsServiceOf } from './manager-function.js';

// our metrics (ports/metrics.ts) + AWS/AmazonMQ + AWS/DynamoDB + AWS/Lambda --> one CloudWatch dashboard

export interface ManagerDashboardProps {
  broker: BrokerReference;
  /** Amazon MQ publishes per-queue metrics for RabbitMQ 3 brokers only. */
  queueMetrics: boolean;
  /** The queues the functions consume (their depth, when queueMetrics). */
  inputQueues: readonly string[];
  /** The dead-letter queues whose depth the sweep records. */
  deadLetterQueues: readonly string[];
  tableName: string;
  /** Each function by its name in the manager (register-requests, ...). */
  functions: readonly (readonly [string, lambda.IFunction])[];
  /** The queue-fed ones, whose batches the wrapper times. */
  queueFed: readonly string[];
  /** Drawn as a line on the oldest waiting request's graph: the alarm's threshold. */
  oldestWaitingMinutes: number;
}

/** The metrics recorded without a dimension of their own (only `service`). */
type Undimensioned = { [M in MetricKey]: Catalogue[M]['dimensions'] extends readonly [] ? M : never }[MetricKey];

const PERIOD = Duration.minutes(1);
const WIDTH = 8;
const HEIGHT = 6;

/**
 * One dashboard per deployment: what the manager does (requests, answers, dispatches, latencies,
 * batches, store calls, dead letters, waiting requests, bulk jobs) next to what its broker and its
 * table do. Series whose dimension values are known at synth time (states, functions, queues) are
 * listed; worker types, store operations and bulk actions are found with SEARCH expressions.
 */
export class ManagerDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: ManagerDashboardProps) {
    super(scope, id);
    const metric = (key: Undimensioned, statistic: string, label: string) => managerMetric(this, key, {}, { statistic, period: PERIOD, label });
    const service = metricsServiceOf(this);
    const search = (key: MetricKey, statistic: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},service,${METRICS[key].dimensions.join(',')}} MetricName="${METRICS[key].name}" service="${service}"', '${statistic}', ${PERIOD.toSeconds()})`,
        label,
        period: PERIOD,
      });
    const percentiles = (key: Undimensioned) => ['p50', 'p90', 'p99'].map((statistic) => metric(key, statistic, `${METRICS[key].name} ${statistic}`));
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: WIDTH, height: HEIGHT, ...extra });

    const manager: cloudwatch.IWidget[] = [
      graph('Requests received, answers by state', [
        metric('requestsReceived', 'Sum', 'received'),
        ...ResponseStateSchema.options.map((state) => managerMetric(this, 'answers', { State: state }, { statistic: 'Sum', period: PERIOD, label: state })),
      ]),
      graph('Dispatched by worker type', [search('dispatched', 'Sum', '')]),
      graph('Dispatch latency (creation to GRANTED), end-to-end latency (creation to final answer), ms', [
        ...percentiles('dispatchLatency'),
        ...percentiles('endToEndLatency'),
      ]),
      graph(
        'Batch handling time p90 (ms), batch size (avg)',
        props.queueFed.map((fn) => managerMetric(this, 'batchDuration', { Function: fn }, { statistic: 'p90', period: PERIOD, label: `${fn} p90` })),
        {
          right: props.queueFed.map((fn) =>
            managerMetric(this, 'batchMessages', { Function: fn }, { statistic: 'Average', period: PERIOD, label: `${fn} size` }),
          ),
        },
      ),
      graph('Store calls by function and operation', [search('storeCalls', 'Sum', '')]),
      graph('Dead letters: dead-lettered (sum), waiting in each dead-letter queue (max)', [search('deadLetters', 'Sum', 'dead-lettered')], {
        right: props.deadLetterQueues.map((queue) =>
          managerMetric(this, 'deadLetterMessages', { Queue: queue }, { statistic: 'Maximum', period: PERIOD, label: `${queue} depth` }),
        ),
      }),
      graph('Oldest request waiting for a worker (s)', [metric('oldestWaitingAge', 'Maximum', 'oldest waiting')], {
        leftAnnotations: [{ value: props.oldestWaitingMinutes * 60, label: 'alarm', color: cloudwatch.Color.RED }],
      }),
      graph('Bulk jobs: requests gone through, by action and outcome', [search('bulkJobItems', 'Sum', '')]),
      graph(
        'Function errors',
        props.functions.map(([name, fn]) => fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: name })),
      ),
    ];

    const brokerMetric = (metricName: string, statistic: string, label: string, queue?: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/AmazonMQ',
        metricName,
        dimensionsMap: { Broker: props.broker.name, ...(queue === undefined ? {} : { VirtualHost: props.broker.virtualHost, Queue: queue }) },
        statistic,
        period: PERIOD,
        label,
      });
    const broker: cloudwatch.IWidget[] = [
      graph('Broker memory (used, high watermark)', [brokerMetric('RabbitMQMemUsed', 'Maximum', 'used'), brokerMetric('RabbitMQMemLimit', 'Minimum', 'limit')]),
      graph('Broker disk (free, low watermark)', [
        brokerMetric('RabbitMQDiskFree', 'Minimum', 'free'),
        brokerMetric('RabbitMQDiskFreeLimit', 'Maximum', 'limit'),
      ]),
      graph('Broker connections, channels, consumers', [
        brokerMetric('ConnectionCount', 'Maximum', 'connections'),
        brokerMetric('ChannelCount', 'Maximum', 'channels'),
        brokerMetric('ConsumerCount', 'Maximum', 'consumers'),
      ]),
    ];
    if (props.queueMetrics) {
      broker.push(
        graph(
          'Input queues: ready messages',
          props.inputQueues.map((queue) => brokerMetric('MessageReadyCount', 'Maximum', queue, queue)),
        ),
      );
    } else {
      broker.push(
        new cloudwatch.TextWidget({
          markdown:
            'Per-queue depths: Amazon MQ publishes none for RabbitMQ 4 brokers. Read them with the RabbitMQ management API, or see the dead-letter depths above.',
          width: WIDTH,
          height: HEIGHT,
        }),
      );
    }

    const tableMetric = (metricName: string, label: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/DynamoDB', metricName, dimensionsMap: { TableName: props.tableName }, statistic: 'Sum', period: PERIOD, label });
    const table: cloudwatch.IWidget[] = [
      graph('Table: consumed capacity units', [tableMetric('ConsumedWriteCapacityUnits', 'WCU'), tableMetric('ConsumedReadCapacityUnits', 'RCU')]),
      graph('Table: throttled requests', [tableMetric('WriteThrottleEvents', 'write throttles'), tableMetric('ReadThrottleEvents', 'read throttles')]),
    ];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [heading(`# Worker manager ${service}: requests, dispatches, latencies, dead letters`)],
        ...rows(manager),
        [heading('# Broker (AWS/AmazonMQ)')],
        ...rows(broker),
        [heading('# Table (AWS/DynamoDB)')],
        ...rows(table),
      ],
    });
  }
}

function heading(markdown: string): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({ markdown, width: 24, height: 1 });
}

/** Widgets three to a row. */
function rows(widgets: readonly cloudwatch.IWidget[]): cloudwatch.IWidget[][] {
  const result: cloudwatch.IWidget[][] = [];
  for (let index = 0; index < widgets.length; index += 3) result.push(widgets.slice(index, index + 3));
  return result;
}
