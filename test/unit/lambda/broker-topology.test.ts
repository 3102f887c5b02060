import { afterEach, describe, expect, it } from 'vitest';
import { brokerEndpoints, handleTopologyEvent, TopologyEventSchema } from '../../../functions/broker-topology/handler.js';
import { ensureVirtualHost, managementUrlOf } from '../../../functions/broker-topology/virtual-host.js';
import { BrokerUserError, ensureBrokerUsers } from '../../../functions/broker-topology/broker-users.js';
import { ManagementApiError, ManagementClient, type Fetch } from '../../../shared/amqp-kit/management.js';
import { DEFAULT_MANAGER_SETTINGS, topologyOptions } from '../../../shared/contract/manager-settings.js';
import { managerTopology } from '../../../shared/contract/topology.js';
import { DEFAULT_WIRE_NAMES } from '../../../shared/contract/wire-names.js';
import { clearAmqpUrlCache, type SecretReader } from '../../../shared/lambda/broker-url.js';
import { CapturingLogger } from '../../support/capturing-logger.js';

const ENDPOINT = 'amqps://b-1234.mq.eu-west-3.amazonaws.com:5671';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:broker-AbCdEf';
const secrets: SecretReader = { getSecretString: async () => JSON.stringify({ username: 'worker-manager', password: 'pw' }) };

const properties = {
  ServiceToken: 'arn:aws:lambda:eu-west-3:123456789012:function:provider',
  Topology: JSON.stringify(managerTopology(DEFAULT_WIRE_NAMES, topologyOptions(DEFAULT_MANAGER_SETTINGS))),
  BrokerId: 'b-1234',
  VirtualHost: '/',
};

/** A fetch that records its calls and answers each with the next status. */
function recordingFetch(statuses: number[]): Fetch & { calls: { url: string; method: string; body: unknown; authorization: string | undefined }[] } {
  const calls: { url: string; method: string; body: unknown; authorization: string | undefined }[] = [];
  const fetchFn: Fetch = async (url, init) => {
    calls.push({ url, method: init.method, body: init.body === undefined ? undefined : JSON.parse(init.body), authorization: init.headers['authorization'] });
    const status = statuses.shift() ?? 500;
    return { ok: status >= 200 && status < 300, status, text: async () => `status ${status}` };
  };
  return Object.assign(fetchFn, { calls });
}

describe('Function: handleTopologyEvent', () => {
  it('keeps every queue on Delete and never connects to the broker', async () => {
    // Prepare
    let connects = 0;
    const logger = new CapturingLogger();
    // Act
    const result = await handleTopologyEvent(
      { RequestType: 'Delete', PhysicalResourceId: 'broker-topology:b-1234:/', ResourceProperties: { anything: 'old' } },
      {
        logger,
        connect: async () => {
          connects += 1;
          throw new Error('must not connect');
        },
      },
    );
    // Assess
    expect(result).toEqual({ PhysicalResourceId: 'broker-topology:b-1234:/' });
    expect(connects).toBe(0);
    expect(logger.entries.map((entry) => entry.message)).toContain('topology kept on delete');
  });

  it('rejects a Create whose properties are not a topology, before connecting', async () => {
    let connects = 0;
    const deps = {
      logger: new CapturingLogger(),
      connect: async () => {
        connects += 1;
        throw new Error('must not connect');
      },
    };
    const unnamed = JSON.stringify({ exchanges: [], queues: [{ name: '', type: 'quorum', arguments: {} }], bindings: [] });
    await expect(handleTopologyEvent({ RequestType: 'Create', ResourceProperties: { ...properties, Topology: unnamed } }, deps)).rejects.toThrow();
    await expect(handleTopologyEvent({ RequestType: 'Create', ResourceProperties: { ...properties, Topology: '{}' } }, deps)).rejects.toThrow();
    await expect(handleTopologyEvent({ RequestType: 'Create', ResourceProperties: { ...properties, Topology: 'not json' } }, deps)).rejects.toThrow(/not JSON/);
    await expect(handleTopologyEvent({ RequestType: 'Update', ResourceProperties: properties }, deps)).rejects.toThrow();
    expect(connects).toBe(0);
  });

  it('reads back exactly the topology managerTopology describes, numbers included', () => {
    // Prepare
    const topology = managerTopology(DEFAULT_WIRE_NAMES, { deliveryLimit: 7, heartbeatTtlMs: 30_000 });
    // Act
    const parsed = TopologyEventSchema.parse({ RequestType: 'Create', ResourceProperties: { ...properties, Topology: JSON.stringify(topology) } });
    // Assess
    if (parsed.RequestType === 'Delete') throw new Error('unexpected Delete');
    expect(parsed.ResourceProperties.Topology).toEqual(topology);
  });
});

describe('Function: brokerEndpoints', () => {
  afterEach(() => clearAmqpUrlCache());

  it('creates a vhost other than / through the management API before connecting to it', async () => {
    // Prepare
    const fetchFn = recordingFetch([201, 204]);
    // Act
    const endpoints = await brokerEndpoints(
      { LOG_LEVEL: 'info', AMQP_ENDPOINT: ENDPOINT, AMQP_SECRET_ARN: SECRET_ARN, AMQP_VHOST: 'worker-manager' },
      { secrets, fetch: fetchFn },
    );
    // Assess
    expect(endpoints.management.url).toBe('https://b-1234.mq.eu-west-3.amazonaws.com');
    expect(endpoints.vhost).toBe('worker-manager');
    expect(endpoints.amqpUrl).toBe('amqps://worker-manager:pw@b-1234.mq.eu-west-3.amazonaws.com:5671/worker-manager');
    expect(fetchFn.calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'PUT https://b-1234.mq.eu-west-3.amazonaws.com/api/vhosts/worker-manager',
      'PUT https://b-1234.mq.eu-west-3.amazonaws.com/api/permissions/worker-manager/worker-manager',
    ]);
    expect(fetchFn.calls[1]?.body).toEqual({ configure: '.*', write: '.*', read: '.*' });
    expect(fetchFn.calls[0]?.authorization).toBe(`Basic ${Buffer.from('worker-manager:pw').toString('base64')}`);
  });

  it('leaves the default vhost and the local URL alone; locally the management API is on port 15672 or RABBITMQ_MANAGEMENT_URL', async () => {
    const fetchFn = recordingFetch([]);
    const aws = await brokerEndpoints(
      { LOG_LEVEL: 'info', AMQP_ENDPOINT: ENDPOINT, AMQP_SECRET_ARN: SECRET_ARN, AMQP_VHOST: '/' },
      { secrets, fetch: fetchFn },
    );
    const local = await brokerEndpoints({ LOG_LEVEL: 'info', AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672/wm', AMQP_VHOST: 'ignored' }, { fetch: fetchFn });
    const elsewhere = await brokerEndpoints({
      LOG_LEVEL: 'info',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
      AMQP_VHOST: '/',
      RABBITMQ_MANAGEMENT_URL: 'http://admin.local:8080',
    });
    expect(aws.amqpUrl).toBe('amqps://worker-manager:pw@b-1234.mq.eu-west-3.amazonaws.com:5671');
    expect([aws.vhost, local.vhost]).toEqual(['/', 'wm']);
    expect(local.amqpUrl).toBe('amqp://guest:guest@127.0.0.1:5672/wm');
    expect(local.management.url).toBe('http://127.0.0.1:15672');
    expect(elsewhere.management.url).toBe('http://admin.local:8080');
    expect(fetchFn.calls).toEqual([]);
  });
});

describe('Function: ensureVirtualHost', () => {
  it('fails with the status when the management API refuses', async () => {
    const fetchFn = recordingFetch([401]);
    const client = new ManagementClient({ url: 'https://host/', credentials: { username: 'u', password: 'p' } }, fetchFn);
    const error = await ensureVirtualHost(client, 'a/b', 'u').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as Error).message).toContain('401');
    expect(fetchFn.calls.map((call) => call.url)).toEqual(['https://host/api/vhosts/a%2Fb']);
  });

  it('derives the management URL from the AMQP endpoint host', () => {
    expect(managementUrlOf(ENDPOINT)).toBe('https://b-1234.mq.eu-west-3.amazonaws.com');
  });
});

describe('Function: ensureBrokerUsers', () => {
  const permissions = { configure: '^a$', write: '^a$', read: '^a$' };
  const client = (fetchFn: Fetch) => new ManagementClient({ url: 'https://host', credentials: { username: 'admin', password: 'p' } }, fetchFn);

  it('puts each user without a tag, then its permissions on the vhost', async () => {
    const fetchFn = recordingFetch([201, 201, 204, 204]);
    await ensureBrokerUsers(
      client(fetchFn),
      '/',
      [
        { username: 'wm-manager', password: 'm', permissions },
        { username: 'wm-clients', password: 'c', permissions },
      ],
      'admin',
    );
    expect(fetchFn.calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'PUT https://host/api/users/wm-manager',
      'PUT https://host/api/permissions/%2F/wm-manager',
      'PUT https://host/api/users/wm-clients',
      'PUT https://host/api/permissions/%2F/wm-clients',
    ]);
    expect(fetchFn.calls[0]?.body).toEqual({ password: 'm', tags: '' });
    expect(fetchFn.calls[1]?.body).toEqual(permissions);
  });

  it('never touches the administrator, nor gives one user two roles, before any call', async () => {
    const fetchFn = recordingFetch([]);
    await expect(ensureBrokerUsers(client(fetchFn), '/', [{ username: 'admin', password: 'x', permissions }], 'admin')).rejects.toThrow(BrokerUserError);
    await expect(
      ensureBrokerUsers(
        client(fetchFn),
        '/',
        [
          { username: 'same', password: 'x', permissions },
          { username: 'same', password: 'y', permissions },
        ],
        'admin',
      ),
    ).rejects.toThrow(/two roles/);
    expect(fetchFn.calls).toEqual([]);
  });
});
