import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpDeadLetters, PREVIOUS_REJECTION_REASON_HEADER } from '../../../shared/adapters/rabbitmq/amqp-dead-letters.js';
import { applyTopology } from '../../../shared/amqp-kit/topology.js';
import { REJECTION_REASON_HEADER } from '../../../shared/application/services/batch-effects.js';
import { listDeadLetters, redriveDeadLetters, type DeadLetterDeps } from '../../../shared/application/use-cases/dead-letters.js';
import { managerTopology } from '../../../shared/contract/topology.js';
import { dedicatedDeadLetterQueue } from '../../../shared/contract/wire-names.js';
import { SystemClock } from '../../../shared/ports/clock.js';
import { createRabbitFixture } from '../../support/rabbitmq.js';

const rabbit = createRabbitFixture('dead-letters');
const provider = rabbit.provider();
const names = rabbit.names;
const source = names.requestQueue;
const dlq = dedicatedDeadLetterQueue(source);
const deps: DeadLetterDeps = { settings: { names }, clock: new SystemClock(), deadLetters: new AmqpDeadLetters(provider) };

afterAll(async () => {
  await rabbit.cleanup();
});

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Four dead letters in the request DLQ, oldest first: m-1 by the manager (reason header), m-2 and
 * m-3 rejected by a consumer, m-4 past the delivery limit. m-3 has no message-id, only the request id header.
 */
async function deadLetterFour(): Promise<void> {
  const connection = await amqp.connect(rabbit.url);
  try {
    const channel = await connection.createConfirmChannel();
    const publish = async (exchange: string, key: string, body: string, options: amqp.Options.Publish) => {
      channel.publish(exchange, key, Buffer.from(body), { persistent: true, contentType: 'application/json', ...options });
      await channel.waitForConfirms();
    };
    await publish(names.deadLetterExchange, dlq, '{"n":1}', {
      messageId: 'm-1',
      timestamp: Math.floor(Date.now() / 1000) - 30,
      headers: { [REJECTION_REASON_HEADER]: 'unknown tenant t9', 'regards.tenant': 't9', 'x-custom': 'kept-1' },
    });
    for (const [id, headers] of [
      ['m-2', { messageId: 'm-2' }],
      ['m-3', {}],
    ] as const) {
      await publish('', source, `{"n":"${id}"}`, { ...headers, headers: { 'regards.request.id': id, 'x-custom': `kept-${id}` } });
      const message = await channel.get(source, { noAck: false });
      if (message === false) throw new Error('nothing to reject');
      channel.nack(message, false, false);
      await until(async () => (await rabbit.queueState(dlq)).messageCount >= (id === 'm-2' ? 2 : 3), `${id} dead-lettered`);
    }
    await publish('', source, '{"n":4}', { messageId: 'm-4', headers: { 'x-custom': 'kept-4' } });
    // Requeued past the delivery limit (2): the broker dead-letters it with reason delivery_limit.
    for (let attempt = 0; attempt < 10 && (await rabbit.queueState(dlq)).messageCount < 4; attempt += 1) {
      const message = await channel.get(source, { noAck: false });
      if (message !== false) channel.nack(message, false, true);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await until(async () => (await rabbit.queueState(dlq)).messageCount === 4, 'm-4 dead-lettered');
    await channel.close();
  } finally {
    await connection.close();
  }
}

describe('dead letters over RabbitMQ', () => {
  beforeAll(async () => {
    await applyTopology(provider, managerTopology(names, { deliveryLimit: 2 }));
    await deadLetterFour();
  });

  it('lists counts and reasons, and a listing leaves every message where it was', async () => {
    const first = await listDeadLetters({ limit: 100 }, deps);
    const requests = first.find((report) => report.queue === dlq);
    expect(requests).toMatchObject({ source, exists: true, count: 4, inspected: 4 });
    expect(requests?.messages.map((message) => [message.messageId, message.reasonOrigin, message.reason])).toEqual([
      ['m-1', 'manager', 'unknown tenant t9'],
      ['m-2', 'broker', 'rejected'],
      ['m-3', 'broker', 'rejected'],
      ['m-4', 'broker', 'delivery_limit'],
    ]);
    expect(requests?.reasons).toEqual([
      { reason: 'rejected', origin: 'broker', count: 2 },
      { reason: 'unknown tenant t9', origin: 'manager', count: 1 },
      { reason: 'delivery_limit', origin: 'broker', count: 1 },
    ]);
    expect(requests?.messages[0]?.tenant).toBe('t9');
    expect(requests?.oldestAgeSeconds).toBeGreaterThanOrEqual(29);
    expect(requests?.messages[1]?.deadLetteredAt).toBeInstanceOf(Date);
    // The other dead-letter queues are there and empty.
    expect(first.filter((report) => report.queue !== dlq).map((report) => [report.exists, report.count])).toEqual([
      [true, 0],
      [true, 0],
      [true, 0],
    ]);

    // A smaller page reads only the head; the next listing still sees all four, in the same order.
    const page = await listDeadLetters({ limit: 2 }, deps);
    expect(page.find((report) => report.queue === dlq)).toMatchObject({ count: 4, inspected: 2 });
    const again = (await listDeadLetters({ limit: 100 }, deps)).find((report) => report.queue === dlq);
    expect(again?.messages.map((message) => message.messageId)).toEqual(['m-1', 'm-2', 'm-3', 'm-4']);
    expect((await rabbit.queueState(dlq)).messageCount).toBe(4);
  });

  it('redrives one by id, then one more, then the rest, to the source queue with body and headers, nothing lost or doubled', async () => {
    expect(await redriveDeadLetters({ queue: dlq, messageId: 'm-3' }, deps)).toEqual({ queue: dlq, source, moved: 1, remaining: 3 });
    // The messages read past while looking for m-3 are back in their place.
    const left = (await listDeadLetters({ limit: 100 }, deps)).find((report) => report.queue === dlq);
    expect(left?.messages.map((message) => message.messageId)).toEqual(['m-1', 'm-2', 'm-4']);
    expect(await redriveDeadLetters({ queue: dlq, messageId: 'absent' }, deps)).toMatchObject({ moved: 0, remaining: 3 });

    expect(await redriveDeadLetters({ queue: dlq, limit: 1 }, deps)).toMatchObject({ moved: 1, remaining: 2 });
    expect(await redriveDeadLetters({ queue: dlq }, deps)).toMatchObject({ moved: 2, remaining: 0 });

    const arrived = await rabbit.collect(source, 4);
    expect(arrived.map((message) => message.content.toString())).toEqual(['{"n":"m-3"}', '{"n":1}', '{"n":"m-2"}', '{"n":4}']);
    for (const message of arrived) {
      const headers = message.properties.headers ?? {};
      expect(Object.keys(headers).filter((name) => name.startsWith('x-death') || name.startsWith('x-first-death') || name.startsWith('x-last-death'))).toEqual(
        [],
      );
      expect(headers[REJECTION_REASON_HEADER]).toBeUndefined();
      expect(message.properties.contentType).toBe('application/json');
    }
    expect(arrived.map((message) => message.properties.headers?.['x-custom'])).toEqual(['kept-m-3', 'kept-1', 'kept-m-2', 'kept-4']);
    expect(arrived[1]?.properties.headers?.[PREVIOUS_REJECTION_REASON_HEADER]).toBe('unknown tenant t9');
    expect(arrived[1]?.properties.messageId).toBe('m-1');
    expect(arrived[0]?.properties.headers?.['regards.request.id']).toBe('m-3');
    expect((await rabbit.queueState(source)).messageCount).toBe(0);
    expect((await rabbit.queueState(dlq)).messageCount).toBe(0);
  });

  it('refuses a queue that is not a manager dead-letter queue, and moves nothing from an empty one', async () => {
    await expect(redriveDeadLetters({ queue: names.requestQueue }, deps)).rejects.toMatchObject({ statusCode: 404 });
    expect(await redriveDeadLetters({ queue: dedicatedDeadLetterQueue(names.workerResponse) }, deps)).toMatchObject({ moved: 0, remaining: 0 });
  });
});
