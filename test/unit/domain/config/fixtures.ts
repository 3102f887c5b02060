import { expect } from 'vitest';
import type { ConfigError } from '../../../../shared/domain/config/config-error.js';
import { planImport, type ConfigImport, type ImportPlan } from '../../../../shared/domain/config/import-config.js';
import { EMPTY_TENANT_CONFIG, type TenantConfig, type WorkerConfigInput, type WorkflowConfigInput } from '../../../../shared/domain/config/tenant-config.js';

/** The example file of the behaviour reference, section 6.1 (valid under the REGARDS code rules). */
export const REFERENCE_EXAMPLE_FILE = {
  microservice: 'rs-worker-manager',
  modules: [
    {
      module: { id: 'workermanager' },
      resetBeforeImport: true,
      configuration: [
        {
          key: 'fr.cnes.regards.framework.modules.tenant.settings.domain.DynamicTenantSetting',
          value: { name: 'skipContentTypes', value: '["ignored-type"]', className: 'java.util.ArrayList' },
        },
        {
          key: 'fr.cnes.regards.modules.workermanager.dto.WorkerConfigDto',
          value: { workerType: 'extract-worker', contentTypeInputs: ['to-extract'], contentTypeOutput: 'extracted' },
        },
        {
          key: 'fr.cnes.regards.modules.workermanager.dto.WorkerConfigDto',
          value: { workerType: 'sip-worker', contentTypeInputs: ['extracted'], contentTypeOutput: 'sip', keepErrors: false },
        },
        {
          key: 'fr.cnes.regards.modules.workermanager.dto.WorkflowConfigDto',
          value: {
            workflowType: 'lta-request',
            keepErrors: true,
            steps: [
              { stepNumber: 1, workerType: 'extract-worker' },
              { stepNumber: 2, workerType: 'sip-worker' },
            ],
          },
        },
      ],
    },
  ],
};

/**
 * The example of the REGARDS documentation (import-export.md): its last worker has no
 * contentTypeOutput, which REGARDS's own code rejects (quirk fix (c) accepts it).
 */
export const REGARDS_DOCS_EXAMPLE_FILE = {
  microservice: 'rs-worker-manager',
  modules: [
    {
      module: {
        id: 'workermanager',
        name: 'Worker Manager module',
        description: 'Dispatch request to workers',
        version: '1.8.0',
        author: 'REGARDS',
        legalOwner: 'CNES',
        documentation: 'https://github.com/RegardsOss',
      },
      resetBeforeImport: true,
      configuration: [
        {
          key: 'fr.cnes.regards.framework.modules.tenant.settings.domain.DynamicTenantSetting',
          value: {
            name: 'skipContentTypes',
            description: 'List of content-types to ignore for requests dispatch.',
            value: '[]',
            defaultValue: '[]',
            className: 'java.util.ArrayList',
          },
        },
        {
          key: 'fr.cnes.regards.modules.workermanager.dto.WorkflowConfigDto',
          value: {
            workflowType: 'lta-request',
            steps: [
              { stepNumber: 1, workerType: 'lta-product-zip-extraction-worker' },
              { stepNumber: 2, workerType: 'lta-sip-generator-worker' },
            ],
          },
        },
        {
          key: 'fr.cnes.regards.modules.workermanager.dto.WorkerConfigDto',
          value: {
            workerType: 'lta-product-zip-extraction-worker',
            contentTypeInputs: ['lta-to-extract-request'],
            contentTypeOutput: 'lta-extracted-request',
          },
        },
        {
          key: 'fr.cnes.regards.modules.workermanager.dto.WorkerConfigDto',
          value: { workerType: 'lta-sip-generator-worker', contentTypeInputs: ['lta-extracted-request'] },
        },
        {
          key: 'fr.cnes.regards.modules.workermanager.dto.WorkerConfigDto',
          value: { workerType: 'delete-files-worker', contentTypeInputs: ['delete-files-request'] },
        },
      ],
    },
  ],
};

export function worker(workerType: string, contentTypeInputs: string[], contentTypeOutput?: string, extra: Partial<WorkerConfigInput> = {}): WorkerConfigInput {
  return { workerType, contentTypeInputs, ...(contentTypeOutput === undefined ? {} : { contentTypeOutput }), ...extra };
}

export function workflow(
  workflowType: string,
  steps: Array<[stepNumber: number, workerType: string]>,
  extra: Partial<WorkflowConfigInput> = {},
): WorkflowConfigInput {
  return { workflowType, steps: steps.map(([stepNumber, workerType]) => ({ stepNumber, workerType })), ...extra };
}

export function anImport(partial: Partial<ConfigImport> = {}): ConfigImport {
  return { resetBeforeImport: false, workers: [], workflows: [], ...partial };
}

export function expectOk(plan: ImportPlan): TenantConfig {
  if (!plan.ok) throw new Error(`expected a valid import, got ${JSON.stringify(plan.errors, null, 2)}`);
  return plan.config;
}

export function expectErrors(plan: ImportPlan): ConfigError[] {
  expect(plan.ok).toBe(false);
  if (plan.ok) throw new Error('unreachable');
  // All or nothing: a refused import never carries a configuration.
  expect(plan).not.toHaveProperty('config');
  expect(plan.errors.length).toBeGreaterThan(0);
  return plan.errors;
}

/** A stored configuration built through a real import, so it is consistent by construction. */
export function configured(partial: Partial<ConfigImport>, from: TenantConfig = EMPTY_TENANT_CONFIG): TenantConfig {
  return expectOk(planImport(from, anImport({ resetBeforeImport: true, ...partial })));
}

/** `[code, path]` pairs, to assert on several errors at once without pinning the messages. */
export function codesAndPaths(errors: readonly ConfigError[]): Array<[string, string]> {
  return errors.map((e) => [e.code, e.path]);
}
