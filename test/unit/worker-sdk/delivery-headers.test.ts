import { describe, expect, it } from 'vitest';
import { readXDeath } from '../../../shared/contract/worker-dead-letter.js';
import { decodeDeliveryHeaders } from '../../../shared/worker-sdk/delivery-headers.js';

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
});
