import { describe, expect, it } from 'vitest';
import {
  MAX_HISTORY_ENTRIES,
  appendHistory,
  fnv1a64,
  messageFingerprint,
  numericRequestId,
  type HistoryEntry,
} from '../../../../shared/domain/request/request.js';

const entry = (n: number): HistoryEntry => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  event: `e${n}`,
  status: 'DISPATCHED',
  stepNumber: null,
  workerType: 'w',
  attempt: n,
  messages: [],
});

describe('request helpers', () => {
  it('keeps the newest history entries within the bound', () => {
    let history: HistoryEntry[] = [];
    for (let n = 0; n < MAX_HISTORY_ENTRIES + 7; n += 1) history = appendHistory(history, entry(n));
    expect(history).toHaveLength(MAX_HISTORY_ENTRIES);
    expect(history[0]?.event).toBe('e7');
    expect(history.at(-1)?.event).toBe(`e${MAX_HISTORY_ENTRIES + 6}`);
  });

  it('derives a stable, JSON-safe numeric id per tenant and request id', () => {
    const id = numericRequestId('tenant-a', 'r-1');
    expect(Number.isSafeInteger(id)).toBe(true);
    expect(numericRequestId('tenant-a', 'r-1')).toBe(id);
    expect(numericRequestId('tenant-b', 'r-1')).not.toBe(id);
  });

  it('computes exactly the FNV-1a 64 of the reference BigInt implementation (stored ids and fingerprints stay valid)', () => {
    const reference = (parts: readonly (string | Uint8Array)[]): bigint => {
      const mask = (1n << 64n) - 1n;
      let hash = 0xcbf29ce484222325n;
      for (const part of parts) {
        const bytes = typeof part === 'string' ? new TextEncoder().encode(part) : part;
        for (const byte of [...bytes, 0xff]) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & mask;
      }
      return hash;
    };
    // A one-character input, then 200 random mixes of text and bytes.
    expect(reference(['a'])).toBe(fnv1a64(['a']));
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let round = 0; round < 200; round += 1) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
        random() < 0.5
          ? 'é€😀'.repeat(Math.floor(random() * 5)) + String(random())
          : Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)),
      );
      expect(fnv1a64(parts)).toBe(reference(parts));
    }
    expect(numericRequestId('tenant', 'request-1')).toBe(Number(reference(['tenant', 'request-1']) >> 11n));
  });

  it('hashes part boundaries, so moving a character between parts changes the hash', () => {
    expect(fnv1a64(['ab', 'c'])).not.toBe(fnv1a64(['a', 'bc']));
  });

  it('fingerprints a message by its headers and body', () => {
    const body = new TextEncoder().encode('{"x":1}');
    const print = messageFingerprint(['t', 'r', 'o', 's', 'c'], body);
    expect(print).toMatch(/^[0-9a-f]{16}$/);
    expect(messageFingerprint(['t', 'r', 'o', 's', 'c'], body)).toBe(print);
    expect(messageFingerprint(['t', 'r', 'o', 's', 'c'], new TextEncoder().encode('{"x":2}'))).not.toBe(print);
  });
});
