import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoRequestStore } from '../../../shared/adapters/dynamodb/dynamo-request-store.js';
import { RequestKeys } from '../../../shared/adapters/dynamodb/keys.js';
import { FINISHED_TRACE_SECONDS } from '../../../shared/ports/request-store.js';
import { TtlEmulator } from '../../../infra/local/ttl-emulator.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { eventually, startHarness } from '../../support/host-harness.js';
import { ManualClock } from '../../support/manual-clock.js';
import { makeRequest, uniqueTenant } from '../../support/store-contract/requests.js';

/*
 * The local stand-in for the table's TTL (dynalite has none): it deletes the items whose `ttl` has
 * passed, whatever they are (request traces, finished jobs, worker entries), and nothing else.
 */

const START = '2026-03-01T10:00:00.000Z';
const epoch = (iso: string, plusSeconds = 0) => Date.parse(iso) / 1000 + plusSeconds;

let fixture: DynaliteFixture;
beforeAll(async () => {
  fixture = await startDynalite();
});
afterAll(async () => {
  await fixture.close();
});

async function exists(tableName: string, key: Record<string, string>, client: DynamoDBDocumentClient = fixture.client): Promise<boolean> {
  const output = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  return output.Item !== undefined;
}

async function put(tableName: string, item: Record<string, unknown>, client: DynamoDBDocumentClient = fixture.client): Promise<void> {
  await client.send(new PutCommand({ TableName: tableName, Item: item }));
}

describe('the local TTL emulator', () => {
  it('deletes the traces of removed requests once their retention has passed, and the other expired items, nothing else', async () => {
    const tableName = await fixture.newTable();
    const clock = new ManualClock(START);
    const store = new DynamoRequestStore(fixture.client, tableName, { clock });
    const tenant = uniqueTenant();
    const requests = ['gone-1', 'gone-2', 'live'].map((id) => makeRequest(tenant, id));
    await store.insertAll(requests);
    await store.deleteAll(requests.slice(0, 2));
    // A finished job whose retention ended, a worker entry still current, an item whose ttl is no number (TTL ignores it).
    await put(tableName, { pk: 'T#x#JOBS', sk: 'JOB#1', ttl: epoch(START, -1) });
    await put(tableName, { pk: 'WORKERS', sk: 'WT#w', ttl: epoch(START, 2 * FINISHED_TRACE_SECONDS) });
    await put(tableName, { pk: 'ODD', sk: 'ODD', ttl: 'soon' });
    const key = (id: string) => RequestKeys.primary(tenant, id);

    const emulator = new TtlEmulator({ client: fixture.client, tableName, logger: new CapturingLogger(), clock, pageSize: 2 });
    expect(await emulator.runOnce()).toEqual({ examined: 6, deleted: 1, wrapped: true });
    expect(await exists(tableName, { pk: 'T#x#JOBS', sk: 'JOB#1' })).toBe(false);
    expect(await exists(tableName, key('gone-1'))).toBe(true);

    clock.advance(FINISHED_TRACE_SECONDS * 1000);
    expect(await emulator.runOnce()).toMatchObject({ deleted: 2, wrapped: true });
    expect(await exists(tableName, key('gone-1'))).toBe(false);
    expect(await exists(tableName, key('gone-2'))).toBe(false);
    expect((await store.getAll(tenant, ['live'])).get('live')).toEqual(requests[2]);
    expect(await exists(tableName, { pk: 'WORKERS', sk: 'WT#w' })).toBe(true);
    expect(await exists(tableName, { pk: 'ODD', sk: 'ODD' })).toBe(true);
    expect(emulator.stats).toEqual({ runs: 2, deleted: 3 });
  });

  it('examines a bounded number of items per run and resumes where it stopped', async () => {
    const tableName = await fixture.newTable();
    const clock = new ManualClock(START);
    for (let i = 0; i < 25; i++) await put(tableName, { pk: `P#${i}`, sk: 'S', ttl: epoch(START, -60) });
    const emulator = new TtlEmulator({ client: fixture.client, tableName, logger: new CapturingLogger(), clock, pageSize: 1, maxExaminedPerRun: 10 });
    const first = await emulator.runOnce();
    expect(first).toEqual({ examined: 10, deleted: 10, wrapped: false });
    const second = await emulator.runOnce();
    expect(second).toEqual({ examined: 10, deleted: 10, wrapped: false });
    const third = await emulator.runOnce();
    expect(third).toMatchObject({ deleted: 5, wrapped: true });
  });

  it('deletes a bounded number of items per run: the deletes are what cost the store', async () => {
    const tableName = await fixture.newTable();
    const clock = new ManualClock(START);
    for (let i = 0; i < 12; i++) await put(tableName, { pk: `P#${i}`, sk: 'S', ttl: epoch(START, -60) });
    const emulator = new TtlEmulator({ client: fixture.client, tableName, logger: new CapturingLogger(), clock, pageSize: 4, maxDeletedPerRun: 5 });
    expect(await emulator.runOnce()).toEqual({ examined: 8, deleted: 8, wrapped: false });
    expect(await emulator.runOnce()).toMatchObject({ deleted: 4, wrapped: true });
  });

  it('keeps an item written again after it expired: the delete is conditional on the TTL it has now', async () => {
    const tableName = await fixture.newTable();
    const clock = new ManualClock(START);
    await put(tableName, { pk: 'P', sk: 'S', ttl: epoch(START, -60) });
    // The item is rewritten between the scan and the delete, as a worker beating again would.
    const client = fixture.newClient();
    const send = client.send.bind(client) as (command: object) => Promise<unknown>;
    let rewritten = false;
    vi.spyOn(client, 'send').mockImplementation((async (command: object) => {
      const output = await send(command);
      if (!rewritten && command instanceof ScanCommand) {
        rewritten = true;
        await send(new PutCommand({ TableName: tableName, Item: { pk: 'P', sk: 'S', ttl: epoch(START, 3600) } }));
      }
      return output;
    }) as never);
    const emulator = new TtlEmulator({ client, tableName, logger: new CapturingLogger(), clock, pageSize: 1 });
    expect(await emulator.runOnce()).toMatchObject({ deleted: 0 });
    expect(rewritten).toBe(true);
    expect(await exists(tableName, { pk: 'P', sk: 'S' })).toBe(true);
  });
});

describe('the local host', () => {
  it('runs the TTL emulator on its schedule and stops it with the host', async () => {
    const h = await startHarness('ttl-emulator', { only: [], ttl: { intervalMs: 50 } });
    try {
      await put(h.dynamo.tableName, { pk: 'EXPIRED', sk: 'S', ttl: Math.floor(Date.now() / 1000) - 60 }, h.dynamo.client);
      await eventually(async () => !(await exists(h.dynamo.tableName, { pk: 'EXPIRED', sk: 'S' }, h.dynamo.client)), {
        timeoutMs: 10_000,
        what: 'the expired item deleted',
      });
      expect(h.host.ttl?.stats.deleted).toBeGreaterThanOrEqual(1);
    } finally {
      await h.close();
    }
    const runs = h.host.ttl?.stats.runs;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.host.ttl?.stats.runs).toBe(runs);
  });
});
