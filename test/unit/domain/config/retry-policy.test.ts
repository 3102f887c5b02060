import { describe, expect, it } from 'vitest';
import { decideRetry, nextRetryDelayMs, shouldRetry } from '../../../../shared/domain/config/retry-policy.js';
import { DEFAULT_RETRY_POLICY, RetryPolicySchema, type RetryPolicy } from '../../../../shared/domain/config/tenant-config.js';

const policy = (input: Partial<RetryPolicy>): RetryPolicy => RetryPolicySchema.parse(input);
const middle = () => 0.5;

describe('shouldRetry', () => {
  it('never retries with the default policy (maxAttempts 1, the REGARDS behaviour)', () => {
    expect(shouldRetry(DEFAULT_RETRY_POLICY, 'ERROR', 1)).toBe(false);
    expect(shouldRetry(DEFAULT_RETRY_POLICY, 'TIMEOUT', 1)).toBe(false);
  });

  it('retries until maxAttempts dispatches were made', () => {
    const p = policy({ maxAttempts: 3 });
    expect(shouldRetry(p, 'ERROR', 1)).toBe(true);
    expect(shouldRetry(p, 'DEAD_LETTER', 2)).toBe(true);
    expect(shouldRetry(p, 'TIMEOUT', 3)).toBe(false);
  });

  it('never retries INVALID_CONTENT', () => {
    expect(shouldRetry(policy({ maxAttempts: 10 }), 'INVALID_CONTENT', 1)).toBe(false);
  });

  it('retries only the failure kinds listed in retryOn', () => {
    const p = policy({ maxAttempts: 3, retryOn: ['TIMEOUT'] });
    expect(shouldRetry(p, 'TIMEOUT', 1)).toBe(true);
    expect(shouldRetry(p, 'ERROR', 1)).toBe(false);
    expect(shouldRetry(p, 'DEAD_LETTER', 1)).toBe(false);
  });
});

describe('nextRetryDelayMs', () => {
  it('grows exponentially from the initial delay (random 0.5 = no jitter)', () => {
    const p = policy({ initialDelaySeconds: 30, multiplier: 2 });
    expect([1, 2, 3, 4].map((n) => nextRetryDelayMs(p, n, middle))).toEqual([30_000, 60_000, 120_000, 240_000]);
  });

  it('is capped at maxDelaySeconds', () => {
    const p = policy({ initialDelaySeconds: 30, multiplier: 2, maxDelaySeconds: 100 });
    expect(nextRetryDelayMs(p, 3, middle)).toBe(100_000);
    expect(nextRetryDelayMs(p, 50, middle)).toBe(100_000);
    // Far past any float range: the cap still holds and nothing becomes NaN.
    expect(nextRetryDelayMs(p, 5000, middle)).toBe(100_000);
  });

  it('never decreases from one attempt to the next for a fixed random', () => {
    for (const r of [0, 0.3, 0.5, 0.999]) {
      const delays = Array.from({ length: 25 }, (_, i) => nextRetryDelayMs(DEFAULT_RETRY_POLICY, i + 1, () => r));
      for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] ?? Infinity);
      expect(Math.max(...delays)).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelaySeconds * 1000);
    }
  });

  it('moves the delay by at most ± jitter of itself', () => {
    const p = policy({ initialDelaySeconds: 100, multiplier: 2, jitter: 0.2 });
    expect(nextRetryDelayMs(p, 1, () => 0)).toBe(80_000);
    expect(nextRetryDelayMs(p, 1, () => 1)).toBe(120_000);
    expect(nextRetryDelayMs(p, 2, () => 0.25)).toBe(180_000);
    for (let i = 0; i <= 100; i++) {
      const delay = nextRetryDelayMs(p, 2, () => i / 100);
      expect(delay).toBeGreaterThanOrEqual(160_000);
      expect(delay).toBeLessThanOrEqual(240_000);
    }
  });

  it('keeps the cap a hard maximum even with jitter', () => {
    const p = policy({ initialDelaySeconds: 10, maxDelaySeconds: 10, jitter: 0.5 });
    expect(nextRetryDelayMs(p, 1, () => 1)).toBe(10_000);
    expect(nextRetryDelayMs(p, 1, () => 0)).toBe(5_000);
  });

  it('ignores the random source when jitter is 0, and is constant with multiplier 1', () => {
    const p = policy({ initialDelaySeconds: 7, multiplier: 1, jitter: 0 });
    expect([1, 2, 9].map((n) => nextRetryDelayMs(p, n, () => 0.9))).toEqual([7_000, 7_000, 7_000]);
  });

  it('refuses an attempt number below 1 or not an integer', () => {
    expect(() => nextRetryDelayMs(DEFAULT_RETRY_POLICY, 0, middle)).toThrow(RangeError);
    expect(() => nextRetryDelayMs(DEFAULT_RETRY_POLICY, 1.5, middle)).toThrow(RangeError);
  });
});

describe('decideRetry', () => {
  it('gives the delay when a retry is due and the reason when not', () => {
    const p = policy({ maxAttempts: 2, initialDelaySeconds: 5 });
    expect(decideRetry(p, 'ERROR', 1, middle)).toEqual({ retry: true, delayMs: 5_000 });
    expect(decideRetry(p, 'ERROR', 2, middle)).toEqual({ retry: false, reason: 'attempt 2 of 2 failed: no attempt left' });
    expect(decideRetry(p, 'INVALID_CONTENT', 1, middle)).toMatchObject({ retry: false });
    expect(decideRetry(policy({ maxAttempts: 2, retryOn: [] }), 'TIMEOUT', 1, middle)).toMatchObject({
      retry: false,
      reason: expect.stringContaining('TIMEOUT'),
    });
  });
});
