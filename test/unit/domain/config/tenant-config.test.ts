import { describe, expect, it } from 'vitest';
import { EMPTY_TENANT_CONFIG, RetryPolicySchema, TenantConfigSchema, WorkerConfigSchema } from '../../../../shared/domain/config/tenant-config.js';

describe('tenant config schemas', () => {
  it('the empty configuration is a valid stored configuration at version 0', () => {
    expect(TenantConfigSchema.parse(EMPTY_TENANT_CONFIG)).toEqual({
      workers: [],
      workflows: [],
      settings: { skipContentTypes: [] },
      version: 0,
    });
  });

  it('refuses a negative or fractional version', () => {
    expect(TenantConfigSchema.safeParse({ ...EMPTY_TENANT_CONFIG, version: -1 }).success).toBe(false);
    expect(TenantConfigSchema.safeParse({ ...EMPTY_TENANT_CONFIG, version: 1.5 }).success).toBe(false);
  });

  it('fills settings when a stored configuration has none', () => {
    const parsed = TenantConfigSchema.parse({ workers: [], workflows: [], version: 3 });
    expect(parsed.settings).toEqual({ skipContentTypes: [] });
  });

  it('keeps each retryOn kind once', () => {
    expect(RetryPolicySchema.parse({ retryOn: ['ERROR', 'ERROR', 'TIMEOUT'] }).retryOn).toEqual(['ERROR', 'TIMEOUT']);
    expect(RetryPolicySchema.parse({ retryOn: [] }).retryOn).toEqual([]);
  });

  it('fills nested retry defaults when only some fields are given', () => {
    const parsed = WorkerConfigSchema.parse({ workerType: 'w', contentTypeInputs: ['a'], retry: { maxAttempts: 2 } });
    expect(parsed.retry).toMatchObject({ maxAttempts: 2, initialDelaySeconds: 30, multiplier: 2, jitter: 0.2 });
  });

  it('refuses a multiplier below 1 (delays would shrink)', () => {
    expect(RetryPolicySchema.safeParse({ multiplier: 0.5 }).success).toBe(false);
    expect(RetryPolicySchema.safeParse({ multiplier: 1 }).success).toBe(true);
  });
});
