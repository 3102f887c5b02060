import { describe, expect, it } from 'vitest';
import { TABLE_DEFINITION, type TableDefinition } from '../../../shared/adapters/dynamodb/table-definition.js';
import { failedConditionCost, indexEntry, itemSize, numberSize, readUnitsFor, valueSize, writeCost } from '../../bench/capacity.js';

const TABLE: TableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { name: 'inc', partitionKey: 'g1pk', sortKey: 'g1sk', projection: 'INCLUDE', nonKeyAttributes: ['status'] },
    { name: 'keys', partitionKey: 'g2pk', sortKey: 'g2sk', projection: 'KEYS_ONLY' },
    { name: 'all', partitionKey: 'g3pk', sortKey: 'g3sk', projection: 'ALL' },
  ],
  timeToLiveAttribute: 'ttl',
};

describe('DynamoDB item size', () => {
  it('counts attribute names and values: strings in UTF-8 bytes, numbers by significant digits, binary raw, booleans and null 1 byte', () => {
    expect(itemSize({ ab: 'xyz' })).toBe(5);
    expect(itemSize({ é: 'é' })).toBe(4);
    expect(itemSize({ n: 12345 })).toBe(1 + 4);
    expect(itemSize({ b: Buffer.alloc(10) })).toBe(11);
    expect(itemSize({ t: true, z: null })).toBe(4);
    expect(itemSize({ skipped: undefined })).toBe(0);
  });

  it('trims leading and trailing zeros of a number and ignores its sign and decimal point', () => {
    expect(numberSize(0)).toBe(2);
    expect(numberSize(1000)).toBe(2);
    expect(numberSize(-0.00123)).toBe(3);
    expect(numberSize(1_780_000_000_123)).toBe(8);
  });

  it('gives a list or map 3 bytes plus 1 per element, a map element its name too, a set only its elements', () => {
    expect(valueSize([])).toBe(3);
    expect(valueSize(['a', 'bc'])).toBe(3 + 2 + 3);
    expect(valueSize({ k: 'v' })).toBe(3 + 1 + 1 + 1);
    expect(valueSize(new Set(['ab', 'c']))).toBe(3);
  });
});

describe('Write units of one write', () => {
  const small = { pk: 'T#1', sk: 'R', body: 'x'.repeat(100) };

  it('costs 1 unit per started KB of the item on the base table, at least 1', () => {
    expect(writeCost(undefined, small, { table: TABLE }).table).toBe(1);
    expect(writeCost(undefined, { pk: 'p', sk: 's', body: 'x'.repeat(1024) }, { table: TABLE }).table).toBe(2);
    expect(writeCost(undefined, undefined, { table: TABLE }).table).toBe(1);
  });

  it('charges an update or a replacing put for the larger of the item before and after', () => {
    const big = { ...small, body: 'x'.repeat(3000) };
    expect(writeCost(big, small, { table: TABLE }).table).toBe(3);
    expect(writeCost(small, big, { table: TABLE }).table).toBe(3);
    // a delete: the deleted item
    expect(writeCost(big, undefined, { table: TABLE }).table).toBe(3);
  });

  it('puts an index entry only for an item that has both index keys, and sizes it by the projection', () => {
    const item = { ...small, g1pk: 'a', g1sk: 'b', status: 'RUNNING', body: 'x'.repeat(5000), g2pk: 'only-partition' };
    const cost = writeCost(undefined, item, { table: TABLE });
    expect(cost.indexChanges).toEqual({ inc: 'put', keys: 'none', all: 'none' });
    // INCLUDE: keys and status, not the 5 KB body
    expect(cost.indexes['inc']).toBe(1);
    expect(cost.table).toBe(5);
    expect(cost.total).toBe(6);
    expect(indexEntry(item, TABLE.indexes[0]!, TABLE)).toEqual({ pk: 'T#1', sk: 'R', g1pk: 'a', g1sk: 'b', status: 'RUNNING' });
  });

  it('projects the whole item into an ALL index, so a large item costs as much there as on the table', () => {
    const item = { ...small, g3pk: 'a', g3sk: 'b', body: 'x'.repeat(2500) };
    const cost = writeCost(undefined, item, { table: TABLE });
    expect(cost.indexes['all']).toBe(3);
    expect(cost.total).toBe(6);
  });

  it('costs a delete and a put when an index key moves, one write when only a projected attribute changes, nothing when neither does', () => {
    const before = { ...small, g1pk: 'a', g1sk: '1', status: 'RUNNING', g2pk: 'w', g2sk: '1' };
    const moved = writeCost(before, { ...before, g1sk: '2' }, { table: TABLE });
    expect(moved.indexChanges['inc']).toBe('move');
    expect(moved.indexes['inc']).toBe(2);
    expect(moved.indexes['keys']).toBe(0);
    const projected = writeCost(before, { ...before, status: 'SUCCESS' }, { table: TABLE });
    expect(projected.indexChanges).toEqual({ inc: 'update', keys: 'none', all: 'none' });
    expect(projected.indexes['inc']).toBe(1);
    const unprojected = writeCost(before, { ...before, body: 'changed' }, { table: TABLE });
    expect(unprojected.total).toBe(1);
  });

  it('deletes the index entries of a deleted item and of an item that loses an index key', () => {
    const before = { ...small, g1pk: 'a', g1sk: '1', g2pk: 'w', g2sk: '1' };
    expect(writeCost(before, undefined, { table: TABLE }).indexChanges).toEqual({ inc: 'delete', keys: 'delete', all: 'none' });
    const { g2pk: _dropped, ...withoutWaiting } = before;
    const cost = writeCost(before, withoutWaiting, { table: TABLE });
    expect(cost.indexChanges['keys']).toBe('delete');
    expect(cost.total).toBe(2);
  });

  it('doubles every unit of a transactional write', () => {
    expect(writeCost(undefined, { ...small, g2pk: 'w', g2sk: '1' }, { table: TABLE, transactional: true }).total).toBe(4);
  });

  it('charges a failed conditional write on the base table only, for the item it looked at', () => {
    expect(failedConditionCost(undefined).total).toBe(1);
    expect(failedConditionCost({ pk: 'p', sk: 's', body: 'x'.repeat(2000) }).total).toBe(2);
  });

  it('reads the projections of the table the code deploys', () => {
    const status = TABLE_DEFINITION.indexes.find((index) => index.projection === 'INCLUDE');
    expect(status).toBeDefined();
    const item = { pk: 'p', sk: 's', [status!.partitionKey]: 'a', [status!.sortKey]: 'b', notProjected: 'x'.repeat(4000) };
    expect(writeCost(undefined, item).indexes[status!.name]).toBe(1);
  });
});

describe('Read units', () => {
  it('costs 1 unit per started 4 KB when strongly consistent, half when eventually consistent', () => {
    expect(readUnitsFor(100, true)).toBe(1);
    expect(readUnitsFor(4097, true)).toBe(2);
    expect(readUnitsFor(100, false)).toBe(0.5);
  });
});
