import { describe, expect, it } from 'vitest';
import { EnvironmentError, MqFunctionEnvSchema, parseEnv } from '../../../shared/lambda/env.js';
import { BrokerTopologyEnvSchema } from '../../../functions/broker-topology/env.js';

describe('function environments', () => {
  const base = { TABLE_NAME: 'wm' };

  it('reads the settings JSON with defaults, and the local broker when none is named', () => {
    const env = parseEnv(MqFunctionEnvSchema, { ...base, WM_SETTINGS: '{"heartbeatExpirySeconds": 30}' });
    expect(env.WM_SETTINGS.heartbeatExpirySeconds).toBe(30);
    expect(env.WM_SETTINGS.names.workerResponse).toBe('regards.worker.manager.response');
    expect(env.AMQP_URL).toBeUndefined();
  });

  it('refuses half of the AWS broker pair in every schema holding the broker variables', () => {
    for (const schema of [MqFunctionEnvSchema, BrokerTopologyEnvSchema]) {
      expect(() => parseEnv(schema, { ...base, AMQP_ENDPOINT: 'amqps://b-1.mq.eu-west-1.amazonaws.com:5671' })).toThrow(/AMQP_SECRET_ARN/);
    }
  });

  it('names the variable that is wrong, and says the settings are not JSON', () => {
    expect(() => parseEnv(MqFunctionEnvSchema, { WM_SETTINGS: '{nope' })).toThrow(EnvironmentError);
    try {
      parseEnv(MqFunctionEnvSchema, { WM_SETTINGS: '{nope' });
    } catch (error) {
      expect(String((error as Error).message)).toMatch(/TABLE_NAME/);
      expect(String((error as Error).message)).toMatch(/not JSON/);
    }
  });
});
