import { describe, expect, it } from 'vitest';
import { DEFAULT_WIRE_NAMES } from '../../../shared/contract/wire-names.js';
import { WorkerOptionsError } from '../../../shared/worker-sdk/src/errors.js';
import { backoffDelay } from '../../../shared/kernel/backoff.js';
import { resolveWorkerOptions, WORKER_DEFAULTS, type WorkerBaseOptions } from '../../../shared/worker-sdk/src/options.js';

const base: WorkerBaseOptions = { workerType: 'Extract', handle: (job) => job.success() };

describe('resolveWorkerOptions', () => {
  it('fills the documented defaults and addresses the REGARDS queue of the lower-cased type', () => {
    const resolved = resolveWorkerOptions(base);
    expect(resolved).toMatchObject({
      workerType: 'Extract',
      queue: 'regards.worker.extract.request',
      names: DEFAULT_WIRE_NAMES,
      prefetch: 1,
      heartbeatIntervalMs: 5_000,
      heartbeatTenant: undefined,
      stopTimeoutMs: 30_000,
      reconnect: { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.2 },
    });
    expect(resolved.instanceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(resolveWorkerOptions(base).instanceId).not.toBe(resolved.instanceId);
    expect(WORKER_DEFAULTS.heartbeatIntervalMs).toBeLessThan(60_000 / 10);
  });

  it('takes partial wire names, keeping the REGARDS default for the rest', () => {
    const resolved = resolveWorkerOptions({ ...base, names: { workerRequestTemplate: 'p.worker.%s.in', heartbeatExchange: 'p.hb' } });
    expect(resolved.queue).toBe('p.worker.extract.in');
    expect(resolved.names.heartbeatExchange).toBe('p.hb');
    expect(resolved.names.workerResponse).toBe('regards.worker.manager.response');
  });

  it.each([
    ['an empty worker type', { workerType: ' ' }, /workerType/],
    ['a prefetch of 0', { prefetch: 0 }, /prefetch/],
    ['a prefetch above an AMQP short', { prefetch: 65_536 }, /prefetch/],
    ['a fractional prefetch', { prefetch: 1.5 }, /prefetch/],
    ['a heartbeat as slow as the manager expiry', { heartbeatIntervalMs: 60_000 }, /heartbeatIntervalMs/],
    ['a negative stop timeout', { stopTimeoutMs: -1 }, /stopTimeoutMs/],
    ['a template without %s', { names: { workerRequestTemplate: 'fixed' } }, /wire names/],
    ['an instance id longer than the manager stores', { instanceId: 'i'.repeat(256) }, /heartbeat/],
    ['a blank heartbeat tenant', { heartbeatTenant: ' ' }, /heartbeat/],
    ['a jitter above 1', { reconnect: { jitter: 2 } }, /jitter/],
    ['a max delay below the initial delay', { reconnect: { initialDelayMs: 1_000, maxDelayMs: 10 } }, /maxDelayMs/],
  ] as const)('refuses %s', (_label, override, message) => {
    expect(() => resolveWorkerOptions({ ...base, ...override } as WorkerBaseOptions)).toThrow(WorkerOptionsError);
    expect(() => resolveWorkerOptions({ ...base, ...override } as WorkerBaseOptions)).toThrow(message);
  });

  it('refuses a handler that is not a function', () => {
    expect(() => resolveWorkerOptions({ ...base, handle: 'nope' as unknown as WorkerBaseOptions['handle'] })).toThrow(/handle/);
  });
});

describe('backoffDelay', () => {
  const reconnect = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0.5 };

  it('doubles from the initial delay up to the cap when no jitter is drawn', () => {
    expect([1, 2, 3, 4, 5, 10].map((attempt) => backoffDelay(attempt, reconnect, () => 0))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('jitters downwards only, so the cap is the longest wait', () => {
    expect(backoffDelay(1, reconnect, () => 1)).toBe(50);
    expect(backoffDelay(10, reconnect, () => 1)).toBe(500);
    for (let i = 0; i < 100; i += 1) {
      const delay = backoffDelay(20, reconnect);
      expect(delay).toBeGreaterThanOrEqual(500);
      expect(delay).toBeLessThanOrEqual(1_000);
    }
  });
});
