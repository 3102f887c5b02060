// use case, function wrapper --> (port) --> CloudWatch EMF (Lambda) | Prometheus registry (local host) | memory (tests)

/*
 * The manager's own metrics, one catalogue for every host: the Lambda adapter writes them as
 * CloudWatch embedded-metric-format lines, the local host serves them at GET /metrics in the
 * Prometheus text format, and the CDK dashboard and alarms read them by these names.
 *
 * Cost decides the dimensions. CloudWatch bills every distinct (name, dimension values) series
 * as one custom metric (about $0.30 a month each), so a dimension takes only values from a small
 * set the manager itself defines (a response state, a queue of the topology, a function, a store
 * operation), plus the worker type, which is capped per metric (MAX_SERIES_PER_METRIC, more fold
 * into OTHER_SERIES). Never a tenant, a session, a source or a request id.
 */

/** counter: a sum over the period; gauge: the last reading; histogram: a distribution of observations. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** The CloudWatch units the catalogue uses (Prometheus takes them into the metric's name). */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

export interface MetricDefinition {
  /** CloudWatch metric name; the Prometheus name is derived from it (prometheusName). */
  name: string;
  kind: MetricKind;
  unit: MetricUnit;
  help: string;
  /** The dimension keys every observation carries, always all of them. */
  dimensions: readonly string[];
}

/** The CloudWatch namespace of every metric of the catalogue. */
export const METRICS_NAMESPACE = 'WorkerManager';

export const METRICS = {
  requestsReceived: {
    name: 'RequestsReceived',
    kind: 'counter',
    unit: 'Count',
    help: 'Client request messages received by register-requests (redeliveries and in-invocation retries included).',
    dimensions: [],
  },
  answers: {
    name: 'Answers',
    kind: 'counter',
    unit: 'Count',
    help: 'Responses sent to clients, by state (GRANTED, DELAYED, SKIPPED, SUCCESS, ERROR, INVALID_CONTENT).',
    dimensions: ['State'],
  },
  dispatched: {
    name: 'Dispatched',
    kind: 'counter',
    unit: 'Count',
    help: 'Work items published to workers, by worker type.',
    dimensions: ['WorkerType'],
  },
  dispatchLatency: {
    name: 'DispatchLatency',
    kind: 'histogram',
    unit: 'Milliseconds',
    help: 'From the creation of a request to each GRANTED answer about it (waiting for a worker included).',
    dimensions: [],
  },
  endToEndLatency: {
    name: 'EndToEndLatency',
    kind: 'histogram',
    unit: 'Milliseconds',
    help: 'From the creation of a request to its final answer (SUCCESS, ERROR or INVALID_CONTENT).',
    dimensions: [],
  },
  batchDuration: {
    name: 'BatchDuration',
    kind: 'histogram',
    unit: 'Milliseconds',
    help: 'Time a queue-fed function spends on one batch, infrastructure retries included.',
    dimensions: ['Function'],
  },
  batchMessages: {
    name: 'BatchMessages',
    kind: 'histogram',
    unit: 'Count',
    help: 'Messages in one batch of a queue-fed function.',
    dimensions: ['Function'],
  },
  storeCalls: {
    name: 'StoreCalls',
    kind: 'counter',
    unit: 'Count',
    help: 'DynamoDB API calls (round trips), by function and operation.',
    dimensions: ['Function', 'Operation'],
  },
  deadLetters: {
    name: 'DeadLetters',
    kind: 'counter',
    unit: 'Count',
    help: 'Messages dead-lettered: by the manager (unreadable, unanswerable, refused) or by the broker (work items), by the queue they came from.',
    dimensions: ['Queue'],
  },
  deadLetterMessages: {
    name: 'DeadLetterMessages',
    kind: 'gauge',
    unit: 'Count',
    help: 'Messages waiting in a dead-letter queue nobody consumes, read by the sweep.',
    dimensions: ['Queue'],
  },
  oldestWaitingAge: {
    name: 'OldestWaitingRequestAge',
    kind: 'gauge',
    unit: 'Seconds',
    help: 'Age of the oldest request waiting for a worker (NO_WORKER_AVAILABLE) the sweep read; 0 when none.',
    dimensions: [],
  },
  bulkJobItems: {
    name: 'BulkJobItems',
    kind: 'counter',
    unit: 'Count',
    help: 'Requests a bulk job went through, by action (retry, delete) and outcome (done: changed; skipped: no longer blocked).',
    dimensions: ['Action', 'Outcome'],
  },
} as const satisfies Record<string, MetricDefinition>;

export type Catalogue = typeof METRICS;
export type MetricKey = keyof Catalogue;
type KeysOfKind<K extends MetricKind> = { [M in MetricKey]: Catalogue[M]['kind'] extends K ? M : never }[MetricKey];
export type CounterKey = KeysOfKind<'counter'>;
export type GaugeKey = KeysOfKind<'gauge'>;
export type HistogramKey = KeysOfKind<'histogram'>;
/** Every dimension of the metric, each with a value from a bounded set. */
export type DimensionsOf<M extends MetricKey> = { readonly [D in Catalogue[M]['dimensions'][number]]: string };

/**
 * Where metrics go. Recording never throws and never waits: a metric is never worth failing or
 * slowing a batch for. `flush` is called once per invocation by the function wrapper.
 */
export interface Metrics {
  count<M extends CounterKey>(metric: M, dimensions: DimensionsOf<M>, value?: number): void;
  gauge<M extends GaugeKey>(metric: M, dimensions: DimensionsOf<M>, value: number): void;
  observe<M extends HistogramKey>(metric: M, dimensions: DimensionsOf<M>, value: number): void;
  /** Sends what was recorded since the last flush (the EMF adapter); a no-op where metrics are read on demand. */
  flush(): void;
}

/** Distinct dimension-value combinations kept per metric per process; CloudWatch bills each one. */
export const MAX_SERIES_PER_METRIC = 50;
/** The dimension values of every combination past MAX_SERIES_PER_METRIC. */
export const OTHER_SERIES = '_other';

/** Metrics that go nowhere: a composition without metrics (the admin API, most tests). */
export const NO_METRICS: Metrics = {
  count: () => undefined,
  gauge: () => undefined,
  observe: () => undefined,
  flush: () => undefined,
};
