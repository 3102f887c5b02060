import { afterAll, describe, expect, it } from 'vitest';
import { deadLetterQueues, recordSweepGauges, WaitingObserver } from '../../../functions/sweep/metrics.js';
import { MemoryMetrics } from '../../../shared/adapters/memory/memory-metrics.js';
import { AmqpQueueDepths } from '../../../shared/adapters/rabbitmq/amqp-queue-depths.js';
import { ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';

const rabbit = createRabbitFixture('sweep-metrics');
afterAll(() => rabbit.cleanup());

describe('sweep metrics against RabbitMQ', () => {
  it('reads the dead-letter depths with the adapter of the deadline check, and skips (warns about) a dead-letter queue that is missing', async () => {
    const settings = ManagerSettingsSchema.parse({ names: rabbit.names });
    const [first, missing, ...others] = deadLetterQueues(settings);
    if (first === undefined || missing === undefined) throw new Error('the topology has fewer than two dead-letter queues');
    for (const queue of [first, ...others]) await rabbit.declareQueue(queue);
    await rabbit.sendToQueue(first, ['a', 'b', 'c']);
    const metrics = new MemoryMetrics();
    const logger = new CapturingLogger();

    const gauges = { observer: new WaitingObserver(), queueDepths: new AmqpQueueDepths(rabbit.provider()) };
    await recordSweepGauges({ settings, logger, metrics, gauges }, new Date());

    const depths = Object.fromEntries(
      metrics.recorded.filter((entry) => entry.metric === 'deadLetterMessages').map((entry) => [entry.dimensions['Queue'], entry.value]),
    );
    expect(depths).toEqual(Object.fromEntries([first, ...others].map((queue) => [queue, queue === first ? 3 : 0])));
    expect(logger.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.fields['queue'])).toEqual([missing]);
    expect(await rabbit.queueExists(missing)).toBe(false);
  });
});
