import { describe, expect, it } from 'vitest';
import { recordHeartbeatsFunction } from '../../../functions/record-heartbeats/handler.js';
import { registerRequestsFunction } from '../../../functions/register-requests/handler.js';
import { REJECTION_REASON_HEADER } from '../../../shared/application/services/batch-effects.js';
import { encodeHeaders, type AmazonMqMessage } from '../../../shared/contract/amazon-mq-event.js';
import { Header } from '../../../shared/contract/headers.js';
import { dedicatedDeadLetterQueue } from '../../../shared/contract/wire-names.js';
import { configure, decodeJson, memoryWorld } from '../../support/use-case-fixtures.js';

const requestHeaders = (requestId: string) => ({
  [Header.tenant]: 'tenant-a',
  [Header.requestId]: requestId,
  [Header.owner]: 'owner',
  [Header.session]: 'session',
  [Header.contentType]: 'to-extract',
});

function record(requestId: string, changes: { data?: string; timestamp?: string; headers?: Record<string, unknown> } = {}): AmazonMqMessage {
  return {
    basicProperties: {
      contentType: 'application/json',
      headers: { ...encodeHeaders(requestHeaders(requestId)), ...(changes.headers as AmazonMqMessage['basicProperties']['headers']) },
      timestamp: changes.timestamp ?? 'Mar 1, 2026, 10:00:00 AM',
    },
    redelivered: false,
    data: changes.data ?? Buffer.from(`{"id":"${requestId}"}`).toString('base64'),
  };
}

const event = (byQueue: Record<string, unknown[]>) => ({
  eventSource: 'aws:rmq',
  eventSourceArn: 'arn:aws:mq:local',
  rmqMessagesByQueue: Object.fromEntries(Object.entries(byQueue).map(([queue, records]) => [`${queue}::/`, records])),
});

describe('an unreadable message in an Amazon MQ batch', () => {
  it('is dead-lettered alone with its reason, and every readable neighbour is answered once', async () => {
    const world = memoryWorld();
    await configure(world, 'tenant-a', { workers: [{ workerType: 'extract', contentTypeInputs: ['to-extract'] }] });
    const queue = world.settings.names.requestQueue;
    await registerRequestsFunction.withDeps(world)(
      event({
        [queue]: [
          record('ok-1'),
          record('bad-base64', { data: 'not base64!!' }),
          record('bad-timestamp', { timestamp: 'Jan 1, 10000, 12:00:00 AM' }),
          record('bad-header', { headers: { 'x-odd': { bytes: [300] } } }),
          { not: 'a message' },
          record('ok-2'),
        ],
      }),
    );

    const answers = world.bus.to(world.settings.names.responseExchange).map((message) => decodeJson(message.body) as Record<string, unknown>);
    expect(answers.map((answer) => [answer['requestId'], answer['state']])).toEqual([
      ['ok-1', 'DELAYED'],
      ['ok-2', 'DELAYED'],
    ]);
    const dead = world.bus.to(world.settings.names.deadLetterExchange);
    expect(dead.map((message) => message.routingKey)).toEqual(Array(4).fill(dedicatedDeadLetterQueue(queue)));
    const [base64, timestamp, header, shapeless] = dead;
    expect(base64?.headers[Header.requestId]).toBe('bad-base64');
    expect(Buffer.from(base64?.body ?? []).toString()).toBe('not base64!!');
    expect(base64?.headers[REJECTION_REASON_HEADER]).toMatch(/data is not valid base64.*the body is that text as received/s);
    expect(timestamp?.headers[REJECTION_REASON_HEADER]).toContain('timestamp "Jan 1, 10000, 12:00:00 AM" is not a date');
    expect(Buffer.from(timestamp?.body ?? []).toString()).toBe('{"id":"bad-timestamp"}');
    expect(timestamp?.properties?.contentType).toBe('application/json');
    expect(header?.headers).toMatchObject({ [Header.requestId]: 'bad-header', [Header.tenant]: 'tenant-a' });
    expect(header?.headers).not.toHaveProperty('x-odd');
    expect(header?.headers[REJECTION_REASON_HEADER]).toContain('headers');
    expect(shapeless?.headers[REJECTION_REASON_HEADER]).toContain('the record has no data: the body is lost');
    expect((await world.requests.getAll('tenant-a', ['ok-1', 'ok-2', 'bad-timestamp'])).size).toBe(2);
  });

  it('from the heartbeat queue, which has no dead-letter route, is logged and dropped', async () => {
    const world = memoryWorld();
    await recordHeartbeatsFunction.withDeps(world)(event({ [world.settings.names.heartbeatQueue]: [{ data: 'not base64!!' }] }));
    expect(world.bus.published).toEqual([]);
    expect(world.logger.entries).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'unreadable message dropped: its queue has no dead-letter route' }),
    );
  });

  it('from the worker response queue goes to that queue’s own dead-letter queue', async () => {
    const world = memoryWorld();
    const queue = world.settings.names.workerResponse;
    await registerRequestsFunction.withDeps(world)(event({ [queue]: [record('r-1', { timestamp: 'soon' })] }));
    expect(world.bus.to(world.settings.names.deadLetterExchange).map((message) => message.routingKey)).toEqual([dedicatedDeadLetterQueue(queue)]);
  });
});
