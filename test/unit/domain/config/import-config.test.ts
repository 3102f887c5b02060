import { describe, expect, it } from 'vitest';
import { planImport, planPartialImport } from '../../../../shared/domain/config/import-config.js';
import { DEFAULT_DEADLINES, DEFAULT_RETRY_POLICY, EMPTY_TENANT_CONFIG, type TenantConfig } from '../../../../shared/domain/config/tenant-config.js';
import { anImport, codesAndPaths, configured, expectErrors, expectOk, worker, workflow } from './fixtures.js';

const chain = () => [worker('extract', ['to-extract'], 'extracted'), worker('sip', ['extracted'], 'sip'), worker('store', ['sip'])];

describe('planImport: bean validation', () => {
  it('accepts a minimal worker and fills the defaults', () => {
    const config = expectOk(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('w', ['a'])] })));
    expect(config.workers).toEqual([
      {
        workerType: 'w',
        contentTypeInputs: ['a'],
        keepErrors: true,
        retry: DEFAULT_RETRY_POLICY,
        deadlines: DEFAULT_DEADLINES,
      },
    ]);
    expect(DEFAULT_RETRY_POLICY).toEqual({
      maxAttempts: 1,
      initialDelaySeconds: 30,
      multiplier: 2,
      maxDelaySeconds: 3600,
      jitter: 0.2,
      retryOn: ['ERROR', 'TIMEOUT', 'DEAD_LETTER'],
    });
    expect(DEFAULT_DEADLINES).toEqual({
      timeToStartSeconds: 3600,
      timeToCompleteSeconds: 86_400,
      extendWhileQueued: true,
      maxQueuedSeconds: 2_592_000,
      runningExtends: true,
    });
  });

  it('refuses a blank workerType', () => {
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('   ', ['a'])] })));
    expect(codesAndPaths(errors)).toEqual([['InvalidValueError', 'workers[0].workerType']]);
  });

  it('limits workerType to 128 characters', () => {
    expectOk(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('w'.repeat(128), ['a'])] })));
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('w'.repeat(129), ['a'])] })));
    expect(codesAndPaths(errors)).toEqual([['InvalidValueError', 'workers[0].workerType']]);
  });

  it('refuses an empty contentTypeInputs', () => {
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('w', [])] })));
    expect(codesAndPaths(errors)).toEqual([['InvalidValueError', 'workers[0].contentTypeInputs']]);
  });

  it('refuses a blank content type and limits content types to 255 characters', () => {
    expectOk(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('w', ['c'.repeat(255)], 'o'.repeat(255))] })));
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('w', ['a', ' ', 'c'.repeat(256)], 'o'.repeat(256))] })));
    expect(codesAndPaths(errors)).toEqual([
      ['InvalidValueError', 'workers[0].contentTypeInputs[1]'],
      ['InvalidValueError', 'workers[0].contentTypeInputs[2]'],
      ['InvalidValueError', 'workers[0].contentTypeOutput'],
    ]);
  });

  it('trims names, because request content types are trimmed before routing', () => {
    const config = expectOk(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker(' w ', [' a '], ' b ')] })));
    expect(config.workers[0]).toMatchObject({ workerType: 'w', contentTypeInputs: ['a'], contentTypeOutput: 'b' });
  });

  it('reports an unknown field at its own path instead of ignoring a typo', () => {
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [{ workerType: 'w', contentTypeInputs: ['a'], keepError: false }] })));
    expect(codesAndPaths(errors)).toEqual([['InvalidValueError', 'workers[0].keepError']]);
    expect(errors[0]?.message).toContain('keepError');
  });

  it('reads null optional fields as absent, as REGARDS serialises them', () => {
    const config = expectOk(
      planImport(
        EMPTY_TENANT_CONFIG,
        anImport({
          workers: [{ workerType: 'w', contentTypeInputs: ['a'], contentTypeOutput: null, keepErrors: null }],
          workflows: [{ workflowType: 'f', steps: [{ stepNumber: 0, workerType: 'w' }], keepErrors: null }],
        }),
      ),
    );
    expect(config.workers[0]).not.toHaveProperty('contentTypeOutput');
    expect(config.workers[0]?.keepErrors).toBe(true);
    expect(config.workflows[0]?.keepErrors).toBe(true);
  });

  it('refuses an item that is not an object', () => {
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: ['w'], workflows: [42] })));
    expect(codesAndPaths(errors)).toEqual([
      ['InvalidValueError', 'workers[0]'],
      ['InvalidValueError', 'workflows[0]'],
    ]);
  });

  it('validates the retry policy and the deadlines (our extensions)', () => {
    const valid = worker('w', ['a'], undefined, {
      retry: { maxAttempts: 5, retryOn: ['TIMEOUT'] },
      deadlines: { timeToStartSeconds: 60 },
    });
    const config = expectOk(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [valid] })));
    expect(config.workers[0]?.retry).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 5, retryOn: ['TIMEOUT'] });
    expect(config.workers[0]?.deadlines).toEqual({ ...DEFAULT_DEADLINES, timeToStartSeconds: 60 });

    const invalid = {
      workerType: 'w',
      contentTypeInputs: ['a'],
      retry: { maxAttempts: 0, jitter: 1.5, initialDelaySeconds: 100, maxDelaySeconds: 10, retryOn: ['INVALID_CONTENT'] },
      deadlines: { timeToStartSeconds: 0, timeToCompleteSeconds: 1.5 },
    };
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [invalid] })));
    expect(codesAndPaths(errors)).toEqual(
      expect.arrayContaining([
        ['InvalidValueError', 'workers[0].retry.maxAttempts'],
        ['InvalidValueError', 'workers[0].retry.jitter'],
        ['InvalidValueError', 'workers[0].retry.retryOn[0]'],
        ['InvalidValueError', 'workers[0].deadlines.timeToStartSeconds'],
        ['InvalidValueError', 'workers[0].deadlines.timeToCompleteSeconds'],
      ]),
    );
    expect(errors.find((e) => e.path === 'workers[0].retry.retryOn[0]')?.message).toContain('INVALID_CONTENT is never retried');
  });

  it('refuses a retry cap below the initial delay', () => {
    const errors = expectErrors(
      planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('w', ['a'], undefined, { retry: { initialDelaySeconds: 100, maxDelaySeconds: 10 } })] })),
    );
    expect(codesAndPaths(errors)).toEqual([['InvalidValueError', 'workers[0].retry.maxDelaySeconds']]);
  });

  it('validates workflows: type, steps, step numbers, step worker types', () => {
    const errors = expectErrors(
      planImport(
        configured({ workers: [worker('w', ['a'])] }),
        anImport({
          workflows: [
            workflow(' ', [[0, 'w']]),
            workflow('f'.repeat(256), [[0, 'w']]),
            workflow('no-steps', []),
            workflow('bad-steps', [
              [-1, 'w'],
              [1.5, 'w'],
              [2, 'x'.repeat(129)],
            ]),
          ],
        }),
      ),
    );
    expect(codesAndPaths(errors)).toEqual([
      ['InvalidValueError', 'workflows[0].workflowType'],
      ['InvalidValueError', 'workflows[1].workflowType'],
      ['InvalidValueError', 'workflows[2].steps'],
      ['InvalidValueError', 'workflows[3].steps[0].stepNumber'],
      ['InvalidValueError', 'workflows[3].steps[1].stepNumber'],
      ['InvalidValueError', 'workflows[3].steps[2].workerType'],
    ]);
  });

  it('accepts a 255-character workflowType', () => {
    const config = expectOk(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('w', ['a'])], workflows: [workflow('f'.repeat(255), [[0, 'w']])] })));
    expect(config.workflows[0]?.workflowType).toHaveLength(255);
  });

  it('validates the settings', () => {
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ settings: { skipContentTypes: 'a', skipEverything: true } })));
    expect(codesAndPaths(errors)).toEqual(
      expect.arrayContaining([
        ['InvalidValueError', 'settings.skipContentTypes'],
        ['InvalidValueError', 'settings.skipEverything'],
      ]),
    );
  });
});

describe('planImport: workers', () => {
  it('upserts by workerType: the imported item replaces the stored one in place, the others stay', () => {
    const current = configured({
      workers: [worker('a', ['x'], 'out', { keepErrors: false, retry: { maxAttempts: 3 } }), worker('b', ['y'])],
    });
    const config = expectOk(planImport(current, anImport({ workers: [worker('a', ['x', 'z']), worker('c', ['w'])] })));
    expect(config.workers.map((w) => w.workerType)).toEqual(['a', 'b', 'c']);
    // The whole item is replaced: what the new one omits takes its default again.
    expect(config.workers[0]).toEqual({
      workerType: 'a',
      contentTypeInputs: ['x', 'z'],
      keepErrors: true,
      retry: DEFAULT_RETRY_POLICY,
      deadlines: DEFAULT_DEADLINES,
    });
    expect(config.version).toBe(current.version + 1);
  });

  it('quirk fix (b): re-importing a worker with its own unchanged content types is not a conflict', () => {
    const current = configured({ workers: [worker('a', ['x', 'y'])] });
    const config = expectOk(planImport(current, anImport({ workers: [worker('a', ['x', 'y'])] })));
    expect(config.workers).toEqual(current.workers);
    expect(config.version).toBe(current.version + 1);
  });

  it('lets a content type move from one worker to another in one import', () => {
    const current = configured({ workers: [worker('a', ['x', 'y'])] });
    const config = expectOk(planImport(current, anImport({ workers: [worker('b', ['y']), worker('a', ['x'])] })));
    expect(config.workers).toMatchObject([
      { workerType: 'a', contentTypeInputs: ['x'] },
      { workerType: 'b', contentTypeInputs: ['y'] },
    ]);
  });

  it('refuses a content type used by another imported worker, blaming the later one', () => {
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('a', ['x', 'y']), worker('b', ['z', 'y'])] })));
    expect(codesAndPaths(errors)).toEqual([['ContentTypeAlreadyUsedError', 'workers[1].contentTypeInputs[1]']]);
    expect(errors[0]?.message).toBe('WorkerConf with type=b declares contentType y which is already used by a');
  });

  it('refuses a content type used by a stored worker, unless the import resets first', () => {
    const current = configured({ workers: [worker('a', ['x'])] });
    const errors = expectErrors(planImport(current, anImport({ workers: [worker('b', ['x'])] })));
    expect(codesAndPaths(errors)).toEqual([['ContentTypeAlreadyUsedError', 'workers[0].contentTypeInputs[0]']]);
    expect(errors[0]?.message).toContain('already used by a (current configuration)');

    const config = expectOk(planImport(current, anImport({ resetBeforeImport: true, workers: [worker('b', ['x'])] })));
    expect(config.workers.map((w) => w.workerType)).toEqual(['b']);
  });

  it('treats contentTypeInputs as a set: a repeated content type is harmless and stored once', () => {
    const config = expectOk(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('a', ['x', 'y', 'x'])] })));
    expect(config.workers[0]?.contentTypeInputs).toEqual(['x', 'y']);
  });

  it('quirk fix (e): refuses a workerType declared twice in one import', () => {
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('a', ['x']), worker('b', ['y']), worker('a', ['z'])] })));
    expect(codesAndPaths(errors)).toEqual([['WorkerTypeDeclaredTwiceError', 'workers[2].workerType']]);
    expect(errors[0]?.message).toContain('workers[0]');
  });

  it('refuses two worker types that differ only by case (they would share one lower-cased queue)', () => {
    const current = configured({ workers: [worker('Extract', ['x'])] });
    const errors = expectErrors(planImport(current, anImport({ workers: [worker('extract', ['y'])] })));
    expect(codesAndPaths(errors)).toEqual([['WorkerQueueCollisionError', 'workers[0].workerType']]);
    expectOk(planImport(current, anImport({ workers: [worker('extract2', ['y'])] })));
  });
});

describe('planImport: skipContentTypes', () => {
  it('refuses a worker that uses a skipped content type of the stored settings', () => {
    const current = configured({ settings: { skipContentTypes: ['ignored'] } });
    const errors = expectErrors(planImport(current, anImport({ workers: [worker('a', ['x', 'ignored'])] })));
    expect(codesAndPaths(errors)).toEqual([['SkippedContentTypeError', 'workers[0].contentTypeInputs[1]']]);
    expectOk(planImport(current, anImport({ workers: [worker('a', ['x'])] })));
  });

  it('applies the imported settings before the workers', () => {
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ settings: { skipContentTypes: ['x'] }, workers: [worker('a', ['x'])] })));
    expect(codesAndPaths(errors)).toEqual([['SkippedContentTypeError', 'workers[0].contentTypeInputs[0]']]);

    // ...and un-skipping in the same import frees the content type.
    const current = configured({ settings: { skipContentTypes: ['x'] } });
    const config = expectOk(planImport(current, anImport({ settings: { skipContentTypes: [] }, workers: [worker('a', ['x'])] })));
    expect(config.settings.skipContentTypes).toEqual([]);
  });

  it('quirk fix (f): refuses settings that skip a content type a stored worker handles', () => {
    const current = configured({ workers: [worker('a', ['x'])] });
    const errors = expectErrors(planImport(current, anImport({ settings: { skipContentTypes: ['y', 'x'] } })));
    expect(codesAndPaths(errors)).toEqual([['SkippedContentTypeError', 'settings.skipContentTypes[1]']]);
  });

  it('keeps the stored settings when the import has none, resets them with resetBeforeImport', () => {
    const current = configured({ settings: { skipContentTypes: ['s'] } });
    expect(expectOk(planImport(current, anImport())).settings.skipContentTypes).toEqual(['s']);
    expect(expectOk(planImport(current, anImport({ settings: {} }))).settings.skipContentTypes).toEqual(['s']);
    expect(expectOk(planImport(current, anImport({ resetBeforeImport: true }))).settings.skipContentTypes).toEqual([]);
    // After the reset the content type is no longer skipped, so a worker may use it.
    expectOk(planImport(current, anImport({ resetBeforeImport: true, workers: [worker('a', ['s'])] })));
  });

  it('quirk fix (d): refuses a workflowType that is a skipped content type, from either side', () => {
    const withWorker = configured({ workers: [worker('w', ['a'])], settings: { skipContentTypes: ['f'] } });
    const errors = expectErrors(planImport(withWorker, anImport({ workflows: [workflow('f', [[0, 'w']])] })));
    expect(codesAndPaths(errors)).toEqual([['SkippedContentTypeError', 'workflows[0].workflowType']]);

    const withWorkflow = configured({ workers: [worker('w', ['a'])], workflows: [workflow('f', [[0, 'w']])] });
    const fromSettings = expectErrors(planImport(withWorkflow, anImport({ settings: { skipContentTypes: ['f'] } })));
    expect(codesAndPaths(fromSettings)).toEqual([['SkippedContentTypeError', 'settings.skipContentTypes[0]']]);
  });
});

describe('planImport: workflows', () => {
  it('imports a chained workflow after the workers of the same import', () => {
    const config = expectOk(
      planImport(
        EMPTY_TENANT_CONFIG,
        anImport({
          workers: chain(),
          workflows: [
            workflow('pipeline', [
              [0, 'extract'],
              [1, 'sip'],
              [2, 'store'],
            ]),
          ],
        }),
      ),
    );
    expect(config.workflows).toEqual([
      {
        workflowType: 'pipeline',
        keepErrors: true,
        steps: [
          { stepNumber: 0, workerType: 'extract' },
          { stepNumber: 1, workerType: 'sip' },
          { stepNumber: 2, workerType: 'store' },
        ],
      },
    ]);
  });

  it('sorts steps by stepNumber and accepts non-contiguous numbers', () => {
    const config = expectOk(
      planImport(
        EMPTY_TENANT_CONFIG,
        anImport({
          workers: chain(),
          workflows: [
            workflow('p', [
              [20, 'store'],
              [0, 'extract'],
              [10, 'sip'],
            ]),
            workflow('q', [
              [5, 'sip'],
              [2, 'extract'],
            ]),
          ],
        }),
      ),
    );
    expect(config.workflows[0]?.steps.map((s) => s.stepNumber)).toEqual([0, 10, 20]);
    expect(config.workflows[1]?.steps).toEqual([
      { stepNumber: 2, workerType: 'extract' },
      { stepNumber: 5, workerType: 'sip' },
    ]);
  });

  it('DuplicatedWorkflowTypesError: a workflowType may not be an input content type of a worker', () => {
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: chain(), workflows: [workflow('to-extract', [[0, 'extract']])] })));
    expect(codesAndPaths(errors)).toEqual([['DuplicatedWorkflowTypesError', 'workflows[0].workflowType']]);

    const stored = configured({ workers: chain() });
    const againstStored = expectErrors(planImport(stored, anImport({ workflows: [workflow('extracted', [[0, 'sip']])] })));
    expect(codesAndPaths(againstStored)).toEqual([['DuplicatedWorkflowTypesError', 'workflows[0].workflowType']]);
  });

  it('quirk fix (f): refuses a worker input equal to a stored workflowType', () => {
    const current = configured({ workers: chain(), workflows: [workflow('pipeline', [[0, 'extract']])] });
    const errors = expectErrors(planImport(current, anImport({ workers: [worker('other', ['a', 'pipeline'])] })));
    expect(codesAndPaths(errors)).toEqual([['DuplicatedWorkflowTypesError', 'workers[0].contentTypeInputs[1]']]);
  });

  it('quirk fix (d): refuses a workflowType declared twice in one import', () => {
    const errors = expectErrors(
      planImport(EMPTY_TENANT_CONFIG, anImport({ workers: chain(), workflows: [workflow('p', [[0, 'extract']]), workflow('p', [[0, 'sip']])] })),
    );
    expect(codesAndPaths(errors)).toEqual([['WorkflowTypeDeclaredTwiceError', 'workflows[1].workflowType']]);
  });

  it('upserts workflows by workflowType', () => {
    const current = configured({ workers: chain(), workflows: [workflow('p', [[0, 'extract']]), workflow('q', [[0, 'sip']])] });
    const config = expectOk(planImport(current, anImport({ workflows: [workflow('p', [[7, 'store']], { keepErrors: false })] })));
    expect(config.workflows).toEqual([
      { workflowType: 'p', keepErrors: false, steps: [{ stepNumber: 7, workerType: 'store' }] },
      { workflowType: 'q', keepErrors: true, steps: [{ stepNumber: 0, workerType: 'sip' }] },
    ]);
  });

  it('DuplicatedStepNumbersError', () => {
    const errors = expectErrors(
      planImport(
        EMPTY_TENANT_CONFIG,
        anImport({
          workers: chain(),
          workflows: [
            workflow('p', [
              [1, 'extract'],
              [2, 'sip'],
              [1, 'store'],
            ]),
          ],
        }),
      ),
    );
    expect(codesAndPaths(errors)).toEqual([['DuplicatedStepNumbersError', 'workflows[0].steps[2].stepNumber']]);
  });

  it('NotExistingWorkerError: a step worker must be configured, stored or imported', () => {
    const errors = expectErrors(
      planImport(
        EMPTY_TENANT_CONFIG,
        anImport({
          workers: [worker('extract', ['to-extract'], 'extracted')],
          workflows: [
            workflow('p', [
              [0, 'extract'],
              [1, 'ghost'],
            ]),
          ],
        }),
      ),
    );
    expect(codesAndPaths(errors)).toEqual([['NotExistingWorkerError', 'workflows[0].steps[1].workerType']]);
    expect(errors[0]?.message).toContain('"ghost"');

    // The same workflow is fine when the worker is already stored.
    const stored = configured({ workers: [worker('ghost', ['extracted'])] });
    expectOk(
      planImport(
        stored,
        anImport({
          workers: [worker('extract', ['to-extract'], 'extracted')],
          workflows: [
            workflow('p', [
              [0, 'extract'],
              [1, 'ghost'],
            ]),
          ],
        }),
      ),
    );
  });

  it('NullContentTypeOutError: every step but the last needs a contentTypeOutput', () => {
    const errors = expectErrors(
      planImport(
        EMPTY_TENANT_CONFIG,
        anImport({
          workers: [worker('a', ['x']), worker('b', ['y'])],
          workflows: [
            workflow('p', [
              [0, 'a'],
              [1, 'b'],
            ]),
          ],
        }),
      ),
    );
    expect(codesAndPaths(errors)).toEqual([['NullContentTypeOutError', 'workflows[0].steps[0].workerType']]);
  });

  it('quirk fix (c): the last step (or the only one) needs no contentTypeOutput', () => {
    const config = expectOk(
      planImport(
        EMPTY_TENANT_CONFIG,
        anImport({
          workers: [worker('a', ['x'], 'y'), worker('b', ['y'])],
          workflows: [
            workflow('p', [
              [0, 'a'],
              [1, 'b'],
            ]),
            workflow('single', [[0, 'b']]),
          ],
        }),
      ),
    );
    expect(config.workflows.map((w) => w.workflowType)).toEqual(['p', 'single']);
  });

  it('NonConsistentContentTypeOutError: the next worker must take the previous output as input', () => {
    const errors = expectErrors(
      planImport(
        EMPTY_TENANT_CONFIG,
        anImport({
          workers: [worker('a', ['x'], 'y'), worker('b', ['z'], 'w')],
          workflows: [
            workflow('p', [
              [3, 'b'],
              [1, 'a'],
            ]),
          ],
        }),
      ),
    );
    // Order is by stepNumber: a (1) then b (3); the blamed step is b, at its position in the file.
    expect(codesAndPaths(errors)).toEqual([['NonConsistentContentTypeOutError', 'workflows[0].steps[0].workerType']]);
    expect(errors[0]?.message).toContain('"y"');
  });

  it('does not check the first step against the workflowType', () => {
    expectOk(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('a', ['x'])], workflows: [workflow('p', [[0, 'a']])] })));
  });

  it('quirk fix (f): refuses a worker update that breaks the chaining of a stored workflow', () => {
    const current = configured({
      workers: chain(),
      workflows: [
        workflow('p', [
          [0, 'extract'],
          [1, 'sip'],
          [2, 'store'],
        ]),
      ],
    });
    const noOutput = expectErrors(planImport(current, anImport({ workers: [worker('sip', ['extracted'])] })));
    expect(codesAndPaths(noOutput)).toEqual([['NullContentTypeOutError', 'workers[0].contentTypeOutput']]);

    const otherInput = expectErrors(planImport(current, anImport({ workers: [worker('store', ['elsewhere'])] })));
    expect(codesAndPaths(otherInput)).toEqual([['NonConsistentContentTypeOutError', 'workers[0].contentTypeInputs']]);

    const otherOutput = expectErrors(planImport(current, anImport({ workers: [worker('extract', ['to-extract'], 'other')] })));
    expect(codesAndPaths(otherOutput)).toEqual([['NonConsistentContentTypeOutError', 'workers[0].contentTypeOutput']]);
  });
});

describe('planImport: all or nothing (quirk fix (a))', () => {
  it('imports nothing when one item is invalid, even if the others are fine', () => {
    const current = configured({ workers: [worker('kept', ['k'])] });
    const plan = planImport(current, anImport({ workers: [worker('good', ['g']), worker('', ['b'])], workflows: [workflow('wf', [[0, 'good']])] }));
    const errors = expectErrors(plan);
    expect(codesAndPaths(errors)).toEqual([['InvalidValueError', 'workers[1].workerType']]);
  });

  it('lists every error of the import together, each with its path', () => {
    const current = configured({ workers: [worker('stored', ['taken'])] });
    const errors = expectErrors(
      planImport(
        current,
        anImport({
          settings: { skipContentTypes: ['skipped'] },
          workers: [worker('a', [], 'x'), worker('b', ['taken']), worker('c', ['skipped'], 'c-out'), worker('b', ['other']), worker('d', ['d-in'])],
          workflows: [
            workflow('p', [
              [0, 'c'],
              [0, 'd'],
            ]),
            workflow('q', [
              [0, 'ghost'],
              [1, 'd'],
            ]),
            workflow('r', [
              [0, 'c'],
              [1, 'd'],
            ]),
          ],
        }),
      ),
    );
    expect(codesAndPaths(errors)).toEqual(
      expect.arrayContaining([
        ['InvalidValueError', 'workers[0].contentTypeInputs'],
        ['WorkerTypeDeclaredTwiceError', 'workers[3].workerType'],
        ['ContentTypeAlreadyUsedError', 'workers[1].contentTypeInputs[0]'],
        ['SkippedContentTypeError', 'workers[2].contentTypeInputs[0]'],
        ['DuplicatedStepNumbersError', 'workflows[0].steps[1].stepNumber'],
        ['NotExistingWorkerError', 'workflows[1].steps[0].workerType'],
        ['NonConsistentContentTypeOutError', 'workflows[2].steps[1].workerType'],
      ]),
    );
    expect(errors).toHaveLength(7);
  });

  it('does not cascade: a step using a worker whose item is invalid gets no NotExistingWorkerError', () => {
    const errors = expectErrors(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('a', [])], workflows: [workflow('p', [[0, 'a']])] })));
    expect(codesAndPaths(errors)).toEqual([['InvalidValueError', 'workers[0].contentTypeInputs']]);
  });

  it('is not blocked by an inconsistency already stored that the import does not touch', () => {
    // Only reachable by writing the store directly; an import must still be possible to repair it.
    const inconsistent: TenantConfig = {
      ...configured({ workers: [worker('a', ['x'])] }),
      settings: { skipContentTypes: ['x'] },
    };
    const config = expectOk(planImport(inconsistent, anImport({ workers: [worker('b', ['y'])] })));
    expect(config.workers.map((w) => w.workerType)).toEqual(['a', 'b']);
  });

  it('never changes the current configuration it was given', () => {
    const current = configured({ workers: chain() });
    const snapshot = structuredClone(current);
    planImport(current, anImport({ workers: [worker('extract', ['to-extract', 'more'], 'extracted')] }));
    planImport(current, anImport({ workers: [worker('', [])] }));
    expect(current).toEqual(snapshot);
  });
});

describe('planImport: resetBeforeImport', () => {
  const current = configured({
    workers: chain(),
    workflows: [workflow('p', [[0, 'extract']])],
    settings: { skipContentTypes: ['s'] },
  });

  it('true: starts from an empty configuration and bumps the version', () => {
    const config = expectOk(planImport(current, anImport({ resetBeforeImport: true, workers: [worker('only', ['o'])] })));
    expect(config.workers.map((w) => w.workerType)).toEqual(['only']);
    expect(config.workflows).toEqual([]);
    expect(config.settings).toEqual({ skipContentTypes: [] });
    expect(config.version).toBe(current.version + 1);
  });

  it('true: the stored workers are gone, so a workflow of the import cannot use them', () => {
    const errors = expectErrors(planImport(current, anImport({ resetBeforeImport: true, workflows: [workflow('p2', [[0, 'extract']])] })));
    expect(codesAndPaths(errors)).toEqual([['NotExistingWorkerError', 'workflows[0].steps[0].workerType']]);
  });

  it('false: merges into the stored configuration and bumps the version', () => {
    const config = expectOk(planImport(current, anImport({ workers: [worker('only', ['o'])] })));
    expect(config.workers.map((w) => w.workerType)).toEqual(['extract', 'sip', 'store', 'only']);
    expect(config.workflows.map((w) => w.workflowType)).toEqual(['p']);
    expect(config.settings.skipContentTypes).toEqual(['s']);
    expect(config.version).toBe(current.version + 1);
  });
});

describe('planPartialImport (REGARDS imports the valid items and answers 206)', () => {
  it('leaves out the bad items, then the workflows they break, keeps the rest, and reports each at its submitted position', () => {
    const plan = planPartialImport(
      EMPTY_TENANT_CONFIG,
      anImport({
        workers: [worker('', ['x']), worker('a', ['in-a'], 'mid'), worker('b', ['mid']), worker('c', ['in-c'])],
        workflows: [
          workflow('flow-ok', [
            [1, 'a'],
            [2, 'b'],
          ]),
          workflow('flow-bad', [
            [1, 'c'],
            [2, 'nobody'],
          ]),
          workflow('in-a', [[1, 'a']]),
        ],
        settings: { skipContentTypes: ['in-c'] },
      }),
    );
    // The settings come first: skipping in-c is kept, and worker c, which takes in-c, is left out.
    expect(codesAndPaths(plan.errors)).toEqual([
      ['InvalidValueError', 'workers[0].workerType'],
      ['SkippedContentTypeError', 'workers[3].contentTypeInputs[0]'],
      ['NotExistingWorkerError', 'workflows[1].steps[0].workerType'],
      ['NotExistingWorkerError', 'workflows[1].steps[1].workerType'],
      ['DuplicatedWorkflowTypesError', 'workflows[2].workflowType'],
    ]);
    expect(plan.config?.workers.map((w) => w.workerType)).toEqual(['a', 'b']);
    expect(plan.config?.workflows.map((w) => w.workflowType)).toEqual(['flow-ok']);
    expect(plan.config?.settings.skipContentTypes).toEqual(['in-c']);
  });

  it('keeps nothing when every item is bad, not even the reset the file asked for', () => {
    const current = expectOk(planImport(EMPTY_TENANT_CONFIG, anImport({ workers: [worker('kept', ['k'])] })));
    const plan = planPartialImport(current, anImport({ resetBeforeImport: true, workers: [worker('', ['x'])] }));
    expect(plan.config).toBeUndefined();
    expect(codesAndPaths(plan.errors)).toEqual([['InvalidValueError', 'workers[0].workerType']]);
    expect(planPartialImport(current, anImport({ resetBeforeImport: true })).config?.workers).toEqual([]);
  });
});
