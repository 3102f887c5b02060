import { afterAll, describe, expect, it } from 'vitest';
import { AmqpQueueDepths } from '../../../shared/adapters/rabbitmq/amqp-queue-depths.js';
import { sweep } from '../../../shared/application/use-cases/sweep.js';
import { ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { bringAlive, configure, memoryWorld, storedRequest, submitRequests } from '../../support/use-case-fixtures.js';

const rabbit = createRabbitFixture('queue-depths');
const depths = new AmqpQueueDepths(rabbit.provider());

afterAll(async () => {
  await rabbit.cleanup();
});

describe('AmqpQueueDepths', () => {
  it('counts the ready messages of each queue in one call, and leaves out a queue the broker does not know', async () => {
    const busy = rabbit.name('busy');
    const idle = rabbit.name('idle');
    await rabbit.declareQueue(busy);
    await rabbit.declareQueue(idle);
    await rabbit.sendToQueue(busy, ['1', '2', '3']);

    // The missing queue sits between two known ones: its 404 closes the channel, the next gets a new one.
    const counts = await depths.messageCounts([busy, rabbit.name('missing'), idle, busy]);
    expect(Object.fromEntries(counts)).toEqual({ [busy]: 3, [idle]: 0 });
    expect(await rabbit.queueExists(rabbit.name('missing'))).toBe(false);
    // Passive: nothing consumed.
    expect((await rabbit.queueState(busy)).messageCount).toBe(3);
  });

  it("lets the sweep push a time-to-start while the worker's queue holds messages, and expire it once the queue is empty", async () => {
    const settings = ManagerSettingsSchema.parse({ names: rabbit.names });
    const world = memoryWorld(settings);
    await configure(world, 'tenant-a', { workers: [{ workerType: 'extract', contentTypeInputs: ['raw'] }] });
    await bringAlive(world, 'extract');
    await submitRequests(world, 'tenant-a', ['r1'], 'raw');
    const queue = workerRequestName(rabbit.names, 'extract');
    await rabbit.declareQueue(queue);
    await rabbit.sendToQueue(queue, ['ahead-1', 'ahead-2']);

    world.clock.advance(3_600_000);
    await bringAlive(world, 'extract');
    await sweep({ ...world, queueDepths: depths });
    expect((await storedRequest(world, 'tenant-a', 'r1'))?.history.at(-1)?.messages[0]).toContain(`2 messages wait in ${queue}`);

    await rabbit.purgeQueue(queue);
    world.clock.advance(3_600_000);
    await bringAlive(world, 'extract');
    await sweep({ ...world, queueDepths: depths });
    expect((await storedRequest(world, 'tenant-a', 'r1'))?.error).toContain(`its worker queue ${queue} is empty`);
  });
});
