import * as z from 'zod';

/*
 * Fair dispatch (README, "Fair dispatch"): a limit of requests in flight (DISPATCHED or RUNNING)
 * per worker type, optionally per tenant within it, and weights for the round-robin between the
 * tenants whose requests wait for a slot. Deployment settings, not tenant configuration: a worker
 * type's queue and its workers serve every tenant, so its capacity and the shares of it are the
 * operator's to set once, and no tenant's administrator may widen its own share.
 */

const limit = (what: string) =>
  z
    .number({ error: `${what} must be a whole number of requests` })
    .int({ error: `${what} must be a whole number of requests` })
    .min(1, { error: `${what} must be at least 1: a limit of 0 would dispatch nothing (leave the worker type out for no limit)` })
    .max(1_000_000);

export const WorkerTypeLimitSchema = z
  .object({
    /** Requests of this worker type in flight at most, all tenants together. */
    maxInFlight: limit('maxInFlight'),
    /** Requests of this worker type in flight at most for one tenant; absent: only the total holds. */
    maxInFlightPerTenant: limit('maxInFlightPerTenant').optional(),
  })
  .refine((value) => value.maxInFlightPerTenant === undefined || value.maxInFlightPerTenant <= value.maxInFlight, {
    error: 'maxInFlightPerTenant must not exceed maxInFlight',
    path: ['maxInFlightPerTenant'],
  });
export type WorkerTypeLimit = z.infer<typeof WorkerTypeLimitSchema>;

export const FairDispatchSettingsSchema = z.object({
  /** Worker types with a limit; a type not listed is dispatched at once, as before (no extra write). */
  workerTypes: z.record(z.string().min(1), WorkerTypeLimitSchema).default({}),
  /** Slots a tenant gets per round of the round-robin (default 1); 2 means twice the share of a tenant at 1. */
  tenantWeights: z
    .record(
      z.string().min(1),
      z
        .number()
        .int({ error: 'a tenant weight must be a whole number' })
        .min(1, { error: 'a tenant weight must be at least 1 (a negative or zero weight would starve the tenant)' })
        .max(1_000),
    )
    .default({}),
});
export type FairDispatchSettings = z.infer<typeof FairDispatchSettingsSchema>;

export const DEFAULT_TENANT_WEIGHT = 1;

/** The limit of a worker type, if fair dispatch holds it back. */
export function workerTypeLimit(settings: FairDispatchSettings, workerType: string): WorkerTypeLimit | undefined {
  return Object.hasOwn(settings.workerTypes, workerType) ? settings.workerTypes[workerType] : undefined;
}

export function tenantWeight(settings: FairDispatchSettings, tenant: string): number {
  return (Object.hasOwn(settings.tenantWeights, tenant) ? settings.tenantWeights[tenant] : undefined) ?? DEFAULT_TENANT_WEIGHT;
}
