import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoJobStore } from '../../../shared/adapters/dynamodb/dynamo-job-store.js';
import { DynamoRequestStore } from '../../../shared/adapters/dynamodb/dynamo-request-store.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { describeJobStoreContract } from '../../support/store-contract/job-store-contract.js';
import { describeRequestSearchContract, searchAll, searchOf } from '../../support/store-contract/request-search-contract.js';
import { at, makeRequest, uniqueTenant } from '../../support/store-contract/requests.js';

let fixture: DynaliteFixture;
beforeAll(async () => {
  fixture = await startDynalite();
});
afterAll(async () => {
  await fixture.close();
});

describeRequestSearchContract('DynamoRequestStore', () => new DynamoRequestStore(fixture.client, fixture.tableName));
describeJobStoreContract('DynamoJobStore', () => new DynamoJobStore(fixture.client, fixture.tableName));

describe('DynamoRequestStore.search on dynalite', () => {
  it('answers with Query calls on the status index only, never a Scan, and reads at most maxExamined entries per call', async () => {
    const client = fixture.newClient();
    const store = new DynamoRequestStore(client, fixture.tableName);
    const tenant = uniqueTenant();
    const requests = Array.from({ length: 300 }, (_, i) =>
      makeRequest(tenant, `r-${String(i).padStart(3, '0')}`, {
        creationDate: at(i),
        status: i % 2 === 0 ? 'ERROR' : 'SUCCESS',
        source: i === 299 ? 'needle' : 'hay',
      }),
    );
    await store.insertAll(requests);
    // Count the entries each Query returns by wrapping the client's send.
    const read: number[] = [];
    let callRead = 0;
    const realSend = client.send.bind(client);
    const spy = vi.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
      const output = (await realSend(command as never)) as { Items?: unknown[] };
      if (command instanceof QueryCommand) callRead += output.Items?.length ?? 0;
      return output;
    }) as never);
    const search = searchOf({ source: 'needle' });
    const { items, pages } = await (async () => {
      const found: string[] = [];
      let cursor: string | undefined;
      let count = 0;
      do {
        callRead = 0;
        const page = await store.search(tenant, search, { limit: 10, cursor, maxExamined: 50 });
        read.push(callRead);
        found.push(...page.items.map((item) => item.requestId));
        cursor = page.cursor;
        count += 1;
      } while (cursor !== undefined);
      return { items: found, pages: count };
    })();
    expect(items).toEqual(['r-299']);
    expect(pages).toBeGreaterThan(5);
    expect(Math.max(...read)).toBeLessThanOrEqual(50);
    const commands = spy.mock.calls.map((call) => call[0]);
    expect(commands.some((command) => command instanceof ScanCommand)).toBe(false);
    expect(commands.every((command) => command instanceof QueryCommand && command.input.IndexName === 'by-status')).toBe(true);
    spy.mockRestore();
  });

  it('pages through 2,000 requests spread over statuses and shards exactly once', async () => {
    const store = new DynamoRequestStore(fixture.client, fixture.tableName);
    const tenant = uniqueTenant();
    const statuses = ['ERROR', 'NO_WORKER_AVAILABLE', 'DISPATCHED', 'RUNNING'] as const;
    const requests = Array.from({ length: 2_000 }, (_, i) => makeRequest(tenant, `b-${i}`, { creationDate: at(i % 97), status: statuses[i % 4] }));
    await store.insertAll(requests);
    const { items } = await searchAll(store, tenant, searchOf({}, 'desc'), { limit: 333 });
    expect(items).toHaveLength(2_000);
    expect(new Set(items.map((item) => item.requestId)).size).toBe(2_000);
  });
});
