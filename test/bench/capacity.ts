import { TABLE_DEFINITION, type IndexDefinition, type TableDefinition } from '../../shared/adapters/dynamodb/table-definition.js';

/*
 * DynamoDB's capacity arithmetic, from the items actually written: what a write costs on the base
 * table and on each global secondary index, and what a read costs. The rules are DynamoDB's
 * (Developer Guide: "Item sizes and formats", "Capacity unit consumption for write operations",
 * "Provisioned throughput considerations for global secondary indexes"):
 * - an item's size is the sum over its attributes of the UTF-8 bytes of the name plus the value's size;
 * - a write costs 1 unit per started KB (minimum 1); PutItem and UpdateItem pay for the larger of the
 *   item before and after, DeleteItem for the item deleted;
 * - an index entry holds the index keys, the table keys and the projected attributes (KEYS_ONLY,
 *   INCLUDE or ALL); an item is in the index only when it has both index key attributes;
 * - a new entry costs a put, a removed one a delete, a changed projection (same key) one write of
 *   the larger entry, and an entry whose index key moves costs a delete and a put;
 * - a read costs 1 unit per started 4 KB when strongly consistent, half as much otherwise.
 * Storage overhead (the 100 bytes per index entry) is billed as storage, not as throughput.
 */

export type Item = Record<string, unknown>;

export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

/** The size DynamoDB counts for one attribute value. */
export function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...(value as Set<unknown>)].reduce<number>((sum, element) => sum + valueSize(element), 0);
  // A list or a map: 3 bytes of its own, 1 more per element; a map's element also counts its name.
  if (Array.isArray(value)) return 3 + value.reduce<number>((sum, element) => sum + 1 + valueSize(element), 0);
  if (typeof value === 'object') {
    return (
      3 +
      Object.entries(value as Item).reduce(
        (sum, [name, element]) => (element === undefined ? sum : sum + 1 + Buffer.byteLength(name, 'utf8') + valueSize(element)),
        0,
      )
    );
  }
  throw new TypeError(`not a DynamoDB value: ${typeof value}`);
}

/** A number takes 1 byte per two significant digits, plus 1 (leading and trailing zeros trimmed). */
export function numberSize(value: number | bigint): number {
  const text = typeof value === 'bigint' ? value.toString() : numberText(value);
  const [mantissa = ''] = text.replace('-', '').split('e');
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`DynamoDB has no number ${value}`);
  return String(value);
}

/** The size DynamoDB counts for an item: attribute names plus values. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  }
  return size;
}

export function writeUnitsFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

export function readUnitsFor(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

/** The entry an item has in an index, or undefined when it lacks an index key (a sparse index). */
export function indexEntry(item: Item | undefined, index: IndexDefinition, table: TableDefinition = TABLE_DEFINITION): Item | undefined {
  if (item === undefined) return undefined;
  const hasKey = (name: string) => item[name] !== undefined && item[name] !== null;
  if (!hasKey(index.partitionKey) || !hasKey(index.sortKey)) return undefined;
  const keys = [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey];
  const projected = index.projection === 'ALL' ? Object.keys(item) : index.projection === 'INCLUDE' ? [...keys, ...(index.nonKeyAttributes ?? [])] : keys;
  const entry: Item = {};
  for (const name of new Set([...keys, ...projected])) if (item[name] !== undefined) entry[name] = item[name];
  return entry;
}

export interface WriteCost {
  /** Units on the base table. */
  table: number;
  /** Units on each index the write touched (0 when the index entry did not change). */
  indexes: Record<string, number>;
  /** What happened to each index entry: put, delete, update, move (delete + put) or none. */
  indexChanges: Record<string, 'put' | 'delete' | 'update' | 'move' | 'none'>;
  total: number;
}

/**
 * The units one successful write consumes, from the item before it (undefined: absent) and after
 * it (undefined: deleted). A transactional write costs twice as much (`transactional`).
 */
export function writeCost(before: Item | undefined, after: Item | undefined, options: { table?: TableDefinition; transactional?: boolean } = {}): WriteCost {
  const table = options.table ?? TABLE_DEFINITION;
  const factor = options.transactional === true ? 2 : 1;
  const base = writeUnitsFor(Math.max(before ? itemSize(before) : 0, after ? itemSize(after) : 0)) * factor;
  const indexes: Record<string, number> = {};
  const indexChanges: WriteCost['indexChanges'] = {};
  for (const index of table.indexes) {
    const old = indexEntry(before, index, table);
    const next = indexEntry(after, index, table);
    let units = 0;
    let change: WriteCost['indexChanges'][string] = 'none';
    if (old === undefined && next !== undefined) {
      units = writeUnitsFor(itemSize(next));
      change = 'put';
    } else if (old !== undefined && next === undefined) {
      units = writeUnitsFor(itemSize(old));
      change = 'delete';
    } else if (old !== undefined && next !== undefined) {
      const sameKey =
        canonical(old[index.partitionKey]) === canonical(next[index.partitionKey]) && canonical(old[index.sortKey]) === canonical(next[index.sortKey]);
      if (!sameKey) {
        units = writeUnitsFor(itemSize(old)) + writeUnitsFor(itemSize(next));
        change = 'move';
      } else if (canonical(old) !== canonical(next)) {
        units = writeUnitsFor(Math.max(itemSize(old), itemSize(next)));
        change = 'update';
      }
    }
    indexes[index.name] = units * factor;
    indexChanges[index.name] = change;
  }
  return { table: base, indexes, indexChanges, total: base + Object.values(indexes).reduce((sum, n) => sum + n, 0) };
}

/**
 * A write whose condition failed still consumes units on the base table (the size of the item it
 * looked at, minimum 1), and nothing on the indexes.
 */
export function failedConditionCost(existing: Item | undefined): WriteCost {
  const table = writeUnitsFor(existing ? itemSize(existing) : 0);
  return { table, indexes: {}, indexChanges: {}, total: table };
}

/** A stable text of a value, for equality (object keys sorted, bytes and sets spelled out). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Set) return { $set: [...(v as Set<unknown>)].map((e) => canonical(e)).sort() };
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if ((v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return v;
      if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') };
      return Object.fromEntries(Object.entries(v as Item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    if (typeof v === 'bigint') return `${v}n`;
    return v;
  });
}
