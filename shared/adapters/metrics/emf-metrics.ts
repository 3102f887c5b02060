import { Metrics as Powertools, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  METRICS,
  METRICS_NAMESPACE,
  type CounterKey,
  type DimensionsOf,
  type GaugeKey,
  type HistogramKey,
  type MetricKey,
  type Metrics,
} from '../../ports/metrics.js';
import { SeriesCap, type Series } from './series-cap.js';

// use cases, function wrapper (Lambda) --> (Metrics) --> one invocation's aggregates --> Powertools --> EMF lines on stdout --> CloudWatch Logs --> metrics

/** Values of one metric in one EMF document: CloudWatch takes at most 100 (Powertools flushes at 100 by itself). */
const MAX_VALUES_PER_DOCUMENT = 99;

interface Aggregate {
  series: Series;
  /** A counter's sum or a gauge's last value, as one value; a histogram's observations, each kept. */
  values: number[];
}

/**
 * The Metrics port over Powertools for AWS Lambda (Metrics): CloudWatch embedded metric format
 * lines on stdout, which CloudWatch Logs turns into metrics (no CloudWatch client, no
 * PutMetricData permission, no latency). An invocation's counts are summed and its gauges kept
 * last, so a batch of 100 messages writes a few lines, not 100: one document per distinct set of
 * dimension values, each carrying Powertools' `service` dimension (the deployment) too.
 */
export class EmfMetrics implements Metrics {
  private readonly cap = new SeriesCap();
  private readonly pending = new Map<string, Aggregate>();

  public constructor(private readonly powertools: Powertools) {}

  /** Metrics of the namespace WorkerManager whose `service` dimension is `service` (METRICS_SERVICE: the stack). */
  public static create(service: string): EmfMetrics {
    return new EmfMetrics(new Powertools({ namespace: METRICS_NAMESPACE, serviceName: service }));
  }

  public count<M extends CounterKey>(metric: M, dimensions: DimensionsOf<M>, value = 1): void {
    const aggregate = this.aggregate(metric, dimensions);
    aggregate.values[0] = (aggregate.values[0] ?? 0) + value;
  }

  public gauge<M extends GaugeKey>(metric: M, dimensions: DimensionsOf<M>, value: number): void {
    this.aggregate(metric, dimensions).values[0] = value;
  }

  public observe<M extends HistogramKey>(metric: M, dimensions: DimensionsOf<M>, value: number): void {
    this.aggregate(metric, dimensions).values.push(value);
  }

  /** Writes what the invocation recorded, one EMF document per distinct set of dimension values, and forgets it. */
  public flush(): void {
    const groups = new Map<string, Aggregate[]>();
    for (const aggregate of this.pending.values()) {
      const key = JSON.stringify(Object.entries(aggregate.series.dimensions).sort());
      groups.set(key, [...(groups.get(key) ?? []), aggregate]);
    }
    this.pending.clear();
    for (const aggregates of groups.values()) {
      const dimensions = aggregates[0]?.series.dimensions ?? {};
      const rounds = Math.max(...aggregates.map((aggregate) => Math.ceil(aggregate.values.length / MAX_VALUES_PER_DOCUMENT)));
      for (let round = 0; round < rounds; round += 1) {
        // publishStoredMetrics clears the dimensions: they are added again for every document.
        if (Object.keys(dimensions).length > 0) this.powertools.addDimensions({ ...dimensions });
        for (const { series, values } of aggregates) {
          const { name, unit } = METRICS[series.metric];
          for (const value of values.slice(round * MAX_VALUES_PER_DOCUMENT, (round + 1) * MAX_VALUES_PER_DOCUMENT)) {
            this.powertools.addMetric(name, MetricUnit[unit], value);
          }
        }
        this.powertools.publishStoredMetrics();
      }
    }
  }

  private aggregate(metric: MetricKey, dimensions: Readonly<Record<string, string>>): Aggregate {
    const series = this.cap.series(metric, dimensions);
    let aggregate = this.pending.get(series.key);
    if (aggregate === undefined) {
      aggregate = { series, values: [] };
      this.pending.set(series.key, aggregate);
    }
    return aggregate;
  }
}
