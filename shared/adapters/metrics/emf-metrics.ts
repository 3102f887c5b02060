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

// use cases, function wrapper (Lambda) --> (Metrics) --> one invocation's aggregates --> EMF lines on stdout --> CloudWatch Logs --> metrics

/** Values of one metric in one EMF document: CloudWatch takes at most 100. */
const MAX_VALUES_PER_DOCUMENT = 99;

interface Aggregate {
  series: Series;
  /** A counter's sum or a gauge's last value, as one value; a histogram's observations, each kept. */
  values: number[];
}

/**
 * The Metrics port as CloudWatch embedded metric format (EMF) lines on stdout, which CloudWatch Logs
 * turns into metrics (no CloudWatch client, no PutMetricData permission, no latency). An
 * invocation's counts are summed and its gauges kept last, so a batch of 100 messages writes a few
 * lines, not 100: one document per distinct set of dimension values, each carrying the `service`
 * dimension (the deployment) too. The documents are those Powertools Metrics wrote, which this
 * replaced: the aggregation was already ours, and Powertools cost 15 KiB of every bundle to format them.
 */
export class EmfMetrics implements Metrics {
  private readonly cap = new SeriesCap();
  private readonly pending = new Map<string, Aggregate>();

  private constructor(
    private readonly service: string,
    private readonly write: (line: string) => void,
  ) {}

  /** Metrics of the namespace WorkerManager whose `service` dimension is `service` (METRICS_SERVICE: the stack). */
  public static create(service: string, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): EmfMetrics {
    return new EmfMetrics(service, write);
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
        const definitions: { Name: string; Unit: string }[] = [];
        const values: Record<string, number | number[]> = {};
        for (const { series, values: all } of aggregates) {
          const slice = all.slice(round * MAX_VALUES_PER_DOCUMENT, (round + 1) * MAX_VALUES_PER_DOCUMENT);
          if (slice.length === 0) continue;
          const { name, unit } = METRICS[series.metric];
          definitions.push({ Name: name, Unit: unit });
          values[name] = slice.length === 1 ? (slice[0] ?? 0) : slice;
        }
        const metadata = { Namespace: METRICS_NAMESPACE, Dimensions: [['service', ...Object.keys(dimensions)]], Metrics: definitions };
        this.write(JSON.stringify({ _aws: { Timestamp: Date.now(), CloudWatchMetrics: [metadata] }, service: this.service, ...dimensions, ...values }));
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
