import { describe, expect, it } from 'vitest';
import { readXDeath } from '../../../shared/contract/worker-dead-letter.js';
import { decodeDeliveryHeaders, plainDeliveryHeaders } from '../../../shared/amqp-kit/delivery-headers.js';
import { decodeHeaders, encodeHeaders } from '../../../shared/contract/amazon-mq-event.js';

describe('decodeDeliveryHeaders', () => {
  it('turns the values amqplib hands over into the contract header shapes', () => {
    const headers = decodeDeliveryHeaders({
      'regards.tenant': 'project-a',
      'bytes.header': Buffer.from('from bytes'),
      'wm.dispatch.attempt': 3,
      big: 12n,
      flag: true,
      missing: undefined,
      'x-death': [{ reason: 'rejected', queue: 'q', count: 1, 'routing-keys': [Buffer.from('#')] }],
    });
    expect(headers).toEqual({
      'regards.tenant': 'project-a',
      'bytes.header': 'from bytes',
      'wm.dispatch.attempt': 3,
      big: 12,
      flag: true,
      'x-death': [{ reason: 'rejected', queue: 'q', count: 1, 'routing-keys': ['#'] }],
    });
    expect(readXDeath(headers)).toEqual([{ reason: 'rejected', queue: 'q', count: 1, 'routing-keys': ['#'] }]);
  });

  it('reads absent or odd header tables as no headers', () => {
    expect(decodeDeliveryHeaders(undefined)).toEqual({});
    expect(decodeDeliveryHeaders(null)).toEqual({});
    expect(decodeDeliveryHeaders(['a'])).toEqual({});
  });

  it('reads AMQP timestamps and decimals as the manager reads them through its event source', () => {
    const raw = {
      at: { '!': 'timestamp', value: 100 },
      ratio: { '!': 'decimal', value: { places: 2, digits: 125 } },
      nested: { when: { '!': 'timestamp', value: 7 } },
    };
    expect(plainDeliveryHeaders(raw)).toEqual({ at: new Date(100_000), ratio: 1.25, nested: { when: new Date(7_000) } });
    const headers = decodeDeliveryHeaders(raw);
    expect(headers).toEqual({ at: 100, ratio: 1.25, nested: { when: 7 } });
    // The worker and the manager (event source encoding, then the Lambda normalizer) agree.
    expect(decodeHeaders(encodeHeaders(plainDeliveryHeaders(raw)))).toEqual(headers);
  });
});
