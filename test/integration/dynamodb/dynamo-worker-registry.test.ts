import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { DynamoWorkerRegistry } from '../../../shared/adapters/dynamodb/dynamo-worker-registry.js';
import { WorkerKeys } from '../../../shared/adapters/dynamodb/keys.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { recordCommands } from '../../support/store-contract/recording-client.js';
import { describeWorkerRegistryContract } from '../../support/store-contract/worker-registry-contract.js';

let fixture: DynaliteFixture;
beforeAll(async () => {
  fixture = await startDynalite();
});
afterAll(async () => {
  await fixture.close();
});

describeWorkerRegistryContract('DynamoWorkerRegistry', async () => {
  // An empty table per test: the WORKERS partition is global, not tenant-scoped.
  const tableName = await fixture.newTable();
  const recorders: ReturnType<typeof recordCommands>[] = [];
  return {
    create: (options) => {
      // One client per registry, as on separate hosts.
      const client = fixture.newClient();
      recorders.push(recordCommands(client));
      return new DynamoWorkerRegistry(client, tableName, options);
    },
    writes: () => {
      const commands = recorders.flatMap((recorder) => recorder.commands());
      return {
        types: commands.filter((c) => c instanceof UpdateCommand && c.input.Key?.pk === WorkerKeys.typesPartition).length,
        instances: commands.filter((c) => c instanceof PutCommand && String(c.input.Item?.sk).startsWith('I#')).length,
      };
    },
  };
});
