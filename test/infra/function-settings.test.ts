import { describe, expect, it } from 'vitest';
import { DEPLOYED_FUNCTIONS, functionSettings, type DeployedFunction } from '../../infra/aws/config/function-settings.js';
import { logicalId, resourcesOf, synthEnvironment } from './synth.js';

// The CDK stack and the LocalStack build read the same per-function settings (point 8 of issue 14).

const CONSTRUCTS: Record<DeployedFunction, string> = {
  'register-requests': 'RegisterRequests',
  'handle-worker-responses': 'HandleWorkerResponses',
  'record-heartbeats': 'RecordHeartbeats',
  'handle-worker-dead-letters': 'HandleWorkerDeadLetters',
  'handle-session-deletions': 'HandleSessionDeletions',
  sweep: 'Sweep',
  'admin-api': 'AdminApi',
  'run-bulk-jobs': 'AdminApiRunBulkJobs',
  'broker-topology': 'BrokerTopologyHandler',
};

describe('functionSettings: one source for the CDK stack and the LocalStack build', () => {
  for (const environment of ['dev', 'prod'] as const) {
    it(`gives every ${environment} function the timeout, memory and configured variables functionSettings lists`, () => {
      const synthesized = synthEnvironment(environment, environment === 'dev' ? { functions: { bulkJobsMaxPages: 40 }, api: { maxBodyBytes: 2048 } } : {});
      const settings = functionSettings(synthesized.config);
      const functions = resourcesOf(synthesized.stateless, 'AWS::Lambda::Function');
      for (const name of DEPLOYED_FUNCTIONS) {
        const properties = functions[logicalId(synthesized.stateless, 'AWS::Lambda::Function', `${CONSTRUCTS[name]}Function`)]!.Properties!;
        expect(properties['Timeout'], name).toBe(settings[name].timeoutSeconds);
        expect(properties['MemorySize'], name).toBe(settings[name].memorySizeMb);
        expect((properties['Environment'] as { Variables: Record<string, unknown> }).Variables, name).toMatchObject(settings[name].environment);
      }
      if (environment === 'dev') {
        expect(settings['run-bulk-jobs'].environment['BULK_JOB_MAX_PAGES']).toBe('40');
        expect(settings['admin-api'].environment['MAX_BODY_BYTES']).toBe('2048');
      }
      expect(settings['run-bulk-jobs'].timeoutSeconds).toBe(300);
    });
  }
});
