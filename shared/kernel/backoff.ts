/*
 * The one retry loop of the code base: DynamoDB batches, publish bursts, reconnections of the
 * worker SDK and of the local event source all wait the same way. Exponential, capped, and
 * jittered downwards only, so the cap really is the longest wait.
 */

export interface BackoffPolicy {
  /** The wait before the first retry. */
  initialDelayMs: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
  /** Each retry waits this many times longer than the one before (before jitter). */
  factor: number;
  /** 0: no jitter; 1: full jitter (anywhere between 0 and the exponential delay). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, factor: 2, jitter: 0.5 };

/** The wait before retry `retry` (1 for the first retry). */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, retry - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** exponent);
  return Math.max(0, Math.round(ceiling * (1 - policy.jitter * random())));
}

/** Resolves after `ms`, or at once (rejecting with the signal's reason) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  policy?: BackoffPolicy;
  /** Whether a failure may be retried; a failure it refuses is thrown at once. */
  retryable: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log the retry. */
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  signal?: AbortSignal;
  random?: () => number;
}

/** Runs `operation` until it succeeds, a failure is not retryable, or the attempts run out (the last failure is thrown). */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = options.policy ?? DEFAULT_BACKOFF;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= options.maxAttempts || !options.retryable(error)) throw error;
      const delayMs = backoffDelay(attempt, policy, options.random);
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}
