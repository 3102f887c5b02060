import * as z from 'zod';
import { StoreError } from '../../ports/request-store.js';
import { TABLE_DEFINITION } from './table-definition.js';

/*
 * What was read back from the store is checked like any other input. A stored item that does not
 * parse is the store's problem, not the caller's: never a raw ZodError (which the admin API would
 * answer as the caller's bad input, a 400), always a CorruptItemError naming the item (a 500).
 */

/** A stored item that does not have the shape its reader expects. */
export class CorruptItemError extends StoreError {
  public override readonly name = 'CorruptItemError';
  public constructor(
    /** The item's key, as the reader names it (pk/sk, a tenant, a job id...). */
    public readonly key: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`stored item ${key}: ${message}`, options);
  }
}

/**
 * `value` (an item or a part of it) read through `schema`; `what` says what it should have been.
 * `key` may be a function, for readers on a hot path that name the item only when it is corrupt.
 */
export function parseStoredItem<S extends z.ZodType>(schema: S, value: unknown, key: string | (() => string), what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new CorruptItemError(typeof key === 'string' ? key : key(), `is not a valid ${what}: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** The primary key of a raw item, for naming it in a CorruptItemError. */
export function itemKey(item: Record<string, unknown>): string {
  return JSON.stringify([item[TABLE_DEFINITION.partitionKey], item[TABLE_DEFINITION.sortKey]]);
}
