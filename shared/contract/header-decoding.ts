import type { HeaderValue, Headers } from './headers.js';

/*
 * The one walk that turns a header table as a transport hands it over into the contract's header
 * shapes. Two transports feed it: the Lambda event source (strings as `{bytes: [...]}`) and
 * amqplib (strings as text or Buffers). Each says which of its values are bytes; everything else
 * is read the same way, so a worker and the manager see identical headers.
 */

/** The bytes a transport uses for a text value, or undefined when `value` is not such a value. */
export type BytesOf = (value: object) => Uint8Array | undefined;

export function decodeHeaderValue(value: unknown, bytesOf: BytesOf): HeaderValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'bigint') return Number(value);
  // AMQP timestamps are whole seconds since the epoch, as the event source mapping writes them.
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (Array.isArray(value)) return value.map((item: unknown) => decodeHeaderValue(item, bytesOf));
  if (typeof value === 'object') {
    // Header byte arrays carry text by convention (REGARDS puts ids in them).
    const bytes = bytesOf(value);
    if (bytes !== undefined) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    return decodeHeaderTable(value as Record<string, unknown>, bytesOf);
  }
  return null;
}

/** A header table, leaving out absent (undefined) entries. */
export function decodeHeaderTable(table: Record<string, unknown>, bytesOf: BytesOf): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(table)) {
    if (value !== undefined) out[name] = decodeHeaderValue(value, bytesOf);
  }
  return out;
}
