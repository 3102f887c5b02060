import { afterAll, describe, expect, it } from 'vitest';
import { queueDepthReader } from '../../../functions/sweep/metrics.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';

const rabbit = createRabbitFixture('sweep-metrics');
afterAll(() => rabbit.cleanup());

describe('sweep metrics against RabbitMQ', () => {
  it('reads a dead-letter queue depth with checkQueue, and a missing queue fails that read only, not the connection', async () => {
    const provider = rabbit.provider();
    const depth = queueDepthReader(() => provider.get());
    const queue = rabbit.name('dlq');
    await rabbit.declareQueue(queue);
    await rabbit.sendToQueue(queue, ['a', 'b', 'c']);
    expect(await depth(queue)).toBe(3);
    await expect(depth(rabbit.name('missing'))).rejects.toThrow(/404|NOT_FOUND/);
    expect(await depth(queue)).toBe(3);
  });
});
