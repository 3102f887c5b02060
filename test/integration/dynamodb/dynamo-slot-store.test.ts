import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRequestStore } from '../../../shared/adapters/dynamodb/dynamo-request-store.js';
import { DynamoSlotStore } from '../../../shared/adapters/dynamodb/dynamo-slot-store.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { recordCommands } from '../../support/store-contract/recording-client.js';
import { describeSlotQueueContract, describeSlotStoreContract } from '../../support/store-contract/slot-store-contract.js';
import { uniqueTenant } from '../../support/store-contract/requests.js';

let fixture: DynaliteFixture;
beforeAll(async () => {
  fixture = await startDynalite();
});
afterAll(async () => {
  await fixture.close();
});

describeSlotStoreContract('DynamoSlotStore', () => new DynamoSlotStore(fixture.newClient(), fixture.tableName));
describeSlotQueueContract('DynamoRequestStore', () => new DynamoRequestStore(fixture.newClient(), fixture.tableName));

describe('DynamoSlotStore on dynalite', () => {
  it('takes a slot with one conditional write when there is room, and a refused take reads then retries once', async () => {
    const client = fixture.newClient();
    const recorder = recordCommands(client);
    const store = new DynamoSlotStore(client, fixture.tableName);
    const type = uniqueTenant('type');
    await store.take(type, 'a', 1, { maxInFlight: 2, maxInFlightPerTenant: 2 });
    expect(recorder.commands().filter((command) => command instanceof UpdateCommand)).toHaveLength(1);
    expect(await store.take(type, 'a', 3, { maxInFlight: 2, maxInFlightPerTenant: 2 })).toBe(1);
    expect(recorder.commands().filter((command) => command instanceof UpdateCommand)).toHaveLength(3);
  });

  it('never lets concurrent takes pass the limit', async () => {
    const store = new DynamoSlotStore(fixture.newClient(), fixture.tableName);
    const type = uniqueTenant('type');
    const taken = await Promise.all(Array.from({ length: 12 }, (_, index) => store.take(type, `t${index % 3}`, 1, { maxInFlight: 5 })));
    expect(taken.reduce((sum, count) => sum + count, 0)).toBeLessThanOrEqual(5);
    expect((await store.read(type)).total).toBeLessThanOrEqual(5);
  });
});
