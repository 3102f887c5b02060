import { describe, expect, it } from 'vitest';
import { DEFAULT_MANAGER_SETTINGS, ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { tenantWeight, workerTypeLimit } from '../../../shared/contract/fair-dispatch-settings.js';

function problems(input: unknown): string {
  const result = ManagerSettingsSchema.safeParse(input);
  return result.success ? '' : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n');
}

describe('fair dispatch settings', () => {
  it('holds no limit by default, so dispatch is as before', () => {
    expect(DEFAULT_MANAGER_SETTINGS.fairDispatch).toEqual({ workerTypes: {}, tenantWeights: {} });
    expect(workerTypeLimit(DEFAULT_MANAGER_SETTINGS.fairDispatch, 'extract')).toBeUndefined();
    expect(tenantWeight(DEFAULT_MANAGER_SETTINGS.fairDispatch, 'project1')).toBe(1);
  });

  it('reads limits and weights', () => {
    const settings = ManagerSettingsSchema.parse({
      fairDispatch: { workerTypes: { extract: { maxInFlight: 10, maxInFlightPerTenant: 4 } }, tenantWeights: { big: 3 } },
    });
    expect(workerTypeLimit(settings.fairDispatch, 'extract')).toEqual({ maxInFlight: 10, maxInFlightPerTenant: 4 });
    expect(tenantWeight(settings.fairDispatch, 'big')).toBe(3);
    expect(workerTypeLimit(settings.fairDispatch, 'toString')).toBeUndefined();
  });

  it('refuses a limit of 0 and says why', () => {
    expect(problems({ fairDispatch: { workerTypes: { extract: { maxInFlight: 0 } } } })).toMatch(
      /fairDispatch\.workerTypes\.extract\.maxInFlight: maxInFlight must be at least 1: a limit of 0 would dispatch nothing/,
    );
    expect(problems({ fairDispatch: { workerTypes: { extract: { maxInFlight: 5, maxInFlightPerTenant: 0 } } } })).toMatch(
      /maxInFlightPerTenant must be at least 1/,
    );
  });

  it('refuses a negative or zero weight and says why', () => {
    expect(problems({ fairDispatch: { tenantWeights: { small: -1 } } })).toMatch(/fairDispatch\.tenantWeights\.small: a tenant weight must be at least 1/);
    expect(problems({ fairDispatch: { tenantWeights: { small: 0 } } })).toMatch(/a tenant weight must be at least 1/);
  });

  it('refuses a per-tenant limit above the total', () => {
    expect(problems({ fairDispatch: { workerTypes: { extract: { maxInFlight: 5, maxInFlightPerTenant: 6 } } } })).toMatch(
      /maxInFlightPerTenant must not exceed maxInFlight/,
    );
  });
});
