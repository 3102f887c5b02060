import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrokerUnreachableError } from '../../../shared/amqp-kit/connection.js';
import { boundedDepthReading, QUEUE_DEPTH_TIME_LIMIT_MS } from '../../../shared/adapters/rabbitmq/amqp-queue-depths.js';

describe('a queue depth reading', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives up with BrokerUnreachableError when the broker never answers, so the sweep that asked goes on', async () => {
    vi.useFakeTimers();
    const reading = boundedDepthReading(new Promise<number>(() => undefined), 'worker.extract.request');
    const outcome = expect(reading).rejects.toThrow(BrokerUnreachableError);
    await vi.advanceTimersByTimeAsync(QUEUE_DEPTH_TIME_LIMIT_MS);
    await outcome;
  });

  it('answers as the reading does when the broker answers in time', async () => {
    await expect(boundedDepthReading(Promise.resolve(7), 'worker.extract.request')).resolves.toBe(7);
  });
});
