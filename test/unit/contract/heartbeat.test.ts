import { describe, expect, it } from 'vitest';
import { normalizeAmazonMqEvent } from '../../../shared/contract/amazon-mq-event.js';
import { ContractError } from '../../../shared/contract/contract-error.js';
import { buildHeartbeat, formatOffsetDateTime, parseHeartbeat, parseOffsetDateTime } from '../../../shared/contract/heartbeat.js';
import { DEFAULT_WIRE_NAMES } from '../../../shared/contract/wire-names.js';
import { HEARTBEAT_QUEUE, loadFixture } from './fixtures/load.js';

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

const BODY = { id: 'instance-1', type: 'extract-worker', heartBeatDate: '2024-08-02T09:45:10.662619355Z' };

describe('parseHeartbeat', () => {
  it('reads the real-shaped heartbeat of the event, nanoseconds truncated to the millisecond', () => {
    const message = normalizeAmazonMqEvent(loadFixture('amazon-mq-event.json')).messages.find((m) => m.queue === HEARTBEAT_QUEUE);
    expect(parseHeartbeat(message?.headers ?? {}, message?.body ?? Buffer.alloc(0))).toEqual({
      ok: true,
      value: {
        instanceId: '3f1c8a52-0b7e-4c7e-9d1a-7d3f3a1e2b10',
        workerType: 'extract-worker',
        reportedAt: new Date('2024-08-02T09:45:10.662Z'),
        tenant: 'project1',
      },
    });
  });

  it('does not need a tenant: liveness is global', () => {
    const parsed = parseHeartbeat({}, json(BODY));
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && parsed.value).not.toHaveProperty('tenant');
  });

  it('keeps the worker type as sent (not lower-cased) and trims it', () => {
    const parsed = parseHeartbeat({}, json({ ...BODY, type: ' Extract-Worker ' }));
    expect(parsed.ok && parsed.value.workerType).toBe('Extract-Worker');
  });

  it('takes a date without offset as UTC', () => {
    const parsed = parseHeartbeat({}, json({ ...BODY, heartBeatDate: '2024-08-02T09:45:10.5' }));
    expect(parsed.ok && parsed.value.reportedAt).toEqual(new Date('2024-08-02T09:45:10.500Z'));
  });

  it.each([
    ['a body that is not JSON', Buffer.from('alive'), /^body is not JSON/],
    ['a JSON string', json('alive'), /^body: expected object, got string$/],
    ['no id', json({ type: BODY.type, heartBeatDate: BODY.heartBeatDate }), /^id: is required$/],
    ['an empty id', json({ ...BODY, id: '' }), /^id: /],
    ['a blank type', json({ ...BODY, type: '   ' }), /^type: /],
    ['a numeric type', json({ ...BODY, type: 12 }), /^type: expected string, got number$/],
    ['a type over 128 characters', json({ ...BODY, type: 'w'.repeat(129) }), /^type: /],
    ['an id over 255 characters', json({ ...BODY, id: 'i'.repeat(256) }), /^id: /],
    ['no date', json({ id: BODY.id, type: BODY.type }), /^heartBeatDate: is required$/],
    ['an epoch number as date', json({ ...BODY, heartBeatDate: 1722591910662 }), /^heartBeatDate: expected string, got number$/],
    [
      'a Java medium date',
      json({ ...BODY, heartBeatDate: 'Aug 2, 2024, 9:45:10 AM' }),
      /^heartBeatDate: "Aug 2, 2024, 9:45:10 AM" is not an ISO-8601 date-time$/,
    ],
    ['an impossible date', json({ ...BODY, heartBeatDate: '2024-02-30T09:45:10Z' }), /^heartBeatDate: .* is not an ISO-8601 date-time$/],
  ])('refuses %s', (_label, body, reason) => {
    const parsed = parseHeartbeat({ 'regards.tenant': 'project1' }, body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });

  it('accepts a tenant header that arrives as a number, as its text', () => {
    const parsed = parseHeartbeat({ 'regards.tenant': 12 }, json(BODY));
    expect(parsed.ok && parsed.value.tenant).toBe('12');
  });
});

describe('buildHeartbeat', () => {
  const reportedAt = new Date('2024-08-02T09:45:10.662Z');

  it('writes the REGARDS body with a microsecond UTC date', () => {
    const message = buildHeartbeat(
      { exchange: DEFAULT_WIRE_NAMES.heartbeatExchange },
      { instanceId: 'i-1', workerType: 'extract-worker', reportedAt, tenant: 'project1' },
    );
    expect(message.exchange).toBe('regards.worker.manager.heartbeat');
    expect(message.headers).toEqual({ 'regards.tenant': 'project1' });
    expect(Buffer.from(message.body).toString('utf8')).toBe('{"id":"i-1","type":"extract-worker","heartBeatDate":"2024-08-02T09:45:10.662000Z"}');
    expect(message.properties).toMatchObject({ contentType: 'application/json', persistent: false });
  });

  it('round-trips through parseHeartbeat, with and without tenant', () => {
    for (const heartbeat of [
      { instanceId: 'i-1', workerType: 'extract-worker', reportedAt },
      { instanceId: 'i-2', workerType: 'sip-worker', reportedAt: new Date(0), tenant: 'project2' },
    ]) {
      const message = buildHeartbeat({ exchange: 'hb', routingKey: heartbeat.workerType, appId: 'w' }, heartbeat);
      expect(message.routingKey).toBe(heartbeat.workerType);
      expect(parseHeartbeat(message.headers, message.body)).toEqual({ ok: true, value: heartbeat });
    }
  });

  it.each([
    ['an empty instance id', { instanceId: '', workerType: 'w', reportedAt }],
    ['an over-long worker type', { instanceId: 'i', workerType: 'w'.repeat(129), reportedAt }],
    ['an invalid date', { instanceId: 'i', workerType: 'w', reportedAt: new Date(Number.NaN) }],
    ['a blank tenant', { instanceId: 'i', workerType: 'w', reportedAt, tenant: ' ' }],
  ])('refuses %s', (_label, heartbeat) => {
    expect(() => buildHeartbeat({ exchange: 'hb' }, heartbeat)).toThrow(ContractError);
  });
});

describe('OffsetDateTime on the wire', () => {
  it.each([
    ['2024-08-02T09:45:10.662619355Z', '2024-08-02T09:45:10.662Z'],
    ['2024-08-02T09:45:10.662619Z', '2024-08-02T09:45:10.662Z'],
    ['2024-08-02T09:45:10.6Z', '2024-08-02T09:45:10.600Z'],
    ['2024-08-02T09:45:10Z', '2024-08-02T09:45:10.000Z'],
    ['2024-08-02T09:45Z', '2024-08-02T09:45:00.000Z'],
    ['2024-08-02T11:45:10.662+02:00', '2024-08-02T09:45:10.662Z'],
    ['2024-08-02T00:15:00-05:30', '2024-08-02T05:45:00.000Z'],
    ['2024-08-02T09:45:10+00:00:30', '2024-08-02T09:44:40.000Z'],
    ['2024-08-02T09:45:10.662619355', '2024-08-02T09:45:10.662Z'],
    ['2024-02-29T23:59:59.999z', '2024-02-29T23:59:59.999Z'],
    ['0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z'],
  ])('parses %s', (text, iso) => {
    expect(parseOffsetDateTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '2024-08-02',
    '2024-08-02 09:45:10Z',
    '2024-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-08-02T24:00:00Z',
    '2024-08-02T09:60:00Z',
    '2024-08-02T09:45:60Z',
    '2024-08-02T09:45:10.1234567890Z',
    '2024-08-02T09:45:10+19:00',
    '2024-08-02T09:45:10+02:60',
    '2024-08-02T09:45:10+0200',
    'Jan 1, 1970, 12:33:41 AM',
    '',
  ])('refuses %j', (text) => {
    expect(parseOffsetDateTime(text)).toBeUndefined();
  });

  it('writes UTC with microseconds and Z', () => {
    expect(formatOffsetDateTime(new Date('2024-08-02T11:45:10.662+02:00'))).toBe('2024-08-02T09:45:10.662000Z');
    expect(formatOffsetDateTime(new Date(0))).toBe('1970-01-01T00:00:00.000000Z');
  });

  it('reads back what it writes', () => {
    for (const ms of [0, 1, 1722591910662, 4102444799999]) {
      const date = new Date(ms);
      expect(parseOffsetDateTime(formatOffsetDateTime(date))).toEqual(date);
    }
  });

  it('refuses to write an invalid date', () => {
    expect(() => formatOffsetDateTime(new Date('nope'))).toThrow(ContractError);
  });
});
