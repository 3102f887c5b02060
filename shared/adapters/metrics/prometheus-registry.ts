import {
  METRICS,
  type CounterKey,
  type DimensionsOf,
  type GaugeKey,
  type HistogramKey,
  type MetricDefinition,
  type MetricKey,
  type Metrics,
} from '../../ports/metrics.js';
import { SeriesCap, type Series } from './series-cap.js';

// use cases, function wrapper (local host) --> (Metrics) --> in-memory registry --> GET /metrics (Prometheus text format 0.0.4)

/** Prefix of every Prometheus name: the manager's metrics next to a scraper's others. */
const PREFIX = 'wm_';

/** Upper bounds, in seconds, of the duration histograms: a batch takes milliseconds, a request may wait hours. */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;
/** Upper bounds of the count histograms (messages in a batch: Amazon MQ batches up to 10,000). */
export const COUNT_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000] as const;

interface HistogramState {
  /** Observations at or below each bound, not cumulated yet. */
  buckets: number[];
  sum: number;
  count: number;
}

interface SeriesState {
  series: Series;
  value: number;
  histogram?: HistogramState;
}

/**
 * The Metrics port kept in memory and rendered in the Prometheus text exposition format: counters
 * (`_total`), gauges, histograms (`_bucket`, `_sum`, `_count`). Durations are observed in
 * milliseconds, as CloudWatch takes them, and exposed in seconds, as Prometheus names them.
 */
export class PrometheusRegistry implements Metrics {
  private readonly cap = new SeriesCap();
  private readonly states = new Map<string, SeriesState>();

  public count<M extends CounterKey>(metric: M, dimensions: DimensionsOf<M>, value = 1): void {
    this.state(metric, dimensions).value += value;
  }

  public gauge<M extends GaugeKey>(metric: M, dimensions: DimensionsOf<M>, value: number): void {
    this.state(metric, dimensions).value = value;
  }

  public observe<M extends HistogramKey>(metric: M, dimensions: DimensionsOf<M>, value: number): void {
    const definition: MetricDefinition = METRICS[metric];
    const state = this.state(metric, dimensions);
    const bounds = bucketsOf(definition);
    const scaled = exposed(definition, value);
    const histogram = (state.histogram ??= { buckets: bounds.map(() => 0), sum: 0, count: 0 });
    const index = bounds.findIndex((bound) => scaled <= bound);
    if (index >= 0) histogram.buckets[index] = (histogram.buckets[index] ?? 0) + 1;
    histogram.sum += scaled;
    histogram.count += 1;
  }

  /** Nothing to send: the registry is read when scraped. */
  public flush(): void {}

  /** Every metric of the catalogue, with its HELP and TYPE lines, in the text exposition format. */
  public render(): string {
    const lines: string[] = [];
    for (const metric of Object.keys(METRICS) as MetricKey[]) {
      const definition: MetricDefinition = METRICS[metric];
      const name = prometheusName(definition);
      lines.push(`# HELP ${name} ${escapeHelp(definition.help)}`, `# TYPE ${name} ${definition.kind}`);
      const states = [...this.states.values()].filter((state) => state.series.metric === metric);
      // A metric without dimensions has one series from the start: a scraper sees 0, not nothing.
      if (states.length === 0 && definition.dimensions.length === 0) states.push(emptyState(metric));
      for (const state of states) lines.push(...seriesLines(definition, name, state));
    }
    return `${lines.join('\n')}\n`;
  }

  private state(metric: MetricKey, dimensions: Readonly<Record<string, string>>): SeriesState {
    const series = this.cap.series(metric, dimensions);
    let state = this.states.get(series.key);
    if (state === undefined) {
      state = { series, value: 0 };
      this.states.set(series.key, state);
    }
    return state;
  }
}

/** The content type of the text exposition format, as a scraper expects it. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** `DispatchLatency` (Milliseconds, histogram) -> `wm_dispatch_latency_seconds`; counters end in `_total`. */
export function prometheusName(definition: MetricDefinition): string {
  const base = PREFIX + snakeCase(definition.name);
  if (definition.kind === 'counter') return `${base}_total`;
  return definition.unit === 'Count' ? base : `${base}_seconds`;
}

/** `WorkerType` -> `worker_type`. */
export function labelName(dimension: string): string {
  return snakeCase(dimension);
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function bucketsOf(definition: MetricDefinition): readonly number[] {
  return definition.unit === 'Count' ? COUNT_BUCKETS : DURATION_BUCKETS_SECONDS;
}

/** Milliseconds are exposed in seconds; counts and seconds as they are. */
function exposed(definition: MetricDefinition, value: number): number {
  return definition.unit === 'Milliseconds' ? value / 1000 : value;
}

function emptyState(metric: MetricKey): SeriesState {
  return { series: { metric, dimensions: {}, key: metric }, value: 0 };
}

function seriesLines(definition: MetricDefinition, name: string, state: SeriesState): string[] {
  const labels = Object.entries(state.series.dimensions).map(([dimension, value]) => `${labelName(dimension)}="${escapeLabelValue(value)}"`);
  if (definition.kind !== 'histogram') return [`${name}${braces(labels)} ${formatNumber(state.value)}`];
  const histogram = state.histogram ?? { buckets: bucketsOf(definition).map(() => 0), sum: 0, count: 0 };
  let cumulated = 0;
  const lines = bucketsOf(definition).map((bound, index) => {
    cumulated += histogram.buckets[index] ?? 0;
    return `${name}_bucket${braces([...labels, `le="${formatNumber(bound)}"`])} ${cumulated}`;
  });
  lines.push(`${name}_bucket${braces([...labels, 'le="+Inf"'])} ${histogram.count}`);
  lines.push(`${name}_sum${braces(labels)} ${formatNumber(histogram.sum)}`, `${name}_count${braces(labels)} ${histogram.count}`);
  return lines;
}

function braces(labels: readonly string[]): string {
  return labels.length === 0 ? '' : `{${labels.join(',')}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}

/** Label values escape backslash, double quote and line feed (the exposition format's three). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP texts escape backslash and line feed. */
function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
