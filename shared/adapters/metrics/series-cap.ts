import { MAX_SERIES_PER_METRIC, OTHER_SERIES, type MetricKey } from '../../ports/metrics.js';

/** One series: a metric with every dimension valued, and the key that tells it from the others. */
export interface Series {
  metric: MetricKey;
  dimensions: Readonly<Record<string, string>>;
  key: string;
}

/**
 * Keeps the number of series of each metric bounded, whatever the values a caller passes: the
 * first MAX_SERIES_PER_METRIC combinations seen by this process are kept, every later one is
 * recorded as the combination whose values are all OTHER_SERIES. A process that sees more worker
 * types than that still costs at most MAX_SERIES_PER_METRIC + 1 CloudWatch metrics per metric.
 */
export class SeriesCap {
  private readonly seen = new Map<MetricKey, Set<string>>();

  public constructor(private readonly maxSeries = MAX_SERIES_PER_METRIC) {}

  public series(metric: MetricKey, dimensions: Readonly<Record<string, string>>): Series {
    const names = Object.keys(dimensions).sort();
    const key = seriesKey(metric, names, dimensions);
    let kept = this.seen.get(metric);
    if (kept === undefined) {
      kept = new Set();
      this.seen.set(metric, kept);
    }
    if (kept.has(key)) return { metric, dimensions, key };
    if (kept.size < this.maxSeries) {
      kept.add(key);
      return { metric, dimensions, key };
    }
    const other = Object.fromEntries(names.map((name) => [name, OTHER_SERIES]));
    return { metric, dimensions: other, key: seriesKey(metric, names, other) };
  }
}

function seriesKey(metric: string, names: readonly string[], dimensions: Readonly<Record<string, string>>): string {
  return JSON.stringify([metric, ...names.map((name) => [name, dimensions[name]])]);
}
