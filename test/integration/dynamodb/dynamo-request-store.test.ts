import { afterAll, beforeAll } from 'vitest';
import { DynamoRequestStore } from '../../../shared/adapters/dynamodb/dynamo-request-store.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { describeRequestStoreContract } from '../../support/store-contract/request-store-contract.js';

let fixture: DynaliteFixture;
beforeAll(async () => {
  fixture = await startDynalite();
});
afterAll(async () => {
  await fixture.close();
});

describeRequestStoreContract('DynamoRequestStore', () => new DynamoRequestStore(fixture.client, fixture.tableName));
