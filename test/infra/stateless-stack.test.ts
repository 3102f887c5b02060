import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { deadLetterQueues } from '../../infra/aws/stacks/stateless-stack.js';
import { METRICS, METRICS_NAMESPACE } from '../../shared/ports/metrics.js';
import {
  DEFAULT_REQUEST_BATCH_SIZE,
  eventSourceMappings,
  ManagerSettingsSchema,
  sessionDeletionMapping,
  topologyOptions,
} from '../../shared/contract/manager-settings.js';
import { managerTopology } from '../../shared/contract/topology.js';
import { dedicatedDeadLetterQueue } from '../../shared/contract/wire-names.js';
import { logicalId, resourcesOf, synthEnvironment } from './synth.js';

const dev = synthEnvironment('dev');
const prod = synthEnvironment('prod');

/** Construct id of each function in the stateless stack. */
const FUNCTIONS = {
  'register-requests': 'RegisterRequests',
  'handle-worker-responses': 'HandleWorkerResponses',
  'record-heartbeats': 'RecordHeartbeats',
  'handle-worker-dead-letters': 'HandleWorkerDeadLetters',
  'handle-session-deletions': 'HandleSessionDeletions',
  sweep: 'Sweep',
  'admin-api': 'AdminApi',
  'run-bulk-jobs': 'AdminApiRunBulkJobs',
  'broker-topology': 'BrokerTopologyHandler',
} as const;

const functionId = (template: typeof dev.stateless, name: keyof typeof FUNCTIONS) => logicalId(template, 'AWS::Lambda::Function', `${FUNCTIONS[name]}Function`);
const functionProperties = (template: typeof dev.stateless, name: keyof typeof FUNCTIONS) =>
  resourcesOf(template, 'AWS::Lambda::Function')[functionId(template, name)]!.Properties!;
const variables = (template: typeof dev.stateless, name: keyof typeof FUNCTIONS) =>
  (functionProperties(template, name)['Environment'] as { Variables: Record<string, unknown> }).Variables;

describe('Stack: stateless', () => {
  describe('Construct: ManagerFunction', () => {
    it('makes every function Node.js 22 on arm64 with JSON logs in its own log group and source maps on', () => {
      for (const name of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
        const fn = functionProperties(dev.stateless, name);
        expect(fn['Runtime'], name).toBe('nodejs22.x');
        expect(fn['Architectures'], name).toEqual(['arm64']);
        expect(fn['Handler'], name).toBe('index.handler');
        expect(fn['TracingConfig'], name).toEqual({ Mode: 'Active' });
        expect(fn['LoggingConfig'], name).toEqual({
          LogFormat: 'JSON',
          ApplicationLogLevel: 'TRACE',
          SystemLogLevel: 'INFO',
          LogGroup: { Ref: logicalId(dev.stateless, 'AWS::Logs::LogGroup', `${FUNCTIONS[name].replace(/Handler$/, 'Handler')}Logs`) },
        });
        expect(variables(dev.stateless, name)['NODE_OPTIONS'], name).toBe('--enable-source-maps');
        expect(variables(dev.stateless, name)['LOG_LEVEL'], name).toBe('info');
      }
    });

    it('keeps the logs 7 days in dev and 90 in prod, deleting them with the stack in dev only', () => {
      const groups = (template: typeof dev.stateless) => Object.values(resourcesOf(template, 'AWS::Logs::LogGroup'));
      // nine functions, the custom resource provider's framework function, the API's access logs
      // and the dashboard's deployment function
      expect(groups(dev.stateless)).toHaveLength(12);
      for (const group of groups(dev.stateless)) expect(group.Properties?.['RetentionInDays']).toBe(7);
      for (const group of groups(prod.stateless)) expect(group.Properties?.['RetentionInDays']).toBe(90);
      dev.stateless.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
      prod.stateless.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    });

    it('passes the settings as WM_SETTINGS, which parse back to the configured settings', () => {
      for (const name of [
        'register-requests',
        'handle-worker-responses',
        'record-heartbeats',
        'handle-worker-dead-letters',
        'sweep',
        'admin-api',
        'run-bulk-jobs',
      ] as const) {
        const text = variables(dev.stateless, name)['WM_SETTINGS'];
        expect(typeof text, name).toBe('string');
        expect(ManagerSettingsSchema.parse(JSON.parse(String(text))), name).toEqual(dev.config.settings);
      }
      // The topology handler gets its inputs from the resource properties instead.
      expect(variables(dev.stateless, 'broker-topology')['WM_SETTINGS']).toBeUndefined();
    });

    it('names the table and the broker through AWS variables only: endpoint + secret, never a URL with a password', () => {
      for (const name of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
        const env = variables(dev.stateless, name);
        expect(env['AMQP_URL'], name).toBeUndefined();
        expect(env['AMQP_VHOST'], name).toBe('/');
        // The endpoint from the stateful stack's SSM parameter; the topology step logs in as the administrator.
        expect(JSON.stringify(env['AMQP_ENDPOINT']), name).toMatch(/SsmParameterValue.*brokeramqpendpoint/i);
        expect(JSON.stringify(env['AMQP_SECRET_ARN']), name).toContain(name === 'broker-topology' ? 'BrokerCredentials' : 'BrokerManagerCredentials');
        expect(env['AWS_REGION'], name).toBeUndefined();
        if (name !== 'broker-topology') expect(JSON.stringify(env['TABLE_NAME']), name).toContain('Table');
      }
      expect(variables(dev.stateless, 'broker-topology')['TABLE_NAME']).toBeUndefined();
    });

    it('stays within the 4 KB Lambda allows for environment variables', () => {
      for (const name of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
        // Tokens resolve to ARNs and names of ~100 characters; count each as 200.
        const size = Object.entries(variables(prod.stateless, name)).reduce(
          (total, [key, value]) => total + key.length + (typeof value === 'string' ? value.length : 200),
          0,
        );
        expect(size, name).toBeLessThan(4096);
      }
    });

    it('gives the queue-fed functions the configured timeout and memory, and the sweep less than its period', () => {
      expect(functionProperties(dev.stateless, 'register-requests')['Timeout']).toBe(60);
      expect(functionProperties(dev.stateless, 'register-requests')['MemorySize']).toBe(512);
      expect(functionProperties(prod.stateless, 'register-requests')['MemorySize']).toBe(1024);
      expect(functionProperties(dev.stateless, 'sweep')['Timeout']).toBe(50);
    });

    it('runs one sweep at a time (reserved concurrency 1) and reserves nothing for the queue-fed functions', () => {
      expect(functionProperties(dev.stateless, 'sweep')['ReservedConcurrentExecutions']).toBe(1);
      expect(functionProperties(prod.stateless, 'sweep')['ReservedConcurrentExecutions']).toBe(1);
      for (const name of ['register-requests', 'handle-worker-responses', 'record-heartbeats', 'handle-worker-dead-letters', 'admin-api'] as const) {
        expect(functionProperties(dev.stateless, name)['ReservedConcurrentExecutions'], name).toBeUndefined();
      }
    });
  });

  describe('Resource: event source mappings', () => {
    it('has one mapping per eventSourceMappings(settings) entry, with its queue, batch size and window', () => {
      // Prepare
      const expected = [...eventSourceMappings(dev.config.settings), sessionDeletionMapping(dev.config.settings)];
      const mappings = Object.values(resourcesOf(dev.stateless, 'AWS::Lambda::EventSourceMapping'));
      // Assess
      expect(mappings).toHaveLength(expected.length);
      for (const mapping of expected) {
        dev.stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          FunctionName: { Ref: functionId(dev.stateless, mapping.functionName) },
          Queues: [mapping.queue],
          BatchSize: mapping.batchSize,
          MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowSeconds,
          Enabled: true,
          EventSourceArn: { Ref: Match.stringLikeRegexp('SsmParameterValue.*brokerarn') },
        });
      }
    });

    it("logs in with the manager user's secret (BASIC_AUTH) on the configured vhost, never the administrator's", () => {
      for (const mapping of Object.values(resourcesOf(dev.stateless, 'AWS::Lambda::EventSourceMapping'))) {
        expect(mapping.Properties?.['SourceAccessConfigurations']).toEqual([
          { Type: 'BASIC_AUTH', URI: { 'Fn::ImportValue': expect.stringMatching(/BrokerManagerCredentials/) } },
          { Type: 'VIRTUAL_HOST', URI: '/' },
        ]);
      }
    });

    it('starts only after the topology exists and the role may read the broker and its secret', () => {
      const topologyId = logicalId(dev.stateless, 'Custom::BrokerTopology', 'BrokerTopology');
      for (const [id, mapping] of Object.entries(resourcesOf(dev.stateless, 'AWS::Lambda::EventSourceMapping'))) {
        expect(mapping.DependsOn, id).toContain(topologyId);
        expect(
          mapping.DependsOn?.some((dependency) => dependency.includes('RoleDefaultPolicy')),
          id,
        ).toBe(true);
      }
    });

    it('follows the settings: a changed batch size and window reach the mapping', () => {
      const tuned = synthEnvironment('dev', {
        settings: { mappings: { recordHeartbeats: { batchSize: 2_000, maximumBatchingWindowSeconds: 2 } }, names: { heartbeatQueue: 'hb.custom' } },
      });
      tuned.stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        Queues: ['hb.custom'],
        BatchSize: 2_000,
        MaximumBatchingWindowInSeconds: 2,
      });
    });
  });

  describe('Point 2: a failing batch never dead-letters good requests', () => {
    it('takes batches of 100 (DEFAULT_REQUEST_BATCH_SIZE) on the request and response mappings, not 500', () => {
      expect(DEFAULT_REQUEST_BATCH_SIZE).toBe(100);
      for (const queue of [dev.config.settings.names.requestQueue, dev.config.settings.names.workerResponse]) {
        dev.stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', { Queues: [queue], BatchSize: 100 });
        prod.stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', { Queues: [queue], BatchSize: 100 });
      }
    });

    it('invokes sweep with no asynchronous retry from Lambda either, and drops an event older than the one-minute period', () => {
      dev.stateless.resourceCountIs('AWS::Lambda::EventInvokeConfig', 2);
      dev.stateless.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId(dev.stateless, 'sweep') },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
    });
  });

  describe('Resource: sweep schedule', () => {
    it('invokes sweep every minute, without retries and with no payload', () => {
      dev.stateless.resourceCountIs('AWS::Scheduler::Schedule', 1);
      dev.stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [functionId(dev.stateless, 'sweep'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
          RoleArn: Match.anyValue(),
        },
      });
      const schedule = Object.values(resourcesOf(dev.stateless, 'AWS::Scheduler::Schedule'))[0]!;
      expect((schedule.Properties?.['Target'] as Record<string, unknown>)['Input']).toBeUndefined();
    });
  });

  describe('Resource: broker topology', () => {
    it('is a custom resource served by the Provider framework, carrying the topology the local host declares and the broker id', () => {
      dev.stateless.resourceCountIs('Custom::BrokerTopology', 1);
      const resource = Object.values(resourcesOf(dev.stateless, 'Custom::BrokerTopology'))[0]!.Properties!;
      expect(JSON.parse(String(resource['Topology']))).toEqual(managerTopology(dev.config.settings.names, topologyOptions(dev.config.settings)));
      expect(resource['BrokerId']).toEqual({ Ref: expect.stringMatching(/SsmParameterValue.*brokerid/i) });
      expect(resource['VirtualHost']).toBe('/');
      expect(JSON.stringify(resource['ServiceToken'])).toContain('BrokerTopologyProviderframeworkonEvent');
    });
  });

  describe('Point 4: the input queue type is a setting', () => {
    it('declares quorum input queues by default and classic ones when settings.inputQueueType says so, in the topology and WM_SETTINGS alike', () => {
      const typesOf = (template: typeof dev.stateless) => {
        const resource = Object.values(resourcesOf(template, 'Custom::BrokerTopology'))[0]!.Properties!;
        const topology = JSON.parse(String(resource['Topology'])) as {
          queues: { name: string; type: string; arguments: Record<string, unknown>; policy?: Record<string, unknown> }[];
        };
        return Object.fromEntries(topology.queues.map((queue) => [queue.name, queue]));
      };
      const { names } = dev.config.settings;
      const inputs = [names.requestQueue, names.workerResponse, names.workerDeadLetter, names.heartbeatQueue];
      for (const queue of inputs) expect(typesOf(dev.stateless)[queue]?.type, queue).toBe('quorum');
      const classic = synthEnvironment('dev', { settings: { inputQueueType: 'classic' } });
      for (const queue of inputs) {
        expect(typesOf(classic.stateless)[queue]?.type, queue).toBe('classic');
        expect(typesOf(classic.stateless)[queue]?.arguments, queue).not.toHaveProperty('x-delivery-limit');
        expect(typesOf(classic.stateless)[queue]?.policy, queue).not.toHaveProperty('delivery-limit');
      }
      expect(ManagerSettingsSchema.parse(JSON.parse(String(variables(classic.stateless, 'register-requests')['WM_SETTINGS']))).inputQueueType).toBe('classic');
    });
  });

  describe('Resource: alarms', () => {
    const alarms = Object.values(resourcesOf(dev.stateless, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties!);
    const queueAlarms = (metric: string) =>
      alarms
        .filter((alarm) => alarm['Namespace'] === 'AWS/AmazonMQ' && alarm['MetricName'] === metric)
        .map((alarm) => Object.fromEntries((alarm['Dimensions'] as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value])));

    it('watches the depth of every dead-letter queue of the topology, per queue on the broker and vhost', () => {
      // Prepare
      const { names } = dev.config.settings;
      const topology = managerTopology(names, topologyOptions(dev.config.settings));
      const declared = topology.queues.map((queue) => queue.name);
      const expected = deadLetterQueues(dev.config.settings);
      // Assess
      expect(expected).toContain(names.deadLetterQueue);
      expect(expected).toContain(dedicatedDeadLetterQueue(names.requestQueue));
      expect(expected).not.toContain(names.workerDeadLetter);
      // every queue an input queue dead-letters to is watched
      for (const queue of topology.queues) {
        const target = queue.policy?.['dead-letter-routing-key'] ?? queue.arguments['x-dead-letter-routing-key'];
        if (typeof target === 'string' && !eventSourceMappings(dev.config.settings).some((mapping) => mapping.queue === target)) {
          expect(expected).toContain(target);
        }
      }
      const watched = alarms
        .filter((alarm) => alarm['Namespace'] === METRICS_NAMESPACE && alarm['MetricName'] === METRICS.deadLetterMessages.name)
        .map((alarm) => Object.fromEntries((alarm['Dimensions'] as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value])));
      expect(watched.map((dimensions) => dimensions['Queue']).sort()).toEqual([...expected].sort());
      for (const dimensions of watched) {
        expect(declared).toContain(dimensions['Queue']);
        // recorded by the sweep, under the stack's `service` dimension (one per deployment)
        expect(dimensions['service']).toBe('WorkerManager-dev-Stateless');
      }
      // no longer on AWS/AmazonMQ: a dead-letter queue has no consumer and falls out of its first 500 queues
      expect(queueAlarms('MessageCount')).toEqual([]);
      dev.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: METRICS.deadLetterMessages.name,
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'missing',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
      });
    });

    it('watches the backlog of every input queue, as the lag the MQ event source does not publish', () => {
      const watched = queueAlarms('MessageReadyCount').map((dimensions) => dimensions['Queue']);
      expect(watched.sort()).toEqual(
        eventSourceMappings(dev.config.settings)
          .map((mapping) => mapping.queue)
          .sort(),
      );
      dev.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'MessageReadyCount',
        Statistic: 'Minimum',
        Threshold: dev.config.alarms.backlogMessages,
        EvaluationPeriods: 3,
      });
      prod.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'MessageReadyCount', Threshold: 10_000 });
    });

    it('watches the errors of every function and that sweep keeps running', () => {
      const errorAlarms = alarms.filter((alarm) => alarm['Namespace'] === 'AWS/Lambda' && alarm['MetricName'] === 'Errors');
      const watched = errorAlarms.map((alarm) => (alarm['Dimensions'] as { Value: { Ref: string } }[])[0]!.Value.Ref).sort();
      expect(watched).toEqual((Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]).map((name) => functionId(dev.stateless, name)).sort());
      dev.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId(dev.stateless, 'sweep') } }],
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
    });

    it('creates no backlog alarm on a RabbitMQ 4 broker, which publishes no per-queue metric, says so, and still watches the dead letters', () => {
      const v4 = synthEnvironment('dev', { broker: { engineVersion: '4.2', instanceType: 'mq.m7g.medium', deploymentMode: 'SINGLE_INSTANCE' } });
      const v4Alarms = Object.values(resourcesOf(v4.stateless, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties!);
      const perQueue = v4Alarms.filter((alarm) => alarm['Namespace'] === 'AWS/AmazonMQ' && JSON.stringify(alarm['Dimensions']).includes('"Queue"'));
      expect(perQueue).toEqual([]);
      Annotations.fromStack(v4.stacks.stateless).hasWarning(
        '/WorkerManager-dev-Stateless/Alarms',
        Match.stringLikeRegexp('no per-queue metrics for RabbitMQ 4.2'),
      );
      v4.stateless.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors' });
      const deadLetterAlarms = v4Alarms.filter((alarm) => alarm['MetricName'] === METRICS.deadLetterMessages.name);
      expect(deadLetterAlarms).toHaveLength(deadLetterQueues(v4.config.settings).length);
    });

    it('sends every alarm to one topic, with an e-mail subscription only when configured', () => {
      for (const alarm of alarms) expect(alarm['AlarmActions']).toHaveLength(1);
      dev.stateless.resourceCountIs('AWS::SNS::Subscription', 0);
      const mailed = synthEnvironment('dev', { alarms: { email: 'ops@example.org' } });
      mailed.stateless.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org' });
    });
  });
});
