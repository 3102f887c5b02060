import { describe, expect, it } from 'vitest';
import { buildRouting } from '../../../../shared/domain/config/routing.js';
import { EMPTY_TENANT_CONFIG, TenantConfigSchema, type TenantConfig } from '../../../../shared/domain/config/tenant-config.js';
import { configured, worker, workflow } from './fixtures.js';

const config = configured({
  settings: { skipContentTypes: ['ignored'] },
  workers: [
    worker('extract', ['to-extract', 'extract-again'], 'extracted', { keepErrors: false }),
    worker('sip', ['extracted'], 'sip'),
    worker('store', ['sip'], undefined, { retry: { maxAttempts: 4 } }),
  ],
  workflows: [
    workflow(
      'tens',
      [
        [20, 'store'],
        [0, 'extract'],
        [10, 'sip'],
      ],
      { keepErrors: true },
    ),
    workflow(
      'sparse',
      [
        [2, 'extract'],
        [5, 'sip'],
      ],
      { keepErrors: false },
    ),
  ],
});
const routing = buildRouting(config);

describe('TenantRouting.route', () => {
  it('routes a worker input content type to its worker type', () => {
    expect(routing.route('to-extract')).toEqual({ kind: 'worker', workerType: 'extract' });
    expect(routing.route('extract-again')).toEqual({ kind: 'worker', workerType: 'extract' });
    expect(routing.route('sip')).toEqual({ kind: 'worker', workerType: 'store' });
  });

  it('routes a workflow type to the step with the lowest stepNumber', () => {
    expect(routing.route('tens')).toEqual({ kind: 'workflow', workflowType: 'tens', step: { stepNumber: 0, workerType: 'extract' } });
    expect(routing.route('sparse')).toEqual({
      kind: 'workflow',
      workflowType: 'sparse',
      step: { stepNumber: 2, workerType: 'extract' },
    });
  });

  it('finds the first step even in a stored workflow whose steps are not sorted', () => {
    const unsorted: TenantConfig = {
      ...config,
      workflows: [
        {
          workflowType: 'u',
          keepErrors: true,
          steps: [
            { stepNumber: 9, workerType: 'sip' },
            { stepNumber: 3, workerType: 'extract' },
          ],
        },
      ],
    };
    expect(buildRouting(unsorted).route('u')).toMatchObject({ step: { stepNumber: 3 } });
  });

  it('says unrouted for a content type nobody handles', () => {
    expect(routing.route('unknown')).toEqual({ kind: 'unrouted' });
    expect(buildRouting(EMPTY_TENANT_CONFIG).route('to-extract')).toEqual({ kind: 'unrouted' });
  });

  it('knows the skipped content types and the workflow types', () => {
    expect(routing.isSkipped('ignored')).toBe(true);
    expect(routing.isSkipped('to-extract')).toBe(false);
    expect(routing.isWorkflow('tens')).toBe(true);
    expect(routing.isWorkflow('to-extract')).toBe(false);
  });

  it('carries the configuration version it was built from', () => {
    expect(routing.version).toBe(config.version);
    expect(config.version).toBeGreaterThan(0);
  });
});

describe('TenantRouting steps', () => {
  it('walks non-contiguous step numbers 0/10/20', () => {
    expect(routing.stepAfter('tens', 0)).toEqual({ kind: 'next', step: { stepNumber: 10, workerType: 'sip' } });
    expect(routing.stepAfter('tens', 10)).toEqual({ kind: 'next', step: { stepNumber: 20, workerType: 'store' } });
    expect(routing.stepAfter('tens', 20)).toEqual({ kind: 'last' });
  });

  it('walks non-contiguous step numbers 2/5', () => {
    expect(routing.stepAfter('sparse', 2)).toEqual({ kind: 'next', step: { stepNumber: 5, workerType: 'sip' } });
    expect(routing.stepAfter('sparse', 5)).toEqual({ kind: 'last' });
  });

  it('reports a step number that no longer exists instead of treating it as the last step', () => {
    const next = routing.stepAfter('tens', 15);
    expect(next.kind).toBe('unknown-step');
    if (next.kind !== 'unknown-step') return;
    expect(next.message).toContain('Step 15');
    expect(next.message).toContain('"tens"');
    expect(next.message).toContain('0, 10, 20');
  });

  it('reports a workflow that no longer exists', () => {
    const next = routing.stepAfter('gone', 0);
    expect(next.kind).toBe('unknown-workflow');
    if (next.kind !== 'unknown-workflow') return;
    expect(next.message).toContain('"gone"');
  });

  it('finds a step by number', () => {
    expect(routing.stepOf('tens', 10)).toEqual({ stepNumber: 10, workerType: 'sip' });
    expect(routing.stepOf('tens', 1)).toBeUndefined();
    expect(routing.stepOf('gone', 0)).toBeUndefined();
  });
});

describe('TenantRouting.keepErrors', () => {
  it('uses the flag of the worker config of the dispatched worker type', () => {
    // The worker type is named unlike its content types: the REGARDS lookup by content type would miss it.
    expect(routing.keepErrors({ kind: 'worker', workerType: 'extract' })).toBe(false);
    expect(routing.keepErrors({ kind: 'worker', workerType: 'sip' })).toBe(true);
  });

  it('uses the workflow flag for a workflow request, not the flag of the step worker', () => {
    expect(routing.keepErrors({ kind: 'workflow', workflowType: 'sparse' })).toBe(false);
    // 'tens' keeps errors although its step 0 worker ('extract') does not.
    expect(routing.keepErrors({ kind: 'workflow', workflowType: 'tens' })).toBe(true);
  });

  it('keeps errors when the config is gone: deleting needs an explicit false', () => {
    expect(routing.keepErrors({ kind: 'worker', workerType: 'gone' })).toBe(true);
    expect(routing.keepErrors({ kind: 'workflow', workflowType: 'gone' })).toBe(true);
  });
});

describe('TenantRouting worker lookups', () => {
  it('returns the worker config by worker type', () => {
    expect(routing.workerConfig('store')?.retry.maxAttempts).toBe(4);
    expect(routing.workerConfig('unknown')).toBeUndefined();
    expect(routing.workflowConfig('sparse')?.keepErrors).toBe(false);
    expect(routing.workerTypes()).toEqual(['extract', 'sip', 'store']);
  });

  it('lists the content types of a worker type', () => {
    expect(routing.contentTypesOf('extract')).toEqual(['to-extract', 'extract-again']);
    expect(routing.contentTypesOf('unknown')).toEqual([]);
  });

  it('maps content types to worker types once each, ignoring workflow types and unknown ones', () => {
    expect(routing.workerTypesForContentTypes(['sip', 'to-extract', 'extract-again', 'tens', 'nope'])).toEqual(['store', 'extract']);
    expect(routing.workerTypesForContentTypes([])).toEqual([]);
  });

  it('is built from a stored configuration read back through the schema', () => {
    const reread = buildRouting(TenantConfigSchema.parse(JSON.parse(JSON.stringify(config))));
    expect(reread.route('to-extract')).toEqual({ kind: 'worker', workerType: 'extract' });
    expect(reread.stepAfter('tens', 10)).toEqual({ kind: 'next', step: { stepNumber: 20, workerType: 'store' } });
  });
});
