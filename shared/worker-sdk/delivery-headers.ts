import { decodeHeaders, encodeHeaders } from '../contract/amazon-mq-event.js';
import type { Headers } from '../contract/headers.js';

/**
 * amqplib hands header values over as strings, Buffers (byte arrays), numbers, bigints, Dates and
 * nested tables. The contract's readers expect decoded values only; going through the event source
 * mapping's encoding and back gives exactly that shape, with the same rules as every other host.
 */
export function decodeDeliveryHeaders(raw: unknown): Headers {
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  return decodeHeaders(encodeHeaders(present));
}
