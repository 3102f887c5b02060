import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterQueues } from '../../../functions/sweep/metrics.js';
import { escapeLabelValue } from '../../../shared/adapters/metrics/prometheus-registry.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { declareWorkerQueues, eventually, publishRequest, startHarness, type HostHarness } from '../../support/host-harness.js';
import { bringAlive, configure } from '../../support/use-case-fixtures.js';

/* GET /metrics on the local host: what the functions recorded, in the Prometheus text format, with no token. */

const SECRET = 'metrics-test-secret-of-at-least-thirty-two-chars';

/** The value of the one sample `name{labels}` in a Prometheus text, or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}${labels === '' ? ' ' : `{${labels}} `}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('the local host serves its metrics at GET /metrics', () => {
  let h: HostHarness;
  let url: string;

  beforeAll(async () => {
    // The sweep's schedule is on but slow: the test runs it itself.
    h = await startHarness('metrics-endpoint', { only: ['register-requests'], http: { port: 0, auth: { secret: SECRET } }, sweeper: { intervalMs: 600_000 } });
    url = h.host.adminApi?.url ?? '';
    await configure(h.services, 'tenant-a', { workers: [{ workerType: 'extract', contentTypeInputs: ['to-extract'] }] });
    await declareWorkerQueues(h, ['extract']);
    await bringAlive(h.services, 'extract');
  });

  afterAll(async () => {
    await h?.close();
  });

  const scrape = async () => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.text();
  };

  it('starts at zero, then counts a request that went through register-requests: received, GRANTED, dispatched, one batch', async () => {
    const before = await scrape();
    expect(before).toContain('# TYPE wm_requests_received_total counter');
    expect(sample(before, 'wm_requests_received_total')).toBe(0);

    await publishRequest(h, 'metered-1');
    await h.rabbit.collect(workerRequestName(h.settings.names, 'extract'), 1);
    const after = await eventually(async () => {
      const text = await scrape();
      return sample(text, 'wm_answers_total', 'state="GRANTED"') === 1 && text;
    });

    expect(sample(after, 'wm_requests_received_total')).toBe(1);
    expect(sample(after, 'wm_dispatched_total', 'worker_type="extract"')).toBe(1);
    expect(sample(after, 'wm_batch_messages_count', 'function="register-requests"')).toBe(1);
    expect(sample(after, 'wm_batch_duration_seconds_count', 'function="register-requests"')).toBe(1);
    expect(sample(after, 'wm_dispatch_latency_seconds_count')).toBe(1);
    // The DynamoDB round trips of the batch (and of the test's own arranging, on the same client).
    expect(after).toMatch(/^wm_store_calls_total\{function="local-host",operation="[A-Za-z]+"\} [1-9]\d*$/m);
  });

  it('shows the gauges the sweep reads: the depth of every dead-letter queue and the oldest waiting request', async () => {
    await h.rabbit.publish(h.settings.names.deadLetterExchange, h.settings.names.deadLetterQueue, Buffer.from('{}'));
    await h.host.sweeper?.runNow();
    const text = await eventually(async () => {
      const scraped = await scrape();
      return (sample(scraped, 'wm_dead_letter_messages', `queue="${escapeLabelValue(h.settings.names.deadLetterQueue)}"`) ?? 0) >= 1 && scraped;
    });
    for (const queue of deadLetterQueues(h.settings))
      expect(sample(text, 'wm_dead_letter_messages', `queue="${escapeLabelValue(queue)}"`), queue).toBeDefined();
    expect(sample(text, 'wm_oldest_waiting_request_age_seconds')).toBe(0);
  });

  it('answers /metrics without a token, while the API still asks for one', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect((await fetch(`${url}/jobs`)).status).toBe(401);
  });
});
