import { describe, expect, it } from 'vitest';
import { COUNT_BUCKETS, DURATION_BUCKETS_SECONDS, PrometheusRegistry } from '../../../shared/adapters/metrics/prometheus-registry.js';
import { MAX_SERIES_PER_METRIC, METRICS, OTHER_SERIES } from '../../../shared/ports/metrics.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

/** A strict reader of the text exposition format 0.0.4: a line it does not understand fails the test. */
function parse(text: string): Exposition {
  expect(text.endsWith('\n')).toBe(true);
  const exposition: Exposition = { help: new Map(), type: new Map(), samples: [] };
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      (kind === 'HELP' ? exposition.help : exposition.type).set(name, rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, value] = sample as unknown as [string, string, string | undefined, string];
    exposition.samples.push({ name, labels: parseLabels(labelText ?? ''), value: value === '+Inf' ? Infinity : Number(value) });
  }
  return exposition;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
    if (match === null) throw new Error(`bad labels: ${text}`);
    const [whole, name, escaped] = match as unknown as [string, string, string];
    labels[name] = escaped.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));
    rest = rest.slice(whole.length);
  }
  return labels;
}

const find = (exposition: Exposition, name: string, labels: Record<string, string> = {}) =>
  exposition.samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));

describe('PrometheusRegistry', () => {
  it('declares every metric of the catalogue with HELP and TYPE, and shows undimensioned counters at 0 before anything happens', () => {
    const exposition = parse(new PrometheusRegistry().render());
    expect(exposition.type.size).toBe(Object.keys(METRICS).length);
    expect(exposition.type.get('wm_requests_received_total')).toBe('counter');
    expect(exposition.type.get('wm_dispatch_latency_seconds')).toBe('histogram');
    expect(exposition.type.get('wm_oldest_waiting_request_age_seconds')).toBe('gauge');
    expect(exposition.type.get('wm_batch_messages')).toBe('histogram');
    expect(exposition.help.get('wm_answers_total')).toBe(METRICS.answers.help);
    expect(find(exposition, 'wm_requests_received_total')).toEqual([{ name: 'wm_requests_received_total', labels: {}, value: 0 }]);
    // A dimensioned metric has no series until a value is recorded.
    expect(find(exposition, 'wm_answers_total')).toEqual([]);
  });

  it('sums counters per label set and keeps the last gauge value', () => {
    const registry = new PrometheusRegistry();
    registry.count('answers', { State: 'GRANTED' });
    registry.count('answers', { State: 'GRANTED' }, 2);
    registry.count('answers', { State: 'ERROR' });
    registry.gauge('deadLetterMessages', { Queue: 'regards.DLQ' }, 5);
    registry.gauge('deadLetterMessages', { Queue: 'regards.DLQ' }, 3);
    const exposition = parse(registry.render());
    expect(find(exposition, 'wm_answers_total', { state: 'GRANTED' })[0]?.value).toBe(3);
    expect(find(exposition, 'wm_answers_total', { state: 'ERROR' })[0]?.value).toBe(1);
    expect(find(exposition, 'wm_dead_letter_messages', { queue: 'regards.DLQ' })).toEqual([
      { name: 'wm_dead_letter_messages', labels: { queue: 'regards.DLQ' }, value: 3 },
    ]);
  });

  it('exposes millisecond histograms in seconds with cumulative buckets, +Inf equal to the count, and the sum', () => {
    const registry = new PrometheusRegistry();
    for (const ms of [3, 40, 40, 2_000, 7_200_000]) registry.observe('batchDuration', { Function: 'register-requests' }, ms);
    const exposition = parse(registry.render());
    const buckets = find(exposition, 'wm_batch_duration_seconds_bucket', { function: 'register-requests' });
    expect(buckets.map((bucket) => bucket.labels['le'])).toEqual([...DURATION_BUCKETS_SECONDS.map(String), '+Inf']);
    const at = (le: string) => buckets.find((bucket) => bucket.labels['le'] === le)?.value;
    expect(at('0.005')).toBe(1);
    expect(at('0.05')).toBe(3);
    expect(at('2.5')).toBe(4);
    expect(at('3600')).toBe(4);
    expect(at('+Inf')).toBe(5);
    const values = buckets.map((bucket) => bucket.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(find(exposition, 'wm_batch_duration_seconds_count')[0]?.value).toBe(5);
    expect(find(exposition, 'wm_batch_duration_seconds_sum')[0]?.value).toBeCloseTo(7_202.083, 6);
  });

  it('keeps count histograms in their unit', () => {
    const registry = new PrometheusRegistry();
    registry.observe('batchMessages', { Function: 'sweep' }, 100);
    const buckets = find(parse(registry.render()), 'wm_batch_messages_bucket', { function: 'sweep' });
    expect(buckets.map((bucket) => bucket.labels['le'])).toEqual([...COUNT_BUCKETS.map(String), '+Inf']);
    expect(buckets.find((bucket) => bucket.labels['le'] === '50')?.value).toBe(0);
    expect(buckets.find((bucket) => bucket.labels['le'] === '100')?.value).toBe(1);
  });

  it('escapes backslashes, double quotes and line feeds in label values, so they read back unchanged', () => {
    const registry = new PrometheusRegistry();
    const nasty = 'a\\b"c\nd';
    registry.count('dispatched', { WorkerType: nasty });
    const text = registry.render();
    expect(text).toContain('worker_type="a\\\\b\\"c\\nd"');
    expect(find(parse(text), 'wm_dispatched_total')[0]?.labels['worker_type']).toBe(nasty);
  });

  it('folds the series of a metric past its cap into one whose labels are all _other', () => {
    const registry = new PrometheusRegistry();
    for (let index = 0; index < MAX_SERIES_PER_METRIC + 5; index += 1) registry.count('dispatched', { WorkerType: `type-${index}` });
    registry.count('dispatched', { WorkerType: 'type-0' });
    const series = find(parse(registry.render()), 'wm_dispatched_total');
    expect(series).toHaveLength(MAX_SERIES_PER_METRIC + 1);
    expect(series.find((sample) => sample.labels['worker_type'] === OTHER_SERIES)?.value).toBe(5);
    expect(series.find((sample) => sample.labels['worker_type'] === 'type-0')?.value).toBe(2);
  });
});
