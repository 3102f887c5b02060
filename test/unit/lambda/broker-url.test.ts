import { afterEach, describe, expect, it } from 'vitest';
import {
  brokerUrl,
  BrokerSecretError,
  clearAmqpUrlCache,
  readBrokerCredentials,
  resolveAmqpUrl,
  type SecretReader,
} from '../../../shared/lambda/broker-url.js';
import { AmqpEnvSchema, EnvironmentError, LOCAL_AMQP_URL, MqFunctionEnvSchema, parseEnv } from '../../../shared/lambda/env.js';

const ENDPOINT = 'amqps://b-1234-abcd.mq.eu-west-3.amazonaws.com:5671';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:broker-AbCdEf';

/** A Secrets Manager stand-in that counts its reads and answers from a map (or fails). */
function stubSecrets(values: Record<string, string | Error>): SecretReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async getSecretString(secretId) {
      reads.push(secretId);
      const value = values[secretId];
      if (value === undefined) throw new Error(`ResourceNotFoundException: ${secretId}`);
      if (value instanceof Error) throw value;
      return value;
    },
  };
}

const secret = (username: string, password: string) => JSON.stringify({ username, password });

describe('Function: resolveAmqpUrl', () => {
  afterEach(() => clearAmqpUrlCache());

  it('returns AMQP_URL as it is, without reading any secret', async () => {
    // Prepare
    const secrets = stubSecrets({});
    // Act
    const url = await resolveAmqpUrl({ AMQP_URL: 'amqp://u:p@rabbit:5672/%2Fvh', AMQP_ENDPOINT: ENDPOINT, AMQP_SECRET_ARN: SECRET_ARN }, { secrets });
    // Assess
    expect(url).toBe('amqp://u:p@rabbit:5672/%2Fvh');
    expect(secrets.reads).toEqual([]);
  });

  it('falls back to the local broker when nothing names one', async () => {
    const secrets = stubSecrets({});
    await expect(resolveAmqpUrl({}, { secrets })).resolves.toBe(LOCAL_AMQP_URL);
    expect(LOCAL_AMQP_URL).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(secrets.reads).toEqual([]);
  });

  it('builds the URL from the endpoint and the secret, percent-encoding the credentials', async () => {
    // Prepare
    const secrets = stubSecrets({ [SECRET_ARN]: secret('wm user', 'p@ss:w/rd%?#') });
    // Act
    const url = await resolveAmqpUrl({ AMQP_ENDPOINT: ENDPOINT, AMQP_SECRET_ARN: SECRET_ARN }, { secrets });
    // Assess
    expect(url).toBe('amqps://wm%20user:p%40ss%3Aw%2Frd%25%3F%23@b-1234-abcd.mq.eu-west-3.amazonaws.com:5671');
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.username)).toBe('wm user');
    expect(decodeURIComponent(parsed.password)).toBe('p@ss:w/rd%?#');
    expect(parsed.port).toBe('5671');
  });

  it('joins a vhost other than / to the path, encoded', async () => {
    const secrets = stubSecrets({ [SECRET_ARN]: secret('wm', 'pw') });
    const url = await resolveAmqpUrl({ AMQP_ENDPOINT: ENDPOINT, AMQP_SECRET_ARN: SECRET_ARN, AMQP_VHOST: 'tenant/prod' }, { secrets });
    expect(url).toBe('amqps://wm:pw@b-1234-abcd.mq.eu-west-3.amazonaws.com:5671/tenant%2Fprod');
  });

  it('reads the secret once per process, even for concurrent callers', async () => {
    // Prepare
    const secrets = stubSecrets({ [SECRET_ARN]: secret('wm', 'pw') });
    const env = { AMQP_ENDPOINT: ENDPOINT, AMQP_SECRET_ARN: SECRET_ARN };
    // Act
    const urls = await Promise.all([resolveAmqpUrl(env, { secrets }), resolveAmqpUrl(env, { secrets })]);
    const later = await resolveAmqpUrl(env, { secrets });
    // Assess
    expect(new Set([...urls, later]).size).toBe(1);
    expect(secrets.reads).toEqual([SECRET_ARN]);
  });

  it('forgets a failed read, so the next event tries again', async () => {
    // Prepare
    const values: Record<string, string | Error> = { [SECRET_ARN]: new Error('ThrottlingException') };
    const secrets = stubSecrets(values);
    const env = { AMQP_ENDPOINT: ENDPOINT, AMQP_SECRET_ARN: SECRET_ARN };
    // Act
    const first = resolveAmqpUrl(env, { secrets });
    // Assess
    await expect(first).rejects.toThrow(BrokerSecretError);
    await expect(first).rejects.toThrow(/ThrottlingException/);
    values[SECRET_ARN] = secret('wm', 'pw');
    await expect(resolveAmqpUrl(env, { secrets })).resolves.toContain('wm:pw@');
    expect(secrets.reads).toHaveLength(2);
  });

  it('refuses half of the AWS pair instead of falling back to the local broker', async () => {
    const secrets = stubSecrets({});
    await expect(resolveAmqpUrl({ AMQP_ENDPOINT: ENDPOINT }, { secrets })).rejects.toThrow(EnvironmentError);
    await expect(resolveAmqpUrl({ AMQP_SECRET_ARN: SECRET_ARN }, { secrets })).rejects.toThrow(/AMQP_ENDPOINT/);
    expect(secrets.reads).toEqual([]);
  });

  it('never puts the secret value in its errors', async () => {
    const password = 'hunter2-very-secret';
    const notJson = stubSecrets({ [SECRET_ARN]: `{"username":"wm","password":"${password}"` });
    const noUser = stubSecrets({ [SECRET_ARN]: JSON.stringify({ password }) });
    for (const secrets of [notJson, noUser]) {
      const error = await resolveAmqpUrl({ AMQP_ENDPOINT: ENDPOINT, AMQP_SECRET_ARN: SECRET_ARN }, { secrets }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BrokerSecretError);
      expect(String((error as Error).message)).not.toContain(password);
      clearAmqpUrlCache();
    }
    await expect(readBrokerCredentials(SECRET_ARN, { secrets: noUser })).rejects.toThrow(/username/);
  });
});

describe('Function: brokerUrl', () => {
  it('rejects an endpoint that already carries credentials or a path', () => {
    const credentials = { username: 'wm', password: 'pw' };
    expect(() => brokerUrl('amqps://a:b@host:5671', credentials)).toThrow(EnvironmentError);
    expect(() => brokerUrl('amqps://host:5671/vhost', credentials)).toThrow(/AMQP_VHOST/);
    expect(brokerUrl('amqps://host:5671/', credentials)).toBe('amqps://wm:pw@host:5671');
  });
});

describe('Schema: AmqpEnvSchema', () => {
  it('accepts the local form, the AWS form and nothing at all', () => {
    expect(AmqpEnvSchema.parse({}).AMQP_VHOST).toBe('/');
    expect(AmqpEnvSchema.parse({ AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672' }).AMQP_URL).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(AmqpEnvSchema.parse({ AMQP_ENDPOINT: ENDPOINT, AMQP_SECRET_ARN: SECRET_ARN, AMQP_VHOST: 'wm' })).toEqual({
      AMQP_ENDPOINT: ENDPOINT,
      AMQP_SECRET_ARN: SECRET_ARN,
      AMQP_VHOST: 'wm',
    });
  });

  it('rejects an endpoint without its secret, and the reverse, naming the missing variable', () => {
    const missingSecret = AmqpEnvSchema.safeParse({ AMQP_ENDPOINT: ENDPOINT });
    expect(missingSecret.success).toBe(false);
    expect(missingSecret.error?.issues[0]?.path).toEqual(['AMQP_SECRET_ARN']);
    const missingEndpoint = AmqpEnvSchema.safeParse({ AMQP_SECRET_ARN: SECRET_ARN });
    expect(missingEndpoint.error?.issues[0]?.path).toEqual(['AMQP_ENDPOINT']);
    expect(AmqpEnvSchema.safeParse({ AMQP_ENDPOINT: 'https://host' }).success).toBe(false);
    expect(AmqpEnvSchema.safeParse({ AMQP_ENDPOINT: ENDPOINT, AMQP_SECRET_ARN: 'broker-secret' }).success).toBe(false);
  });

  it('leaves a function environment without broker variables on the local broker', async () => {
    // Prepare: what the local host gives a function (no broker variable at all)
    const env = parseEnv(MqFunctionEnvSchema, { TABLE_NAME: 'wm' });
    // Act
    const url = await resolveAmqpUrl(env, { secrets: stubSecrets({}) });
    // Assess
    expect(url).toBe(LOCAL_AMQP_URL);
  });
});
