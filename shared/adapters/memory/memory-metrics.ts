import type { CounterKey, DimensionsOf, GaugeKey, HistogramKey, MetricKey, Metrics } from '../../ports/metrics.js';

// use cases under test --> (Metrics) --> every recording kept, for assertions

export interface Recorded {
  metric: MetricKey;
  dimensions: Readonly<Record<string, string>>;
  value: number;
}

/** Keeps every recording, uncapped and unaggregated, so a test can say exactly what was recorded. */
export class MemoryMetrics implements Metrics {
  public readonly recorded: Recorded[] = [];
  public flushes = 0;

  public count<M extends CounterKey>(metric: M, dimensions: DimensionsOf<M>, value = 1): void {
    this.recorded.push({ metric, dimensions, value });
  }

  public gauge<M extends GaugeKey>(metric: M, dimensions: DimensionsOf<M>, value: number): void {
    this.recorded.push({ metric, dimensions, value });
  }

  public observe<M extends HistogramKey>(metric: M, dimensions: DimensionsOf<M>, value: number): void {
    this.recorded.push({ metric, dimensions, value });
  }

  public flush(): void {
    this.flushes += 1;
  }

  /** The sum of a metric's values over the recordings whose dimensions include `where`. */
  public total(metric: MetricKey, where: Readonly<Record<string, string>> = {}): number {
    return this.values(metric, where).reduce((sum, value) => sum + value, 0);
  }

  /** A metric's values, in recording order, over the recordings whose dimensions include `where`. */
  public values(metric: MetricKey, where: Readonly<Record<string, string>> = {}): number[] {
    return this.recorded
      .filter((entry) => entry.metric === metric && Object.entries(where).every(([name, value]) => entry.dimensions[name] === value))
      .map((entry) => entry.value);
  }
}
