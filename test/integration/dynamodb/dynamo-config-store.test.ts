import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoConfigStore } from '../../../shared/adapters/dynamodb/dynamo-config-store.js';
import { TenantKeys } from '../../../shared/adapters/dynamodb/keys.js';
import { CorruptItemError } from '../../../shared/adapters/dynamodb/request-item.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { describeConfigStoreContract, sampleConfig } from '../../support/store-contract/config-store-contract.js';
import { recordCommands } from '../../support/store-contract/recording-client.js';
import { uniqueTenant } from '../../support/store-contract/requests.js';

let fixture: DynaliteFixture;
beforeAll(async () => {
  fixture = await startDynalite();
});
afterAll(async () => {
  await fixture.close();
});

describeConfigStoreContract('DynamoConfigStore', () => new DynamoConfigStore(fixture.client, fixture.tableName));

describe('DynamoConfigStore on dynalite', () => {
  it('keeps the whole configuration in one item with its version outside for the condition', async () => {
    const store = new DynamoConfigStore(fixture.client, fixture.tableName);
    const tenant = uniqueTenant();
    await store.put(tenant, sampleConfig(3), null);
    const { Item } = await fixture.client.send(new GetCommand({ TableName: fixture.tableName, Key: TenantKeys.config(tenant) }));
    expect(Item).toMatchObject({ ...TenantKeys.config(tenant), tenant, version: 3, config: { version: 3 } });
  });

  it('refuses a stored configuration that does not validate', async () => {
    const store = new DynamoConfigStore(fixture.client, fixture.tableName);
    const tenant = uniqueTenant();
    await fixture.client.send(
      new PutCommand({ TableName: fixture.tableName, Item: { ...TenantKeys.config(tenant), version: 1, config: { workers: 'nope', version: 1 } } }),
    );
    const error = await store.get(tenant).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptItemError);
    expect((error as Error).message).toContain(tenant);
  });

  it('registers a tenant once per warm process and batches the writes', async () => {
    const client = fixture.newClient();
    const recorder = recordCommands(client);
    const store = new DynamoConfigStore(client, fixture.tableName);
    const base = uniqueTenant('batch');
    const tenants = Array.from({ length: 60 }, (_, i) => `${base}-${i}`);
    await store.registerTenants(tenants);
    expect(recorder.commands().filter((c) => c instanceof BatchWriteCommand)).toHaveLength(3);
    recorder.reset();
    await store.registerTenants(tenants.slice(0, 10));
    expect(recorder.commands()).toHaveLength(0);
  });

  it('remembers at most maxRemembered registered tenants: a forgotten one is written again (idempotent)', async () => {
    const client = fixture.newClient();
    const recorder = recordCommands(client);
    const store = new DynamoConfigStore(client, fixture.tableName, { maxRemembered: 5 });
    const base = uniqueTenant('bounded');
    const tenants = Array.from({ length: 20 }, (_, i) => `${base}-${i}`);
    await store.registerTenants(tenants);
    recorder.reset();
    await store.registerTenants(tenants.slice(-5));
    expect(recorder.commands()).toHaveLength(0);
    await store.registerTenants(tenants.slice(0, 1));
    expect(recorder.commands().filter((c) => c instanceof BatchWriteCommand)).toHaveLength(1);
    expect((await store.listTenants()).filter((tenant) => tenant.startsWith(base))).toHaveLength(20);
  });

  it('follows every page of the registry partition', async () => {
    const client = fixture.newClient();
    const base = uniqueTenant('paged');
    const tenants = Array.from({ length: 45 }, (_, i) => `${base}-${String(i).padStart(2, '0')}`);
    await new DynamoConfigStore(client, fixture.tableName).registerTenants(tenants);
    // Force small pages: the loop must follow LastEvaluatedKey to the end.
    const send = client.send.bind(client);
    // send's overloads include a callback form returning void; this mock stands in for the promise form only.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    const spy = vi.spyOn(client, 'send').mockImplementation(((command: object) => {
      if (command instanceof QueryCommand) command.input.Limit = 10;
      return send(command as QueryCommand);
    }) as typeof client.send);
    const listed = await new DynamoConfigStore(client, fixture.tableName).listTenants();
    expect(listed.filter((tenant) => tenant.startsWith(base))).toEqual(tenants);
    expect(spy.mock.calls.length).toBeGreaterThan(4);
    spy.mockRestore();
  });
});
