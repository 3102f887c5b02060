import { describe, expect, it } from 'vitest';
import { keyPart, RequestKeys, unescapeKeyPart } from '../../../shared/adapters/dynamodb/keys.js';
import { compareKeys, requestFromItem, requestToItem, sameValue, CorruptItemError } from '../../../shared/adapters/dynamodb/request-item.js';
import { DEFAULT_REGISTRY_CAPS, latestBeats, resolveRegistryOptions } from '../../../shared/adapters/dynamodb/worker-beats.js';
import { at, makeRequest } from '../../support/store-contract/requests.js';

describe('request item layout', () => {
  it('unescapes every key part it escaped', () => {
    for (const value of ['a#b', '%', '%23', '%25', '#%#', '%2', 'plain', '', 'é#ü%']) {
      expect(unescapeKeyPart(keyPart(value))).toBe(value);
      expect(keyPart(value)).not.toContain('#');
    }
  });

  it('puts a request in the status index always, the waiting index while waiting, the due index while it has a deadline', () => {
    const plain = requestToItem(makeRequest('t', 'r', { status: 'RUNNING', deadline: null }));
    expect(
      Object.keys(plain)
        .filter((k) => k.startsWith('gsi'))
        .sort(),
    ).toEqual(['gsi1pk', 'gsi1sk']);
    const waiting = requestToItem(makeRequest('t', 'r', { status: 'NO_WORKER_AVAILABLE', stepWorkerType: 'w', deadline: at(5) }));
    expect(
      Object.keys(waiting)
        .filter((k) => k.startsWith('gsi'))
        .sort(),
    ).toEqual(['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk']);
    expect(waiting.pk).toBe(RequestKeys.primary('t', 'r').pk);
  });

  it('sorts keys by instant whatever the ISO precision, and by UTF-8 bytes as DynamoDB does', () => {
    const coarse = requestToItem(makeRequest('t', 'r', { deadline: '2026-01-01T00:00:05Z' }));
    const fine = requestToItem(makeRequest('t', 'r', { deadline: '2026-01-01T00:00:05.001Z' }));
    expect(compareKeys(String(coarse.gsi3sk), String(fine.gsi3sk))).toBeLessThan(0);
    // JS compares UTF-16 code units, where the emoji's surrogate (0xD83D) comes first; in UTF-8 its 4 bytes come last.
    expect('\u{1F600}' < '\uFF61').toBe(true);
    expect(compareKeys('\u{1F600}', '\uFF61')).toBeGreaterThan(0);
  });

  it('reads back only schema fields and names the item when it is corrupt', () => {
    const request = makeRequest('t', 'r');
    expect(requestFromItem(requestToItem(request))).toEqual(request);
    expect(() => requestFromItem({ pk: 'T#t#R#r', status: 'NOPE' })).toThrow(CorruptItemError);
    expect(() => requestFromItem({ pk: 'T#t#R#r', status: 'NOPE' })).toThrow(/T#t#R#r/);
  });

  it('compares item values deeply, binaries by content', () => {
    expect(sameValue(new Uint8Array([1, 2]), Buffer.from([1, 2]))).toBe(true);
    expect(sameValue(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(sameValue({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue(null, {})).toBe(false);
  });
});

describe('heartbeat bookkeeping', () => {
  it('keeps the latest beat per instance and per type, and drops beats already expired', () => {
    const now = new Date('2026-01-01T00:01:00.000Z');
    const beat = (type: string, id: string, iso: string) => ({ workerType: type, instanceId: id, receivedAt: new Date(iso), reportedAt: new Date(0) });
    const latest = latestBeats(
      [
        beat('a', '1', '2026-01-01T00:00:30.000Z'),
        beat('a', '1', '2026-01-01T00:00:50.000Z'),
        beat('a', '1', '2026-01-01T00:00:40.000Z'),
        beat('a', '2', '2026-01-01T00:00:55.000Z'),
        beat('b', '1', '2026-01-01T00:00:00.000Z'),
      ],
      now,
      60_000,
    );
    expect(latest.instances.map((b) => [b.workerType, b.instanceId, b.receivedAt.toISOString()])).toEqual([
      ['a', '1', '2026-01-01T00:00:50.000Z'],
      ['a', '2', '2026-01-01T00:00:55.000Z'],
    ]);
    expect([...latest.types].map(([type, date]) => [type, date.toISOString()])).toEqual([['a', '2026-01-01T00:00:55.000Z']]);
  });

  it('defaults the refresh period to a quarter of the expiry', () => {
    expect(resolveRegistryOptions()).toEqual({ expiryMs: 60_000, refreshMs: 15_000, caps: DEFAULT_REGISTRY_CAPS });
    expect(resolveRegistryOptions({ expiryMs: 8000 })).toMatchObject({ expiryMs: 8000, refreshMs: 2000 });
  });
});
