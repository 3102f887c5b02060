import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmfMetrics } from '../../../shared/adapters/metrics/emf-metrics.js';

interface EmfDocument {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** What the metrics write to stdout, one JSON document a line. */
function captureStdout() {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line.length > 0),
    );
    return true;
  });
  return { documents: () => lines.map((line) => JSON.parse(line) as EmfDocument), restore: () => spy.mockRestore() };
}

describe('EmfMetrics', () => {
  let stdout: ReturnType<typeof captureStdout>;

  beforeEach(() => {
    stdout = captureStdout();
  });

  afterEach(() => {
    stdout.restore();
  });

  it('writes nothing until flushed, then one EMF document per set of dimension values, counts summed, under the service dimension', () => {
    const metrics = EmfMetrics.create('WorkerManager-dev-Stateless');
    metrics.count('requestsReceived', {}, 3);
    metrics.count('requestsReceived', {}, 2);
    metrics.count('answers', { State: 'GRANTED' });
    metrics.count('answers', { State: 'GRANTED' });
    metrics.count('answers', { State: 'SKIPPED' });
    metrics.observe('dispatchLatency', {}, 12);
    metrics.observe('dispatchLatency', {}, 30);
    metrics.gauge('oldestWaitingAge', {}, 10);
    metrics.gauge('oldestWaitingAge', {}, 7);
    expect(stdout.documents()).toEqual([]);

    metrics.flush();
    const documents = stdout.documents();
    expect(documents).toHaveLength(3);
    for (const document of documents) {
      expect(document._aws.CloudWatchMetrics).toHaveLength(1);
      expect(document._aws.CloudWatchMetrics[0]?.Namespace).toBe('WorkerManager');
      expect(document['service']).toBe('WorkerManager-dev-Stateless');
      expect(typeof document._aws.Timestamp).toBe('number');
    }
    const plain = documents.find((document) => document['State'] === undefined);
    expect(plain?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(plain?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: 'RequestsReceived', Unit: 'Count' },
      { Name: 'DispatchLatency', Unit: 'Milliseconds' },
      { Name: 'OldestWaitingRequestAge', Unit: 'Seconds' },
    ]);
    expect(plain).toMatchObject({ RequestsReceived: 5, DispatchLatency: [12, 30], OldestWaitingRequestAge: 7 });
    const granted = documents.find((document) => document['State'] === 'GRANTED');
    expect(granted?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'State']]);
    expect(granted).toMatchObject({ Answers: 2 });
    expect(documents.find((document) => document['State'] === 'SKIPPED')).toMatchObject({ Answers: 1 });
  });

  it('starts afresh after a flush, and writes nothing at all for an invocation that recorded nothing', () => {
    const metrics = EmfMetrics.create('svc');
    metrics.count('answers', { State: 'ERROR' });
    metrics.flush();
    metrics.flush();
    const documents = stdout.documents();
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ Answers: 1, State: 'ERROR' });
  });

  it('splits a histogram of more than 99 values over several documents, each with its dimensions', () => {
    const metrics = EmfMetrics.create('svc');
    for (let index = 0; index < 150; index += 1) metrics.observe('batchDuration', { Function: 'sweep' }, index);
    metrics.flush();
    const documents = stdout.documents();
    expect(documents).toHaveLength(2);
    for (const document of documents) {
      expect(document['Function']).toBe('sweep');
      expect(document._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'Function']]);
    }
    const values = documents.flatMap((document) => document['BatchDuration'] as number[]);
    expect(values).toEqual(Array.from({ length: 150 }, (_, index) => index));
  });
});
