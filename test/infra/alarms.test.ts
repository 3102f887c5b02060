import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { METRICS, METRICS_NAMESPACE } from '../../shared/ports/metrics.js';
import { TABLE_DEFINITION } from '../../shared/adapters/dynamodb/table-definition.js';
import { logicalId, resourcesOf, synthEnvironment } from './synth.js';

// Point 6 of issue 14: alarms that say what is wrong.

const dev = synthEnvironment('dev');
const prod = synthEnvironment('prod');

type Properties = Record<string, unknown>;
type Query = {
  Id: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] }; Stat: string };
};

const alarmsOf = (template: typeof dev.stateless) => Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties!);
const byDescription = (template: typeof dev.stateless, pattern: RegExp): Properties[] =>
  alarmsOf(template).filter((alarm) => pattern.test(String(alarm['AlarmDescription'])));
const single = (template: typeof dev.stateless, pattern: RegExp): Properties => {
  const found = byDescription(template, pattern);
  expect(found, String(pattern)).toHaveLength(1);
  return found[0]!;
};
const queries = (alarm: Properties) => alarm['Metrics'] as Query[];
const metricNames = (alarm: Properties) => queries(alarm).flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric.MetricName] : []));

const FUNCTIONS = {
  'register-requests': 'RegisterRequests',
  'handle-worker-responses': 'HandleWorkerResponses',
  'record-heartbeats': 'RecordHeartbeats',
  'handle-worker-dead-letters': 'HandleWorkerDeadLetters',
  sweep: 'Sweep',
  'admin-api': 'AdminApi',
  'run-bulk-jobs': 'AdminApiRunBulkJobs',
  'broker-topology': 'BrokerTopologyHandler',
} as const;
const functionId = (template: typeof dev.stateless, name: keyof typeof FUNCTIONS) => logicalId(template, 'AWS::Lambda::Function', `${FUNCTIONS[name]}Function`);

describe('Point 6: alarms that say what is wrong', () => {
  it('compares broker memory with the high watermark the broker reports (RabbitMQMemUsed / RabbitMQMemLimit), at 80 %', () => {
    const alarm = single(dev.stateless, /high watermark/);
    expect(queries(alarm).find((query) => query.ReturnData !== false)?.Expression).toBe('100 * used / limit');
    expect(metricNames(alarm).sort()).toEqual(['RabbitMQMemLimit', 'RabbitMQMemUsed']);
    for (const query of queries(alarm).filter((q) => q.MetricStat)) {
      expect(query.MetricStat!.Metric.Namespace).toBe('AWS/AmazonMQ');
      expect(query.MetricStat!.Metric.Dimensions).toEqual([{ Name: 'Broker', Value: 'worker-manager-dev-public-single' }]);
    }
    expect(alarm['Threshold']).toBe(80);
    expect(alarm['ComparisonOperator']).toBe('GreaterThanOrEqualToThreshold');
  });

  it('compares free disk with the low watermark (RabbitMQDiskFree / RabbitMQDiskFreeLimit), alarming at 2 x or less', () => {
    const alarm = single(dev.stateless, /low watermark/);
    expect(queries(alarm).find((query) => query.ReturnData !== false)?.Expression).toBe('free / limit');
    expect(metricNames(alarm).sort()).toEqual(['RabbitMQDiskFree', 'RabbitMQDiskFreeLimit']);
    expect(alarm['Threshold']).toBe(2);
    expect(alarm['ComparisonOperator']).toBe('LessThanOrEqualToThreshold');
  });

  it('watches the broker connection count, lower on the dev mq.t3.micro', () => {
    dev.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/AmazonMQ',
      MetricName: 'ConnectionCount',
      Dimensions: [{ Name: 'Broker', Value: 'worker-manager-dev-public-single' }],
      Threshold: 80,
    });
    prod.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ConnectionCount', Threshold: 1_000 });
  });

  it('sums the DynamoDB read and write throttle events of the table and each of its indexes', () => {
    const alarm = single(dev.stateless, /DynamoDB throttled/);
    const stats = queries(alarm).filter((query) => query.MetricStat);
    // table + 3 indexes, read and write: 8 metrics, within the 10 a math alarm may use
    expect(stats).toHaveLength(2 * (1 + TABLE_DEFINITION.indexes.length));
    const indexes = new Set(
      stats.flatMap((query) => query.MetricStat!.Metric.Dimensions.filter((d) => d.Name === 'GlobalSecondaryIndexName').map((d) => d.Value)),
    );
    expect([...indexes].sort()).toEqual(TABLE_DEFINITION.indexes.map((index) => index.name).sort());
    expect(new Set(stats.map((query) => query.MetricStat!.Metric.MetricName))).toEqual(new Set(['ReadThrottleEvents', 'WriteThrottleEvents']));
    expect(queries(alarm).find((query) => query.ReturnData !== false)?.Expression).toMatch(/^FILL\(r0, 0\) \+ FILL\(w0, 0\) \+/);
    expect(alarm['Threshold']).toBe(1);
  });

  it('watches the throttles of every function, and its longest run against 80 % of its own timeout', () => {
    const functions = resourcesOf(dev.stateless, 'AWS::Lambda::Function');
    for (const name of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
      const id = functionId(dev.stateless, name);
      const timeoutSeconds = functions[id]!.Properties!['Timeout'] as number;
      const onFunction = alarmsOf(dev.stateless).filter(
        (alarm) => JSON.stringify(alarm['Dimensions']) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: id } }]),
      );
      const throttles = onFunction.filter((alarm) => alarm['MetricName'] === 'Throttles');
      expect(throttles, name).toHaveLength(1);
      expect(throttles[0]!['Statistic'], name).toBe('Sum');
      const duration = onFunction.filter((alarm) => alarm['MetricName'] === 'Duration');
      expect(duration, name).toHaveLength(1);
      expect(duration[0]!['Statistic'], name).toBe('Maximum');
      expect(duration[0]!['Threshold'], name).toBe(Math.floor(timeoutSeconds * 1000 * 0.8));
    }
    // run-bulk-jobs: 300 s, so 240 s
    dev.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId(dev.stateless, 'run-bulk-jobs') } }],
      Threshold: 240_000,
    });
  });

  it('watches the age of the oldest waiting request the sweep records: its minimum above 30 minutes for 15 minutes', () => {
    dev.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: METRICS.oldestWaitingAge.name,
      Dimensions: [{ Name: 'service', Value: 'WorkerManager-dev-Stateless' }],
      Statistic: 'Minimum',
      Threshold: 30 * 60,
      EvaluationPeriods: 3,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
    });
  });

  it('gives every alarm a description that names the cause, and sends it to the one topic', () => {
    for (const alarm of alarmsOf(prod.stateless)) {
      expect(String(alarm['AlarmDescription']).length).toBeGreaterThan(30);
      expect(alarm['AlarmActions']).toHaveLength(1);
    }
  });

  describe('the broker log group', () => {
    it('gets the environment retention, by name, whether or not Amazon MQ created the group first', () => {
      const retention = Object.values(resourcesOf(dev.stateful, 'Custom::LogRetention'));
      expect(retention).toHaveLength(1);
      expect(retention[0]!.Properties!['RetentionInDays']).toBe(7);
      expect(retention[0]!.Properties!['LogGroupName']).toEqual({
        'Fn::Join': ['', ['/aws/amazonmq/broker/', { 'Fn::GetAtt': ['Broker', 'Id'] }, '/general']],
      });
      expect(Object.values(resourcesOf(prod.stateful, 'Custom::LogRetention'))[0]!.Properties!['RetentionInDays']).toBe(90);
    });

    it('lets Amazon MQ write to it only on behalf of this account (aws:SourceAccount)', () => {
      const policy = Object.values(resourcesOf(dev.stateful, 'AWS::Logs::ResourcePolicy'))[0]!;
      const document = JSON.stringify(policy.Properties!['PolicyDocument']);
      expect(document).toContain('aws:SourceAccount');
      expect(document).toContain('AWS::AccountId');
      expect(document).toContain('mq.amazonaws.com');
    });
  });
});
