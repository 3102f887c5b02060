import type { HealthProbe } from '../../ports/health-probe.js';

// admin-api GET /health --> (use case) --> HealthProbe (store, broker)

export type HealthStatus = 'UP' | 'DOWN';

export interface HealthReport {
  status: HealthStatus;
  checks: Record<string, { status: HealthStatus; error?: string }>;
}

export const HEALTH_TIMEOUT_MS = 3_000;

/** Every probe at once, each bounded in time, so a hung dependency reads DOWN instead of hanging the check. */
export async function checkHealth(probes: readonly HealthProbe[], timeoutMs = HEALTH_TIMEOUT_MS): Promise<HealthReport> {
  const results = await Promise.all(
    probes.map(async (probe): Promise<[string, { status: HealthStatus; error?: string }]> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([probe.check(), timeout]);
        return [probe.name, { status: 'UP' }];
      } catch (error) {
        // The error's name only: the check answers without a token, so no host name or address may leak.
        return [probe.name, { status: 'DOWN', error: error instanceof Error ? error.name : 'Error' }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const checks = Object.fromEntries(results);
  return { status: results.every(([, result]) => result.status === 'UP') ? 'UP' : 'DOWN', checks };
}
