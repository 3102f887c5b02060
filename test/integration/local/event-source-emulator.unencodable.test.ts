import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { EventSourceEmulator } from '../../../infra/local/event-source-emulator.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { Recorder } from './recorder.js';

/* A delivery the emulator cannot encode as an event record costs no neighbour its delivery. */

// No real delivery is known to break the encoding, so one header makes it throw.
vi.mock('../../../shared/contract/amazon-mq-event.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../shared/contract/amazon-mq-event.js')>();
  return {
    ...original,
    encodeHeaders: (headers: Record<string, unknown>) => {
      if ('x-unencodable' in headers) throw new Error('cannot encode this one');
      return original.encodeHeaders(headers);
    },
  };
});

const rabbit = createRabbitFixture('esm-unencodable');
const provider = rabbit.provider();
const emulators: EventSourceEmulator[] = [];

afterEach(async () => {
  for (const emulator of emulators.splice(0)) await emulator.stop();
});

afterAll(async () => {
  await rabbit.cleanup();
});

describe('EventSourceEmulator and a delivery it cannot encode', () => {
  it('rejects that delivery alone, so its dead-letter route keeps it, and delivers its neighbours once', async () => {
    const deadLetters = rabbit.name('unencodable-dlq');
    await rabbit.declareQueue(deadLetters, { durable: true });
    const queue = rabbit.name('unencodable');
    await rabbit.declareQueue(queue, { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetters } });
    await rabbit.sendToQueue(queue, ['before']);
    await rabbit.sendToQueue(queue, ['poison'], { headers: { 'x-unencodable': 1 } });
    await rabbit.sendToQueue(queue, ['after']);
    const logger = new CapturingLogger();
    const recorder = new Recorder();
    const source = new EventSourceEmulator({ connection: provider, queue, batchSize: 10, maximumBatchingWindowMs: 300, handler: recorder.handler, logger });
    emulators.push(source);

    await source.start();
    const [dead] = await rabbit.collect(deadLetters, 1);
    await recorder.until((r) => r.messageCount === 2, 'the two neighbours');

    expect(dead?.content.toString()).toBe('poison');
    expect(recorder.batches.flatMap((b) => b.bodies)).toEqual(['before', 'after']);
    expect(recorder.batches.flatMap((b) => b.redelivered)).toEqual([false, false]);
    expect(source.stats).toMatchObject({ dropped: 1, resubscriptions: 0, failures: 0, requeued: 0 });
    expect(logger.entries.some((entry) => entry.message.includes('rejected alone'))).toBe(true);
  });
});
