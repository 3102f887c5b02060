import { describe, expect, it } from 'vitest';
import { REGARDS_CONFIG_KEYS } from '../../../../shared/contract/config-file.js';
import { detectConfigFileFormat, importConfigFile, parseConfigFile, type ConfigFileParse } from '../../../../shared/domain/config/config-file-reader.js';
import { toNativeConfigFile, toRegardsConfigFile } from '../../../../shared/domain/config/config-file-writer.js';
import type { ConfigImport } from '../../../../shared/domain/config/import-config.js';
import { planImport } from '../../../../shared/domain/config/import-config.js';
import { EMPTY_TENANT_CONFIG, type TenantConfig } from '../../../../shared/domain/config/tenant-config.js';
import { REFERENCE_EXAMPLE_FILE, REGARDS_DOCS_EXAMPLE_FILE, codesAndPaths, configured, expectErrors, expectOk, worker, workflow } from './fixtures.js';

function parsed(result: ConfigFileParse): ConfigImport {
  if (!result.ok) throw new Error(`expected a readable file, got ${JSON.stringify(result.errors, null, 2)}`);
  return result.import;
}

function parseErrors(result: ConfigFileParse) {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  return result.errors;
}

/** A REGARDS file with the given configuration items, as a client would send it. */
function regardsFile(configuration: Array<{ key: string; value: unknown }>, resetBeforeImport = false) {
  return { microservice: 'rs-worker-manager', modules: [{ module: { id: 'workermanager' }, resetBeforeImport, configuration }] };
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('REGARDS microservice-configuration file', () => {
  it('reads the reference example (section 6.1) and imports it', () => {
    const result = parseConfigFile(REFERENCE_EXAMPLE_FILE);
    expect(result.ok && result.format).toBe('regards');
    const configImport = parsed(result);
    expect(configImport.resetBeforeImport).toBe(true);
    expect(configImport.settings).toEqual({ skipContentTypes: ['ignored-type'] });
    expect(configImport.workers).toHaveLength(2);
    expect(configImport.workflows).toHaveLength(1);

    const config = expectOk(planImport(configured({ workers: [worker('old', ['old'])] }), configImport));
    expect(config.settings.skipContentTypes).toEqual(['ignored-type']);
    expect(config.workers).toMatchObject([
      { workerType: 'extract-worker', contentTypeInputs: ['to-extract'], contentTypeOutput: 'extracted', keepErrors: true },
      { workerType: 'sip-worker', contentTypeInputs: ['extracted'], contentTypeOutput: 'sip', keepErrors: false },
    ]);
    expect(config.workflows).toEqual([
      {
        workflowType: 'lta-request',
        keepErrors: true,
        steps: [
          { stepNumber: 1, workerType: 'extract-worker' },
          { stepNumber: 2, workerType: 'sip-worker' },
        ],
      },
    ]);
  });

  it('imports the REGARDS documentation example, whose last worker has no output (quirk fix (c))', () => {
    const config = expectOk(importConfigFile(EMPTY_TENANT_CONFIG, REGARDS_DOCS_EXAMPLE_FILE));
    expect(config.workers.map((w) => w.workerType)).toEqual(['lta-product-zip-extraction-worker', 'lta-sip-generator-worker', 'delete-files-worker']);
    expect(config.workers[1]).not.toHaveProperty('contentTypeOutput');
    expect(config.workflows[0]?.steps.map((s) => s.workerType)).toEqual(['lta-product-zip-extraction-worker', 'lta-sip-generator-worker']);
  });

  it('reads resetBeforeImport, false when absent', () => {
    expect(parsed(parseConfigFile(regardsFile([]))).resetBeforeImport).toBe(false);
    const withoutReset = { modules: [{ module: { id: 'workermanager' }, configuration: [] }] };
    expect(parsed(parseConfigFile(withoutReset)).resetBeforeImport).toBe(false);
    expect(parsed(parseConfigFile(regardsFile([], true))).resetBeforeImport).toBe(true);
  });

  it('accepts our extension fields on WorkerConfigDto values', () => {
    const file = regardsFile([
      {
        key: REGARDS_CONFIG_KEYS.worker,
        value: { workerType: 'w', contentTypeInputs: ['a'], retry: { maxAttempts: 3 }, deadlines: { timeToStartSeconds: 120 } },
      },
    ]);
    const config = expectOk(importConfigFile(EMPTY_TENANT_CONFIG, file));
    expect(config.workers[0]?.retry.maxAttempts).toBe(3);
    expect(config.workers[0]?.deadlines.timeToStartSeconds).toBe(120);
  });

  it('reports an unknown configuration key', () => {
    const file = regardsFile([
      { key: REGARDS_CONFIG_KEYS.worker, value: { workerType: 'w', contentTypeInputs: ['a'] } },
      { key: 'fr.cnes.regards.modules.workermanager.dto.SomethingElse', value: {} },
    ]);
    const errors = parseErrors(parseConfigFile(file));
    expect(codesAndPaths(errors)).toEqual([['UnknownConfigKeyError', 'modules[0].configuration[1].key']]);
    // The whole import is refused too, not just the unknown item.
    expect(codesAndPaths(expectErrors(importConfigFile(EMPTY_TENANT_CONFIG, file)))).toEqual([['UnknownConfigKeyError', 'modules[0].configuration[1].key']]);
  });

  it('reports unknown, missing and repeated modules', () => {
    const other = { module: { id: 'other' }, resetBeforeImport: false, configuration: [] };
    const mine = { module: { id: 'workermanager' }, configuration: [] };
    expect(codesAndPaths(parseErrors(parseConfigFile({ microservice: 'x', modules: [other] })))).toEqual([
      ['UnknownModuleError', 'modules[0].module.id'],
      ['MissingModuleError', 'modules'],
    ]);
    expect(codesAndPaths(parseErrors(parseConfigFile({ modules: [mine, mine] })))).toEqual([['ModuleDeclaredTwiceError', 'modules[1].module.id']]);
  });

  it('reads skipContentTypes from a JSON string holding a list, or from a plain list', () => {
    const asString = regardsFile([
      { key: REGARDS_CONFIG_KEYS.setting, value: { name: 'skipContentTypes', value: '["a","b"]', className: 'java.util.ArrayList' } },
    ]);
    expect(parsed(parseConfigFile(asString)).settings).toEqual({ skipContentTypes: ['a', 'b'] });
    const asList = regardsFile([{ key: REGARDS_CONFIG_KEYS.setting, value: { name: 'skipContentTypes', value: ['c'] } }]);
    expect(parsed(parseConfigFile(asList)).settings).toEqual({ skipContentTypes: ['c'] });
  });

  it('reports an unknown setting, a repeated one and a value that is not a JSON list', () => {
    const file = regardsFile([
      { key: REGARDS_CONFIG_KEYS.setting, value: { name: 'maxThings', value: '3' } },
      { key: REGARDS_CONFIG_KEYS.setting, value: { name: 'skipContentTypes', value: '["a"' } },
      { key: REGARDS_CONFIG_KEYS.setting, value: { name: 'skipContentTypes', value: '[]' } },
      { key: REGARDS_CONFIG_KEYS.setting, value: { value: '[]' } },
    ]);
    expect(codesAndPaths(parseErrors(parseConfigFile(file)))).toEqual([
      ['UnknownSettingError', 'modules[0].configuration[0].value.name'],
      ['InvalidSettingValueError', 'modules[0].configuration[1].value.value'],
      ['SettingDeclaredTwiceError', 'modules[0].configuration[2].value.name'],
      ['InvalidSettingValueError', 'modules[0].configuration[3].value.name'],
    ]);
    const notAList = regardsFile([{ key: REGARDS_CONFIG_KEYS.setting, value: { name: 'skipContentTypes', value: '"a"' } }]);
    expect(codesAndPaths(parseErrors(parseConfigFile(notAList)))).toEqual([['InvalidSettingValueError', 'modules[0].configuration[0].value.value']]);
  });

  it('refuses a broken envelope', () => {
    expect(codesAndPaths(parseErrors(parseConfigFile({ modules: 'x' })))).toEqual([['InvalidConfigFileError', 'modules']]);
    expect(codesAndPaths(parseErrors(parseConfigFile({ modules: [{ module: {}, configuration: [{ value: 1 }] }] })))).toEqual([
      ['InvalidConfigFileError', 'modules[0].module.id'],
      ['InvalidConfigFileError', 'modules[0].configuration[0].key'],
    ]);
  });

  it('points rule errors at the file: item, field and skipped content type', () => {
    const file = regardsFile([
      { key: REGARDS_CONFIG_KEYS.setting, value: { name: 'skipContentTypes', value: '["x", "  "]' } },
      { key: 'unknown.Key', value: {} },
      { key: REGARDS_CONFIG_KEYS.worker, value: { workerType: 'a', contentTypeInputs: ['x'] } },
      { key: REGARDS_CONFIG_KEYS.workflow, value: { workflowType: 'f', steps: [{ stepNumber: 0, workerType: 'ghost' }] } },
    ]);
    expect(codesAndPaths(expectErrors(importConfigFile(EMPTY_TENANT_CONFIG, file)))).toEqual([
      ['UnknownConfigKeyError', 'modules[0].configuration[1].key'],
      ['InvalidValueError', 'modules[0].configuration[0].value.value[1]'],
      ['NotExistingWorkerError', 'modules[0].configuration[3].value.steps[0].workerType'],
    ]);
    // With a valid skip list, the worker using a skipped content type is pointed at.
    const skipped = regardsFile([
      { key: REGARDS_CONFIG_KEYS.setting, value: { name: 'skipContentTypes', value: '["x"]' } },
      { key: REGARDS_CONFIG_KEYS.worker, value: { workerType: 'a', contentTypeInputs: ['y', 'x'] } },
    ]);
    expect(codesAndPaths(expectErrors(importConfigFile(EMPTY_TENANT_CONFIG, skipped)))).toEqual([
      ['SkippedContentTypeError', 'modules[0].configuration[1].value.contentTypeInputs[1]'],
    ]);
  });
});

describe('native file', () => {
  const native = {
    format: 'worker-manager/v1',
    settings: { skipContentTypes: ['s'] },
    workers: [worker('a', ['x'], 'y'), worker('b', ['y'])],
    workflows: [
      workflow('f', [
        [0, 'a'],
        [1, 'b'],
      ]),
    ],
  };

  it('is detected by its format field and imported', () => {
    expect(detectConfigFileFormat(native)).toBe('native');
    expect(detectConfigFileFormat(REFERENCE_EXAMPLE_FILE)).toBe('regards');
    const result = parseConfigFile(native);
    expect(result.ok && result.format).toBe('native');
    const configImport = parsed(result);
    expect(configImport.resetBeforeImport).toBe(false);
    const config = expectOk(planImport(EMPTY_TENANT_CONFIG, configImport));
    expect(config.workers.map((w) => w.workerType)).toEqual(['a', 'b']);
    expect(config.settings.skipContentTypes).toEqual(['s']);
  });

  it('takes workers and workflows as empty when absent (a settings-only file)', () => {
    const configImport = parsed(parseConfigFile({ format: 'worker-manager/v1', settings: { skipContentTypes: [] } }));
    expect(configImport.workers).toEqual([]);
    expect(configImport.workflows).toEqual([]);
  });

  it('refuses another format version and unknown top-level fields', () => {
    expect(codesAndPaths(parseErrors(parseConfigFile({ ...native, format: 'worker-manager/v2' })))).toEqual([['InvalidConfigFileError', 'format']]);
    expect(codesAndPaths(parseErrors(parseConfigFile({ ...native, worker: [] })))).toEqual([['InvalidConfigFileError', 'worker']]);
  });

  it('keeps planImport paths, which are already file paths', () => {
    const errors = expectErrors(importConfigFile(EMPTY_TENANT_CONFIG, { ...native, workers: [worker('a', ['x'], 'y')] }));
    expect(codesAndPaths(errors)).toEqual([['NotExistingWorkerError', 'workflows[0].steps[1].workerType']]);
  });

  it('refuses what is neither format', () => {
    for (const json of [null, 'text', [], { microservice: 'rs-worker-manager' }]) {
      expect(codesAndPaths(parseErrors(parseConfigFile(json)))).toEqual([['InvalidConfigFileError', '']]);
    }
  });
});

describe('export', () => {
  const config: TenantConfig = configured({
    settings: { skipContentTypes: ['ignored', 'also-ignored'] },
    workers: [
      worker('extract', ['to-extract', 'extract-again'], 'extracted', {
        keepErrors: false,
        retry: { maxAttempts: 4, initialDelaySeconds: 5, multiplier: 3, maxDelaySeconds: 600, jitter: 0, retryOn: ['TIMEOUT'] },
      }),
      worker('sip', ['extracted'], 'sip', { deadlines: { timeToStartSeconds: 60, timeToCompleteSeconds: 600 } }),
      worker('store', ['sip']),
    ],
    workflows: [
      workflow('tens', [
        [0, 'extract'],
        [10, 'sip'],
        [20, 'store'],
      ]),
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
  const current = configured({ workers: [worker('to-be-replaced', ['zzz'])] });

  it('REGARDS: export → parse → planImport gives back an equal configuration', () => {
    const file = clone(toRegardsConfigFile(config));
    const result = planImport(current, parsed(parseConfigFile(file)));
    expect(expectOk(result)).toEqual({ ...config, version: current.version + 1 });
  });

  it('native: export → parse → planImport gives back an equal configuration', () => {
    const file = clone(toNativeConfigFile(config));
    const result = planImport(current, parsed(parseConfigFile(file)));
    expect(expectOk(result)).toEqual({ ...config, version: current.version + 1 });
  });

  it('the empty configuration survives the round trip too', () => {
    for (const file of [toRegardsConfigFile(EMPTY_TENANT_CONFIG), toNativeConfigFile(EMPTY_TENANT_CONFIG)]) {
      const result = expectOk(planImport(current, parsed(parseConfigFile(clone(file)))));
      expect(result).toEqual({ ...EMPTY_TENANT_CONFIG, version: current.version + 1 });
    }
  });

  it('REGARDS: writes the REGARDS shape, the setting as a JSON string, extensions only when not default', () => {
    const file = toRegardsConfigFile(config);
    expect(file.microservice).toBe('rs-worker-manager');
    const mod = file.modules[0];
    expect(mod?.module.id).toBe('workermanager');
    expect(mod?.resetBeforeImport).toBe(true);
    expect(mod?.configuration.map((item) => item.key)).toEqual([
      REGARDS_CONFIG_KEYS.setting,
      REGARDS_CONFIG_KEYS.worker,
      REGARDS_CONFIG_KEYS.worker,
      REGARDS_CONFIG_KEYS.worker,
      REGARDS_CONFIG_KEYS.workflow,
      REGARDS_CONFIG_KEYS.workflow,
    ]);
    expect(mod?.configuration[0]?.value).toMatchObject({
      name: 'skipContentTypes',
      value: '["ignored","also-ignored"]',
      className: 'java.util.ArrayList',
    });
    expect(mod?.configuration[1]?.value).toHaveProperty('retry');
    expect(mod?.configuration[1]?.value).not.toHaveProperty('deadlines');
    expect(mod?.configuration[2]?.value).toHaveProperty('deadlines');
    expect(mod?.configuration[3]?.value).toEqual({ workerType: 'store', contentTypeInputs: ['sip'], keepErrors: true });
  });

  it('lets the caller export without reset', () => {
    expect(toRegardsConfigFile(config, { resetBeforeImport: false }).modules[0]?.resetBeforeImport).toBe(false);
    expect(toNativeConfigFile(config, { resetBeforeImport: false }).resetBeforeImport).toBe(false);
    expect(toNativeConfigFile(config).resetBeforeImport).toBe(true);
  });

  it('native: writes every field, defaults included', () => {
    const file = toNativeConfigFile(config);
    expect(file.format).toBe('worker-manager/v1');
    expect(file.workers[2]).toHaveProperty('retry');
    expect(file.workers[2]).toHaveProperty('deadlines');
    expect(file.settings).toEqual({ skipContentTypes: ['ignored', 'also-ignored'] });
  });
});
