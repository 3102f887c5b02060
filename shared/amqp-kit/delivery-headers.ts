import { decodeHeaderTable } from '../contract/header-decoding.js';
import type { Headers } from '../contract/headers.js';

/*
 * Headers of an amqplib delivery. amqplib hands values over as strings, Buffers (byte arrays),
 * numbers, bigints, nested tables, and AMQP timestamps and decimals tagged `{'!': type, value}`.
 */

/**
 * The header table with tagged values turned into what the Java client (hence the Lambda event
 * source mapping) reads: a timestamp becomes a Date, a decimal its number.
 */
export function plainDeliveryHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, plainValue(value)]));
}

/** The headers of a delivery in the contract's shapes, read as the manager reads them from its event source. */
export function decodeDeliveryHeaders(raw: unknown): Headers {
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) return {};
  return decodeHeaderTable(plainDeliveryHeaders(raw as Record<string, unknown>), amqplibBytes);
}

function amqplibBytes(value: object): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}

function plainValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainValue);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return value;
  if ('!' in value && 'value' in value) {
    const tagged = value as { '!': unknown; value: unknown };
    if (tagged['!'] === 'timestamp' && typeof tagged.value === 'number') return new Date(tagged.value * 1000);
    if (tagged['!'] === 'decimal' && isDecimal(tagged.value)) return tagged.value.digits / 10 ** tagged.value.places;
    return tagged.value;
  }
  return plainDeliveryHeaders(value as Record<string, unknown>);
}

function isDecimal(value: unknown): value is { places: number; digits: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'places' in value &&
    'digits' in value &&
    typeof value.places === 'number' &&
    typeof value.digits === 'number'
  );
}
