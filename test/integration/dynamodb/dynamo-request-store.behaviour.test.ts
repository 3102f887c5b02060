import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../../shared/adapters/dynamodb/client.js';
import { DynamoRequestStore } from '../../../shared/adapters/dynamodb/dynamo-request-store.js';
import { RequestKeys } from '../../../shared/adapters/dynamodb/keys.js';
import { CorruptItemError } from '../../../shared/adapters/dynamodb/request-item.js';
import { FINISHED_TRACE_SECONDS, StoreUnavailableError, StoreValidationError } from '../../../shared/ports/request-store.js';
import { ManualClock } from '../../support/manual-clock.js';
import { randomBody } from '../../bench/bodies.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { recordCommands } from '../../support/store-contract/recording-client.js';
import { at, bump, makeRequest, uniqueTenant } from '../../support/store-contract/requests.js';

let fixture: DynaliteFixture;
beforeAll(async () => {
  fixture = await startDynalite();
});
afterAll(async () => {
  await fixture.close();
});

async function rawItem(tenant: string, requestId: string): Promise<Record<string, unknown> | undefined> {
  const output = await fixture.client.send(new GetCommand({ TableName: fixture.tableName, Key: RequestKeys.primary(tenant, requestId), ConsistentRead: true }));
  return output.Item;
}

describe('DynamoRequestStore on dynalite', () => {
  it('does not re-send an unchanged body on a status update, and sends only what changed', async () => {
    const client = fixture.newClient();
    const store = new DynamoRequestStore(client, fixture.tableName);
    const tenant = uniqueTenant();
    const v0 = makeRequest(tenant, 'big', { content: new Uint8Array(randomBody(256 * 1024)), status: 'DISPATCHED' });
    await store.insertAll([v0]);
    const recorder = recordCommands(client);
    const v1 = bump(v0, { status: 'RUNNING', statusDate: at(9) });
    expect(await store.updateAll([{ previous: v0, next: v1 }])).toEqual([{ requestId: 'big', written: true }]);

    const updates = recorder.commands().filter((command) => command instanceof UpdateCommand);
    expect(updates).toHaveLength(1);
    const input = (updates[0] as UpdateCommand).input;
    const names = Object.values(input.ExpressionAttributeNames ?? {});
    expect(names).not.toContain('content');
    expect(names).not.toContain('history');
    // DISPATCHED and RUNNING share a status-index partition: the index key does not move.
    expect(names.sort()).toEqual(['status', 'statusDate', 'version'].sort());
    const values = Object.values(input.ExpressionAttributeValues ?? {});
    expect(values.some((value) => value instanceof Uint8Array)).toBe(false);
    expect(JSON.stringify(input).length).toBeLessThan(2_000);
    expect(input.ConditionExpression).toBe('#version = :expectedVersion');
    expect(input.ExpressionAttributeValues?.[':expectedVersion']).toBe(0);

    const stored = await rawItem(tenant, 'big');
    expect(stored?.status).toBe('RUNNING');
    expect(stored?.version).toBe(1);
    expect((stored?.content as Uint8Array).byteLength).toBe(256 * 1024);
  });

  it('leaves a trace of a removed request: its keys, fingerprint and TTL, no index attribute, no other attribute', async () => {
    const clock = new ManualClock('2026-03-01T10:00:00.000Z');
    const store = new DynamoRequestStore(fixture.client, fixture.tableName, { clock });
    const tenant = uniqueTenant();
    const request = makeRequest(tenant, 'traced', {
      status: 'NO_WORKER_AVAILABLE',
      stepWorkerType: 'w',
      dispatchedWorkerType: null,
      deadline: at(100),
      originalContent: new Uint8Array(randomBody(4096)),
      fingerprint: 'fp-traced',
    });
    await store.insertAll([request]);
    expect(await store.deleteAll([request])).toEqual([{ requestId: 'traced', written: true }]);
    expect(await rawItem(tenant, 'traced')).toEqual({
      ...RequestKeys.primary(tenant, 'traced'),
      fingerprint: 'fp-traced',
      trace: '2026-03-01T10:00:00.000Z',
      ttl: Date.parse('2026-03-01T10:00:00.000Z') / 1000 + FINISHED_TRACE_SECONDS,
    });
    // A new request over it holds nothing of the trace.
    const again = makeRequest(tenant, 'traced', { fingerprint: 'fp-new' });
    expect(await store.insertAll([again])).toEqual([{ requestId: 'traced', inserted: true }]);
    const item = await rawItem(tenant, 'traced');
    expect(item?.trace).toBeUndefined();
    expect(item?.ttl).toBeUndefined();
    expect((await store.getAll(tenant, ['traced'])).get('traced')).toEqual(again);
  });

  it('maintains the index attributes: gsi1 always, gsi2 only while waiting, gsi3 only with a deadline', async () => {
    const store = new DynamoRequestStore(fixture.client, fixture.tableName);
    const tenant = uniqueTenant();
    const v0 = makeRequest(tenant, 'idx', { status: 'NO_WORKER_AVAILABLE', stepWorkerType: null, deadline: at(100) });
    await store.insertAll([v0]);
    let item = await rawItem(tenant, 'idx');
    expect(item).toMatchObject({
      pk: RequestKeys.primary(tenant, 'idx').pk,
      sk: 'R',
      gsi1pk: expect.stringContaining('#S#NO_WORKER_AVAILABLE#'),
      gsi2pk: expect.stringContaining('#W#~#'),
      gsi3sk: `${at(100)}#idx`,
    });
    expect(item?.gsi2sk).toBe(item?.gsi1sk);

    const v1 = bump(v0, { status: 'DISPATCHED', deadline: null });
    await store.updateAll([{ previous: v0, next: v1 }]);
    item = await rawItem(tenant, 'idx');
    expect(item?.gsi1pk).toEqual(expect.stringContaining('#S#ACTIVE#'));
    for (const gone of ['gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk']) expect(item).not.toHaveProperty(gone);
    expect(item?.deadline).toBeNull();
  });

  it('leaves the due entry of a RUNNING whose deadline moved later, lists it early, and moves it on refreshDue', async () => {
    const client = fixture.newClient();
    const store = new DynamoRequestStore(client, fixture.tableName);
    const tenant = uniqueTenant();
    const v0 = makeRequest(tenant, 'run', { status: 'DISPATCHED', deadline: at(100) });
    await store.insertAll([v0]);
    const recorder = recordCommands(client);
    const v1 = bump(v0, { status: 'RUNNING', statusDate: at(10), deadline: at(500) });
    await store.updateAll([{ previous: v0, next: v1 }]);
    const input = (recorder.commands().find((command) => command instanceof UpdateCommand) as UpdateCommand).input;
    // Neither index key moves: the RUNNING writes the item and the status entry in place.
    expect(Object.values(input.ExpressionAttributeNames ?? {}).sort()).toEqual(['deadline', 'status', 'statusDate', 'version'].sort());
    expect((await rawItem(tenant, 'run'))?.gsi3sk).toBe(`${at(100)}#run`);

    // Past the old entry, before the real deadline: listed early; the caller refreshes it.
    const between = new Date(at(200));
    expect((await store.listDue(tenant, between, { limit: 10 })).items.map((key) => key.requestId)).toEqual(['run']);
    await store.refreshDue([v1]);
    expect((await rawItem(tenant, 'run'))?.gsi3sk).toBe(`${at(500)}#run`);
    expect((await store.listDue(tenant, between, { limit: 10 })).items).toEqual([]);
    expect((await store.listDue(tenant, new Date(at(600)), { limit: 10 })).items.map((key) => key.requestId)).toEqual(['run']);

    // An earlier deadline, or one the sweeper sets, moves the entry at once.
    const v2 = bump(v1, { status: 'TO_DISPATCH', deadline: at(700) });
    await store.updateAll([{ previous: v1, next: v2 }]);
    expect((await rawItem(tenant, 'run'))?.gsi3sk).toBe(`${at(700)}#run`);
  });

  it('writes only the deadline and version of a RUNNING heartbeat, leaving both index entries where they are', async () => {
    const client = fixture.newClient();
    const store = new DynamoRequestStore(client, fixture.tableName);
    const tenant = uniqueTenant();
    const v0 = makeRequest(tenant, 'beat', { status: 'RUNNING', deadline: at(100) });
    await store.insertAll([v0]);
    const recorder = recordCommands(client);
    // What a RUNNING of a RUNNING request writes (worker-answer-outcomes: extendTimeToComplete).
    const v1 = { ...v0, deadline: at(900), version: v0.version + 1 };
    await store.updateAll([{ previous: v0, next: v1 }]);
    const input = (recorder.commands().find((command) => command instanceof UpdateCommand) as UpdateCommand).input;
    expect(Object.values(input.ExpressionAttributeNames ?? {}).sort()).toEqual(['deadline', 'version']);
    expect((await rawItem(tenant, 'beat'))?.gsi3sk).toBe(`${at(100)}#beat`);
  });

  it('reads conflicting inserts back with ONE batch read', async () => {
    const client = fixture.newClient();
    const store = new DynamoRequestStore(client, fixture.tableName);
    const tenant = uniqueTenant();
    const batch = Array.from({ length: 30 }, (_, i) => makeRequest(tenant, `c${i}`));
    await store.insertAll(batch);
    const recorder = recordCommands(client);
    const outcomes = await store.insertAll(batch);
    expect(outcomes.every((o) => !o.inserted)).toBe(true);
    expect(recorder.commands().filter((c) => c instanceof BatchGetCommand)).toHaveLength(1);
    expect(recorder.commands().filter((c) => c instanceof PutCommand)).toHaveLength(30);
  });

  it('reports a corrupt item clearly instead of failing deep inside a use case', async () => {
    const store = new DynamoRequestStore(fixture.client, fixture.tableName);
    const tenant = uniqueTenant();
    const item = { ...RequestKeys.primary(tenant, 'broken'), tenant, requestId: 'broken', status: 'WHATEVER', version: 'one' };
    await fixture.client.send(new PutCommand({ TableName: fixture.tableName, Item: item }));
    const error = await store.getAll(tenant, ['broken']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptItemError);
    expect((error as Error).message).toContain(RequestKeys.primary(tenant, 'broken').pk);
    expect((error as Error).message).toMatch(/status/);
    // An insert colliding with it reports the corruption too.
    await expect(store.insertAll([makeRequest(tenant, 'broken')])).rejects.toBeInstanceOf(CorruptItemError);
  });

  it('turns an unreachable store into StoreUnavailableError with the cause', async () => {
    const client = createDocumentClient({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    try {
      const store = new DynamoRequestStore(client, fixture.tableName);
      const error = await store.getAll('t', ['x']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).cause).toBeDefined();
      await expect(store.insertAll([makeRequest('t', 'x')])).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.listDue('t', new Date(), { limit: 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      client.destroy();
    }
  });

  it("reports an item the store refuses as that item's outcome, and writes its neighbours", async () => {
    const store = new DynamoRequestStore(fixture.client, fixture.tableName);
    const tenant = uniqueTenant();
    // Over DynamoDB's 400 KB item limit: a ValidationException for this item alone (a body that
    // large is stored as it is, never deflated into an item that could not be read back).
    const tooBig = new Uint8Array(420 * 1024).fill(1);
    const inserted = await store.insertAll([makeRequest(tenant, 'a'), makeRequest(tenant, 'huge', { content: tooBig }), makeRequest(tenant, 'b')]);
    expect(inserted.map((outcome) => [outcome.requestId, outcome.inserted])).toEqual([
      ['a', true],
      ['huge', false],
      ['b', true],
    ]);
    const refused = inserted[1]!;
    expect('refused' in refused && refused.refused).toBeInstanceOf(StoreValidationError);

    const [a, b] = [makeRequest(tenant, 'a'), makeRequest(tenant, 'b')];
    const updated = await store.updateAll([
      { previous: a, next: bump(a, { content: tooBig }) },
      { previous: b, next: bump(b, { status: 'DISPATCHED' }) },
    ]);
    expect(updated.map((outcome) => (outcome.written ? 'written' : outcome.reason))).toEqual(['refused', 'written']);
    expect((await store.getAll(tenant, ['a', 'b'])).get('b')?.status).toBe('DISPATCHED');
  });

  it('reads the readable keys of a batch when the store refuses one of them', async () => {
    const store = new DynamoRequestStore(fixture.client, fixture.tableName);
    const tenant = uniqueTenant();
    await store.insertAll([makeRequest(tenant, 'kept')]);
    // A sort key over DynamoDB's 1,024-byte limit makes the whole BatchGetItem a ValidationException.
    const found = await store.getAll(tenant, ['kept', 'k'.repeat(3000)]);
    expect([...found.keys()]).toEqual(['kept']);
  });

  it('reports a missing table as StoreUnavailableError', async () => {
    const store = new DynamoRequestStore(fixture.client, 'no-such-table');
    await expect(store.getAll('t', ['x'])).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
