/**
 * Settles like `work`, or rejects with `timedOut()` once `ms` have passed. The work is not
 * stopped (a promise cannot be), only no longer waited for; its later failure is swallowed, since
 * nobody is left to hear it.
 */
export async function withTimeLimit<T>(work: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}
