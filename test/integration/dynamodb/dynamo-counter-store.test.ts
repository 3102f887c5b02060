import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCounterStore } from '../../../shared/adapters/dynamodb/dynamo-counter-store.js';
import { CounterKeys } from '../../../shared/adapters/dynamodb/keys.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { describeCounterStoreContract } from '../../support/store-contract/counter-store-contract.js';
import { recordCommands } from '../../support/store-contract/recording-client.js';
import { uniqueTenant } from '../../support/store-contract/requests.js';

let fixture: DynaliteFixture;
beforeAll(async () => {
  fixture = await startDynalite();
});
afterAll(async () => {
  await fixture.close();
});

describeCounterStoreContract('DynamoCounterStore', () => {
  const client = fixture.newClient();
  const recorder = recordCommands(client);
  return {
    store: new DynamoCounterStore(client, fixture.tableName),
    writes: () => recorder.commands().filter((command) => command instanceof UpdateCommand).length,
  };
});

describe('DynamoCounterStore on dynalite', () => {
  it('writes one ADD per session, counters as top-level "c:" attributes named through placeholders', async () => {
    const client = fixture.newClient();
    const recorder = recordCommands(client);
    const store = new DynamoCounterStore(client, fixture.tableName);
    const tenant = uniqueTenant();
    await store.apply([
      { tenant, source: 'o', session: 's', property: 'workers.extract.dispatched', delta: 2 },
      { tenant, source: 'o', session: 's', property: 'workers.requests', delta: 1 },
    ]);
    const [update] = recorder.commands().filter((command) => command instanceof UpdateCommand) as UpdateCommand[];
    expect(update?.input.UpdateExpression).toMatch(/ADD #c0 :c0, #c1 :c1$/);
    expect(update?.input.UpdateExpression).not.toContain('workers');
    const { Item } = await fixture.client.send(new GetCommand({ TableName: fixture.tableName, Key: CounterKeys.session(tenant, 'o', 's') }));
    expect(Item).toMatchObject({ tenant, source: 'o', session: 's', 'c:workers.extract.dispatched': 2, 'c:workers.requests': 1 });
  });
});
