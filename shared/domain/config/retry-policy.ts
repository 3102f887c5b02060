import type { RetryPolicy, RetryableFailureKind } from './tenant-config.js';

/*
 * Automatic retry of failed dispatches (ours: REGARDS retries only when an operator asks).
 * Pure: the caller supplies the random source, so a test can pin it and the sweeper can use
 * Math.random.
 */

/** Why a dispatch attempt failed. */
export type FailureKind = RetryableFailureKind | 'INVALID_CONTENT';

/**
 * Whether a request whose last attempt failed with `failureKind` gets another one. `attemptsMade`
 * counts every dispatch so far, the failed one included.
 */
export function shouldRetry(policy: RetryPolicy, failureKind: FailureKind, attemptsMade: number): boolean {
  // The worker judged the input itself: sending it again cannot change the verdict.
  if (failureKind === 'INVALID_CONTENT') return false;
  if (!policy.retryOn.includes(failureKind)) return false;
  return attemptsMade < policy.maxAttempts;
}

/**
 * Delay before the attempt that follows failed attempt number `attemptNumber` (1 = the first
 * dispatch): `initialDelay × multiplier^(attemptNumber-1)`, capped at `maxDelay`, then moved by up
 * to ± `jitter` of itself and capped again so the cap is a hard maximum. `random` returns a number in
 * [0, 1): 0 gives the lowest delay, 0.5 the unjittered one.
 */
export function nextRetryDelayMs(policy: RetryPolicy, attemptNumber: number, random: () => number): number {
  if (!Number.isInteger(attemptNumber) || attemptNumber < 1) {
    throw new RangeError(`attemptNumber must be an integer ≥ 1, got ${attemptNumber}`);
  }
  const maxMs = policy.maxDelaySeconds * 1000;
  // Overflow to Infinity is harmless: the cap takes over.
  const baseMs = Math.min(maxMs, policy.initialDelaySeconds * 1000 * policy.multiplier ** (attemptNumber - 1));
  const r = Math.min(1, Math.max(0, random()));
  const jittered = baseMs * (1 + policy.jitter * (2 * r - 1));
  return Math.round(Math.min(maxMs, Math.max(0, jittered)));
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/** Both questions at once, with the reason a request stops being retried (for its error text). */
export function decideRetry(policy: RetryPolicy, failureKind: FailureKind, attemptsMade: number, random: () => number): RetryDecision {
  if (failureKind === 'INVALID_CONTENT') return { retry: false, reason: 'INVALID_CONTENT is never retried' };
  if (!policy.retryOn.includes(failureKind)) return { retry: false, reason: `${failureKind} is not in the retry policy's retryOn` };
  if (attemptsMade >= policy.maxAttempts) {
    return { retry: false, reason: `attempt ${attemptsMade} of ${policy.maxAttempts} failed: no attempt left` };
  }
  return { retry: true, delayMs: nextRetryDelayMs(policy, Math.max(1, attemptsMade), random) };
}
