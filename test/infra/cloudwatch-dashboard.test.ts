import { describe, expect, it } from 'vitest';
import { eventSourceMappings } from '../../shared/contract/manager-settings.js';
import { ResponseStateSchema } from '../../shared/contract/status.js';
import { METRICS, METRICS_NAMESPACE } from '../../shared/ports/metrics.js';
import { deadLetterQueues } from '../../infra/aws/stacks/stateless-stack.js';
import { resourcesOf, synthEnvironment, type SynthesizedEnvironment } from './synth.js';

// Issue 17 point 3: the manager's metrics on a CloudWatch dashboard, next to the broker's and the table's.

const dev = synthEnvironment('dev');
const SERVICE = 'WorkerManager-dev-Stateless';

interface Widget {
  type: string;
  properties: { title?: string; markdown?: string; metrics?: unknown[][]; annotations?: { horizontal?: { value: number }[] } };
}

/** The dashboard's body, its tokens (function names, the table, the broker) each read as the string TOKEN. */
function dashboardOf(environment: SynthesizedEnvironment): Widget[] {
  const dashboards = Object.values(resourcesOf(environment.stateless, 'AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]!.Properties!['DashboardBody'] as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

const metricRows = (widgets: Widget[]) => widgets.flatMap((widget) => widget.properties.metrics ?? []);
/** The [namespace, name, ...dimension pairs] of each plain metric row (not an expression). */
const plainMetrics = (widgets: Widget[]) => metricRows(widgets).filter((row) => typeof row[0] === 'string' && typeof row[1] === 'string') as string[][];
/** The dimensions of a plain metric row, as an object. */
function dimensionsOf(row: readonly unknown[]): Record<string, unknown> {
  const pairs = row.slice(2).filter((cell) => typeof cell === 'string');
  return Object.fromEntries(Array.from({ length: pairs.length / 2 }, (_, index) => [pairs[2 * index], pairs[2 * index + 1]]));
}
const expressions = (widgets: Widget[]) =>
  metricRows(widgets).flatMap((row) =>
    row.flatMap((cell) => (typeof cell === 'object' && cell !== null && 'expression' in cell ? [String(cell.expression)] : [])),
  );

describe('CloudWatch dashboard', () => {
  const widgets = dashboardOf(dev);
  const metrics = plainMetrics(widgets);
  const ours = metrics.filter((row) => row[0] === METRICS_NAMESPACE);

  it('shows every metric of the catalogue, each under the stack’s service dimension', () => {
    const searched = expressions(widgets).join('\n');
    for (const definition of Object.values(METRICS)) {
      const shown = ours.some((row) => row[1] === definition.name) || searched.includes(`MetricName="${definition.name}"`);
      expect(shown, definition.name).toBe(true);
    }
    for (const row of ours) expect(dimensionsOf(row)['service'], row[1]).toBe(SERVICE);
    expect(searched).toContain(`service="${SERVICE}"`);
  });

  it('lists the answers of every response state, and the depth of every dead-letter queue the sweep reads', () => {
    const states = ours.filter((row) => row[1] === METRICS.answers.name).map((row) => dimensionsOf(row)['State']);
    expect(states.sort()).toEqual([...ResponseStateSchema.options].sort());
    const depths = ours.filter((row) => row[1] === METRICS.deadLetterMessages.name).map((row) => dimensionsOf(row)['Queue']);
    expect(depths.sort()).toEqual(deadLetterQueues(dev.config.settings).sort());
  });

  it('draws the oldest-waiting alarm threshold on the oldest waiting request graph', () => {
    const graph = widgets.find((widget) => widget.properties.title?.startsWith('Oldest request waiting'));
    expect(graph?.properties.annotations?.horizontal?.[0]?.value).toBe(dev.config.alarms.oldestWaitingMinutes * 60);
  });

  it('puts the broker’s memory, disk, connections and input queue depths next to them, and the table’s capacity and throttles', () => {
    const names = (namespace: string) => metrics.filter((row) => row[0] === namespace).map((row) => row[1]);
    expect(names('AWS/AmazonMQ')).toEqual(
      expect.arrayContaining(['RabbitMQMemUsed', 'RabbitMQMemLimit', 'RabbitMQDiskFree', 'RabbitMQDiskFreeLimit', 'ConnectionCount', 'MessageReadyCount']),
    );
    const queues = metrics.filter((row) => row[1] === 'MessageReadyCount').map((row) => dimensionsOf(row)['Queue']);
    expect(queues.sort()).toEqual(
      eventSourceMappings(dev.config.settings)
        .map((mapping) => mapping.queue)
        .sort(),
    );
    expect(names('AWS/DynamoDB')).toEqual(
      expect.arrayContaining(['ConsumedWriteCapacityUnits', 'ConsumedReadCapacityUnits', 'WriteThrottleEvents', 'ReadThrottleEvents']),
    );
    expect(names('AWS/Lambda')).toContain('Errors');
  });

  it('says where the queue depths are on a RabbitMQ 4 broker, which publishes none', () => {
    const v4 = synthEnvironment('dev', { broker: { engineVersion: '4.2', instanceType: 'mq.m7g.medium', deploymentMode: 'SINGLE_INSTANCE' } });
    const v4Widgets = dashboardOf(v4);
    expect(plainMetrics(v4Widgets).some((row) => row[1] === 'MessageReadyCount')).toBe(false);
    expect(v4Widgets.some((widget) => widget.properties.markdown?.includes('RabbitMQ 4'))).toBe(true);
  });
});

describe('metric dimensions and alarms on them', () => {
  it('gives every function that reads METRICS_SERVICE the stack’s name, the service dimension the dashboard and alarms use', () => {
    const functions = Object.values(resourcesOf(dev.stateless, 'AWS::Lambda::Function'));
    const services = functions.map((fn) => (fn.Properties!['Environment'] as { Variables: Record<string, unknown> } | undefined)?.Variables['METRICS_SERVICE']);
    // Every manager function; broker-topology reads only the log level and the broker.
    expect(services.filter((service) => service === SERVICE)).toHaveLength(8);
    expect(services.filter((service) => service !== undefined && service !== SERVICE)).toEqual([]);
  });

  it('alarms on the work items the broker dead-letters, counted by handle-worker-dead-letters', () => {
    const alarms = Object.values(resourcesOf(dev.stateless, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties!);
    const workerDeadLetters = alarms.filter((alarm) => alarm['MetricName'] === METRICS.deadLetters.name);
    expect(workerDeadLetters).toHaveLength(1);
    expect(workerDeadLetters[0]!['Dimensions']).toEqual(
      expect.arrayContaining([
        { Name: 'service', Value: SERVICE },
        { Name: 'Queue', Value: dev.config.settings.names.workerDeadLetter },
      ]),
    );
    expect(workerDeadLetters[0]).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Statistic: 'Sum',
      Threshold: dev.config.alarms.deadLetterMessages,
      TreatMissingData: 'notBreaching',
    });
  });
});
