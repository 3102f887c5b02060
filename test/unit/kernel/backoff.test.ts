import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, retry, sleep, type BackoffPolicy } from '../../../shared/kernel/backoff.js';

const POLICY: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0.5 };

describe('backoffDelay', () => {
  it('grows by the factor from the initial delay and stops at the cap', () => {
    const noJitter = { ...POLICY, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((retryNumber) => backoffDelay(retryNumber, noJitter))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('jitters downwards only, so the cap is the longest wait', () => {
    expect(backoffDelay(10, POLICY, () => 0)).toBe(1_000);
    expect(backoffDelay(10, POLICY, () => 1)).toBe(500);
    expect(backoffDelay(1, { ...POLICY, jitter: 1 }, () => 1)).toBe(0);
  });
});

describe('retry', () => {
  const fast: BackoffPolicy = { initialDelayMs: 1, maxDelayMs: 1, factor: 1, jitter: 0 };

  it('retries a retryable failure until it succeeds, reporting each retry', async () => {
    const onRetry = vi.fn();
    let calls = 0;
    const result = await retry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new Error(`failure ${attempt}`);
        return 'done';
      },
      { maxAttempts: 5, policy: fast, retryable: () => true, onRetry },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(onRetry.mock.calls.map(([error, retryNumber]) => [(error as Error).message, retryNumber])).toEqual([
      ['failure 1', 1],
      ['failure 2', 2],
    ]);
  });

  it('throws a failure that is not retryable at once', async () => {
    let calls = 0;
    const failing = retry(
      async () => {
        calls++;
        throw new TypeError('the caller is wrong');
      },
      { maxAttempts: 5, policy: fast, retryable: (error) => !(error instanceof TypeError) },
    );
    await expect(failing).rejects.toThrow('the caller is wrong');
    expect(calls).toBe(1);
  });

  it('throws the last failure when the attempts run out', async () => {
    let calls = 0;
    const failing = retry(
      async (attempt) => {
        calls++;
        throw new Error(`failure ${attempt}`);
      },
      { maxAttempts: 3, policy: fast, retryable: () => true },
    );
    await expect(failing).rejects.toThrow('failure 3');
    expect(calls).toBe(3);
  });
});

describe('sleep', () => {
  it('ends early with the reason when its signal aborts', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
  });

  it('refuses to start on an aborted signal', async () => {
    await expect(sleep(1, AbortSignal.abort(new Error('already stopped')))).rejects.toThrow('already stopped');
  });
});
