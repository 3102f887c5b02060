import { deflateRawSync } from 'node:zlib';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INFLATED_BYTES } from '../../../shared/adapters/dynamodb/body-codec.js';
import { DynamoRequestStore } from '../../../shared/adapters/dynamodb/dynamo-request-store.js';
import { RequestKeys } from '../../../shared/adapters/dynamodb/keys.js';
import { requestToItem } from '../../../shared/adapters/dynamodb/request-item.js';
import { CorruptItemError } from '../../../shared/adapters/dynamodb/stored-item.js';
import type { Request } from '../../../shared/domain/request/request.js';
import { jsonBody, randomBody } from '../../bench/bodies.js';
import { itemSize } from '../../bench/capacity.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { bump, makeRequest, uniqueTenant } from '../../support/store-contract/requests.js';

/*
 * Bodies deflated in the table (body-codec.ts), through the real adapter and dynalite: read back
 * byte for byte, the stored item smaller, the plain and deflated attributes of a body never both
 * in an item, and items written before the change still read and update.
 */

let fixture: DynaliteFixture;
let store: DynamoRequestStore;
beforeAll(async () => {
  fixture = await startDynalite();
  store = new DynamoRequestStore(fixture.client, fixture.tableName);
});
afterAll(async () => {
  await fixture.close();
});

const json = (size: number, seed?: number) => new Uint8Array(jsonBody(size, seed));
const random = (size: number, seed?: number) => new Uint8Array(randomBody(size, seed));
const same = (a: Uint8Array | null | undefined, b: Uint8Array | null) => a != null && b !== null && Buffer.from(a).equals(b);

async function stored(request: Request): Promise<Record<string, unknown>> {
  const output = await fixture.client.send(
    new GetCommand({ TableName: fixture.tableName, Key: RequestKeys.primary(request.tenant, request.requestId), ConsistentRead: true }),
  );
  if (output.Item === undefined) throw new Error(`${request.requestId} is not stored`);
  return output.Item;
}

async function readBack(request: Request): Promise<Request> {
  const read = (await store.getAll(request.tenant, [request.requestId])).get(request.requestId);
  if (read === undefined) throw new Error(`${request.requestId} does not read back`);
  return read;
}

async function update(previous: Request, changes: Partial<Request>): Promise<Request> {
  const next = bump(previous, changes);
  expect(await store.updateAll([{ previous, next }])).toEqual([{ requestId: next.requestId, written: true }]);
  return next;
}

const bodyNames = (item: Record<string, unknown>) =>
  Object.keys(item)
    .filter((name) => /^(content|originalContent)(Deflated)?$/.test(name))
    .sort();

describe('deflated bodies on dynalite', () => {
  it('writes a compressible 10 KB body deflated and reads it back byte for byte', async () => {
    const body = json(10 * 1024, 11);
    const request = makeRequest(uniqueTenant(), 'json-10k', { content: body });
    expect(await store.insertAll([request])).toEqual([{ requestId: request.requestId, inserted: true }]);
    const item = await stored(request);
    expect(bodyNames(item)).toEqual(['contentDeflated']);
    expect(itemSize(item)).toBeLessThan(itemSize(requestToItem(request, { plainBodies: true })) / 2);
    const read = await readBack(request);
    expect(same(read.content, body)).toBe(true);
    expect(read.originalContent).toBeNull();
  });

  it('switches a body between its plain and deflated attributes as updates change it, never holding both', async () => {
    const client = json(6000, 21);
    let request = makeRequest(uniqueTenant(), 'steps', { content: client });
    await store.insertAll([request]);
    // A step output that does not compress, the client body kept next to it.
    const output = random(5000, 22);
    request = await update(request, { content: output, originalContent: client, stepNumber: 2 });
    expect(bodyNames(await stored(request))).toEqual(['content', 'originalContentDeflated']);
    expect(same((await readBack(request)).content, output)).toBe(true);
    // A status change leaves the bodies alone.
    request = await update(request, { status: 'RUNNING' });
    expect(bodyNames(await stored(request))).toEqual(['content', 'originalContentDeflated']);
    // A compressible output of the next step; then a restart from the client body.
    const next = json(8000, 23);
    request = await update(request, { content: next, stepNumber: 3 });
    expect(bodyNames(await stored(request))).toEqual(['contentDeflated', 'originalContentDeflated']);
    request = await update(request, { content: client, originalContent: null, stepNumber: 1 });
    expect(bodyNames(await stored(request))).toEqual(['contentDeflated']);
    const read = await readBack(request);
    expect(same(read.content, client)).toBe(true);
    expect(read.originalContent).toBeNull();
    expect(read).toEqual(request);
  });

  it('reads and updates an item written before bodies were deflated', async () => {
    const body = json(4000, 31);
    let request = makeRequest(uniqueTenant(), 'legacy', { content: body });
    await fixture.client.send(new PutCommand({ TableName: fixture.tableName, Item: requestToItem(request, { plainBodies: true }) }));
    expect(bodyNames(await stored(request))).toEqual(['content', 'originalContent']);
    expect(await readBack(request)).toEqual(request);
    // Untouched bodies stay as they were stored; a changed one replaces its plain attribute.
    request = await update(request, { status: 'RUNNING' });
    expect(bodyNames(await stored(request))).toEqual(['content', 'originalContent']);
    const output = json(5000, 32);
    request = await update(request, { content: output, originalContent: body, stepNumber: 2 });
    expect(bodyNames(await stored(request))).toEqual(['contentDeflated', 'originalContentDeflated']);
    expect(await readBack(request)).toEqual(request);
  });

  it('answers a stored body that inflates past the limit as a corrupt item', async () => {
    const request = makeRequest(uniqueTenant(), 'bomb');
    const { content: _plain, ...item } = requestToItem(request);
    await fixture.client.send(
      new PutCommand({
        TableName: fixture.tableName,
        Item: { ...item, contentDeflated: new Uint8Array(deflateRawSync(Buffer.alloc(MAX_INFLATED_BYTES + 1))) },
      }),
    );
    await expect(store.getAll(request.tenant, [request.requestId])).rejects.toThrow(CorruptItemError);
  });
});
