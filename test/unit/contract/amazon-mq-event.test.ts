import { describe, expect, it } from 'vitest';
import {
  InvalidEventError,
  decodeHeaders,
  encodeHeaders,
  formatJavaMediumDate,
  normalizeAmazonMqEvent,
  parseJavaMediumDate,
} from '../../../shared/contract/amazon-mq-event.js';
import { DLQ_QUEUE, HEARTBEAT_QUEUE, REQUEST_QUEUE, VHOST, deleteRaw, loadEvent, loadFixture, messageOf, setRaw } from './fixtures/load.js';

describe('normalizeAmazonMqEvent', () => {
  it('returns every readable message of every queue with its queue and vhost', () => {
    const batch = normalizeAmazonMqEvent(loadFixture('amazon-mq-event.json'));
    expect(batch.messages.map((m) => m.queue)).toEqual([REQUEST_QUEUE, REQUEST_QUEUE, HEARTBEAT_QUEUE, DLQ_QUEUE]);
    expect(new Set(batch.messages.map((m) => m.vhost))).toEqual(new Set([VHOST]));
  });

  it('reports the malformed message in unreadable with its position and reason, and keeps the others', () => {
    const batch = normalizeAmazonMqEvent(loadFixture('amazon-mq-event.json'));
    expect(batch.unreadable).toHaveLength(1);
    const [bad] = batch.unreadable;
    expect(bad).toMatchObject({ queue: REQUEST_QUEUE, vhost: VHOST, index: 2 });
    expect(bad?.reason).toContain('data is not valid base64');
    expect(bad?.raw).toMatchObject({ data: 'not base64!!' });
  });

  it('decodes {bytes} headers as UTF-8, including signed Java bytes, and keeps numeric headers as numbers', () => {
    const [first, second] = normalizeAmazonMqEvent(loadFixture('amazon-mq-event.json')).messages;
    expect(first?.headers).toEqual({
      'regards.tenant': 'project1',
      'regards.request.id': 'req-001',
      'regards.request.owner': 'Sébastien',
      'regards.request.session': 'session-2024-08-02',
      'regards.request.content_type': 'to-extract',
    });
    expect(second?.headers['regards.request.id']).toBe(42);
  });

  it('decodes nested arrays and tables of x-death', () => {
    const dead = normalizeAmazonMqEvent(loadFixture('amazon-mq-event.json')).messages[3];
    expect(dead?.headers['x-death']).toEqual([
      {
        count: 1,
        exchange: 'regards.worker.extract-worker.request',
        queue: 'regards.worker.extract-worker.request',
        reason: 'rejected',
        'routing-keys': ['#'],
        time: 1722591910,
      },
    ]);
    expect(dead?.headers['wm.dispatch.attempt']).toBe(3);
  });

  it('decodes the body from Base64 and copies the non-null properties', () => {
    const [first, second] = normalizeAmazonMqEvent(loadFixture('amazon-mq-event.json')).messages;
    expect(JSON.parse(first?.body.toString('utf8') ?? '')).toEqual({ productId: 'S2A_MSIL1C_20240802', files: ['a.tif'] });
    expect(first?.properties).toEqual({
      contentType: 'application/json',
      deliveryMode: 2,
      priority: 0,
      timestamp: new Date('2024-08-02T09:45:10Z'),
      appId: 'REGARDS',
    });
    expect(first?.redelivered).toBe(false);
    expect(second?.redelivered).toBe(true);
    expect(second?.properties.timestamp).toEqual(new Date('2023-12-31T23:59:59Z'));
    expect(second?.properties).not.toHaveProperty('priority');
  });

  it('keeps an empty body as an empty buffer', () => {
    const event = loadEvent();
    messageOf(event, HEARTBEAT_QUEUE, 0).data = '';
    const batch = normalizeAmazonMqEvent(event);
    expect(batch.messages.find((m) => m.queue === HEARTBEAT_QUEUE)?.body.length).toBe(0);
  });

  it('reports a message whose timestamp is not a Java medium date', () => {
    const event = loadEvent();
    messageOf(event, DLQ_QUEUE, 0).basicProperties.timestamp = '2024-08-02T09:45:10Z';
    const batch = normalizeAmazonMqEvent(event);
    expect(batch.unreadable.map((u) => [u.queue, u.reason])).toContainEqual([DLQ_QUEUE, 'timestamp "2024-08-02T09:45:10Z" is not a date']);
    expect(batch.messages.some((m) => m.queue === DLQ_QUEUE)).toBe(false);
  });

  it.each([
    ['redelivered missing', (m: object) => deleteRaw(m, 'redelivered')],
    ['redelivered of the wrong type', (m: object) => setRaw(m, 'redelivered', 'no')],
    ['basicProperties missing', (m: object) => deleteRaw(m, 'basicProperties')],
    ['a message that is not an object', (m: object) => setRaw(m, 'data', 12)],
  ])('reports a message with %s without failing the batch', (_label, breakIt) => {
    const event = loadEvent();
    breakIt(messageOf(event, HEARTBEAT_QUEUE, 0));
    const batch = normalizeAmazonMqEvent(event);
    expect(batch.unreadable.map((u) => u.queue)).toContain(HEARTBEAT_QUEUE);
    expect(batch.messages.map((m) => m.queue)).toEqual([REQUEST_QUEUE, REQUEST_QUEUE, DLQ_QUEUE]);
  });

  it('reports a header with an out-of-range byte', () => {
    const event = loadEvent();
    const headers = messageOf(event, HEARTBEAT_QUEUE, 0).basicProperties.headers ?? {};
    headers['regards.tenant'] = { bytes: [300] };
    const batch = normalizeAmazonMqEvent(event);
    expect(batch.unreadable.map((u) => u.queue)).toEqual([REQUEST_QUEUE, HEARTBEAT_QUEUE]);
  });

  it('accepts a message with no headers at all', () => {
    const event = loadEvent();
    messageOf(event, HEARTBEAT_QUEUE, 0).basicProperties.headers = null;
    const heartbeat = normalizeAmazonMqEvent(event).messages.find((m) => m.queue === HEARTBEAT_QUEUE);
    expect(heartbeat?.headers).toEqual({});
  });

  it('splits the queue key on its last "::", as the vhost "/" shows', () => {
    const event = { ...loadEvent(), rmqMessagesByQueue: { 'a::b::/': [messageOf(loadEvent(), HEARTBEAT_QUEUE, 0)] } };
    const [message] = normalizeAmazonMqEvent(event).messages;
    expect([message?.queue, message?.vhost]).toEqual(['a::b', '/']);
  });

  it.each([
    ['null', null],
    ['a string', 'aws:rmq'],
    ['an SQS event', { Records: [{ eventSource: 'aws:sqs' }] }],
    ['another event source', { ...loadEvent(), eventSource: 'aws:mq' }],
    ['a missing ARN', { ...loadEvent(), eventSourceArn: '' }],
    ['a queue key without vhost', { ...loadEvent(), rmqMessagesByQueue: { 'just-a-queue': [] } }],
    ['messages that are not a list', { ...loadEvent(), rmqMessagesByQueue: { 'q::/': {} } }],
  ])('throws InvalidEventError for %s', (_label, event) => {
    expect(() => normalizeAmazonMqEvent(event)).toThrow(InvalidEventError);
  });

  it('gives the InvalidEventError its name and the zod error as cause', () => {
    try {
      normalizeAmazonMqEvent({ eventSource: 'aws:sqs' });
      expect.unreachable('the event is not an Amazon MQ event');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as Error).name).toBe('InvalidEventError');
      expect((error as Error).cause).toBeDefined();
      expect((error as Error).message).toMatch(/^not an Amazon MQ for RabbitMQ event/);
    }
  });

  it('returns an empty batch for an event with no messages', () => {
    expect(normalizeAmazonMqEvent({ ...loadEvent(), rmqMessagesByQueue: {} })).toEqual({ messages: [], unreadable: [] });
  });
});

describe('header encoding', () => {
  it('round-trips strings, numbers, booleans, null, nested arrays and tables', () => {
    const headers = {
      text: 'héllo',
      number: 7,
      flag: true,
      nothing: null,
      list: ['a', 1, ['b', { c: 'd' }]],
      table: { reason: 'rejected', 'routing-keys': ['#'], inner: { deep: 'x' } },
    };
    expect(decodeHeaders(encodeHeaders(headers))).toEqual(headers);
  });

  it('encodes strings as UTF-8 bytes as the event source does', () => {
    expect(encodeHeaders({ t: 'é' })).toEqual({ t: { bytes: [0xc3, 0xa9] } });
  });

  it('decodes signed and unsigned forms of the same byte alike', () => {
    expect(decodeHeaders({ a: { bytes: [-61, -87] }, b: { bytes: [195, 169] } })).toEqual({ a: 'é', b: 'é' });
  });

  it('encodes a Buffer as its bytes and a Date as epoch seconds', () => {
    expect(encodeHeaders({ raw: Buffer.from([1, 2]), at: new Date('1970-01-01T00:01:40.900Z') })).toEqual({
      raw: { bytes: [1, 2] },
      at: 100,
    });
  });
});

describe('Java medium dates', () => {
  it.each([
    ['Jan 1, 1970, 12:33:41 AM', '1970-01-01T00:33:41.000Z'],
    ['Jan 1, 1970, 12:00:00 PM', '1970-01-01T12:00:00.000Z'],
    ['Aug 2, 2024, 9:45:10 AM', '2024-08-02T09:45:10.000Z'],
    ['Dec 31, 2023, 11:59:59 PM', '2023-12-31T23:59:59.000Z'],
    ['Feb 29, 2024, 1:02:03\u202fPM', '2024-02-29T13:02:03.000Z'],
    ['Mar 5, 2024 1:02:03 PM', '2024-03-05T13:02:03.000Z'],
  ])('parses %s as UTC', (text, iso) => {
    expect(parseJavaMediumDate(text)?.toISOString()).toBe(iso);
  });

  it.each([
    'Feb 30, 2024, 1:00:00 AM',
    'Foo 1, 2024, 1:00:00 AM',
    'Jan 1, 2024, 13:00:00 PM',
    'Jan 1, 2024, 0:00:00 AM',
    'Jan 1, 2024, 1:60:00 AM',
    'Jan 1, 2024, 1:00:61 AM',
    '2024-01-01T00:00:00Z',
    '',
  ])('refuses %j', (text) => {
    expect(parseJavaMediumDate(text)).toBeUndefined();
  });

  it('reads a year below 100 as that year, not as 19xx', () => {
    expect(parseJavaMediumDate('Jan 1, 0050, 1:00:00 AM')?.getUTCFullYear()).toBe(50);
  });

  it('formats and parses back to the same second', () => {
    for (const iso of ['1970-01-01T00:33:41Z', '2024-08-02T12:00:00Z', '2024-08-02T00:00:00Z', '2031-11-30T23:59:59Z']) {
      const date = new Date(iso);
      expect(parseJavaMediumDate(formatJavaMediumDate(date))).toEqual(date);
    }
  });

  it('formats as the event source mapping does', () => {
    expect(formatJavaMediumDate(new Date('1970-01-01T00:33:41.999Z'))).toBe('Jan 1, 1970, 12:33:41 AM');
    expect(formatJavaMediumDate(new Date('2024-08-02T13:05:09Z'))).toBe('Aug 2, 2024, 1:05:09 PM');
  });
});
