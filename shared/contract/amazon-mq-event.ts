import * as z from 'zod';
import { AppError } from '../kernel/errors.js';
import { decodeHeaderTable } from './header-decoding.js';
import type { Headers } from './headers.js';

/*
 * The event Lambda's Amazon MQ for RabbitMQ event source mapping sends (eventSource "aws:rmq").
 * @types/aws-lambda has no type for it, so it is declared here, once, and the local event-source
 * emulator builds exactly this shape.
 */

/** String header values arrive as the bytes of their UTF-8 text. */
export const EncodedBytesSchema = z.object({ bytes: z.array(z.number().int().min(-128).max(255)) }).strict();

export type EncodedHeaderValue = string | number | boolean | null | { bytes: number[] } | EncodedHeaderValue[] | { [key: string]: EncodedHeaderValue };

export const EncodedHeaderValueSchema: z.ZodType<EncodedHeaderValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    EncodedBytesSchema,
    z.array(EncodedHeaderValueSchema),
    // A lone `bytes` key is an encoded string; were it let through as a table, bytes out of range
    // would be read as a table named "bytes" instead of being reported.
    z.record(z.string(), EncodedHeaderValueSchema).refine((table) => !isLoneBytesKey(table), {
      error: 'bytes must be integers from -128 to 255',
    }),
  ]),
);

function isLoneBytesKey(table: Record<string, unknown>): boolean {
  const keys = Object.keys(table);
  const bytes = table['bytes'];
  return keys.length === 1 && Array.isArray(bytes) && bytes.every((b) => typeof b === 'number');
}

export const AmazonMqBasicPropertiesSchema = z.object({
  contentType: z.string().nullish(),
  contentEncoding: z.string().nullish(),
  headers: z.record(z.string(), EncodedHeaderValueSchema).nullish(),
  deliveryMode: z.number().int().nullish(),
  priority: z.number().int().nullish(),
  correlationId: z.string().nullish(),
  replyTo: z.string().nullish(),
  expiration: z.string().nullish(),
  messageId: z.string().nullish(),
  /** Java's medium US date format, e.g. "Jan 1, 1970, 12:33:41 AM" (UTC). */
  timestamp: z.string().nullish(),
  type: z.string().nullish(),
  userId: z.string().nullish(),
  appId: z.string().nullish(),
  clusterId: z.string().nullish(),
  bodySize: z.number().int().nonnegative().nullish(),
});
export type AmazonMqBasicProperties = z.infer<typeof AmazonMqBasicPropertiesSchema>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const AmazonMqMessageSchema = z.object({
  basicProperties: AmazonMqBasicPropertiesSchema,
  redelivered: z.boolean(),
  data: z.string().regex(BASE64, 'data is not valid base64'),
});
export type AmazonMqMessage = z.infer<typeof AmazonMqMessageSchema>;

export const AmazonMqEventSchema = z.object({
  eventSource: z.literal('aws:rmq'),
  eventSourceArn: z.string().min(1),
  /** Keyed `queue::vhost`. Messages are validated one by one by the normalizer. */
  rmqMessagesByQueue: z.record(z.string().regex(/^.+::.+$/, 'key must be queue::vhost'), z.array(z.unknown())),
});
export type AmazonMqEvent = {
  eventSource: 'aws:rmq';
  eventSourceArn: string;
  rmqMessagesByQueue: Record<string, AmazonMqMessage[]>;
};

/** One message as every handler sees it, whatever host delivered it. */
export interface InboundMessage {
  queue: string;
  vhost: string;
  headers: Headers;
  properties: MessageProperties;
  body: Buffer;
  redelivered: boolean;
}

export interface MessageProperties {
  contentType?: string;
  contentEncoding?: string;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  timestamp?: Date;
  type?: string;
  userId?: string;
  appId?: string;
}

/** A message of the event that could not be read; it is reported, never silently dropped. */
export interface UnreadableMessage {
  queue: string;
  vhost: string;
  index: number;
  reason: string;
  raw: unknown;
  /**
   * What could still be read of it: the headers and properties the contract allows, and the body,
   * so that it can be dead-lettered as it came instead of being lost with the batch.
   */
  salvaged: InboundMessage;
  /** Why `salvaged.body` is not the message's body, when it is not (data missing or not base64). */
  bodyProblem?: string;
}

export interface NormalizedBatch {
  messages: InboundMessage[];
  unreadable: UnreadableMessage[];
}

export class InvalidEventError extends AppError {
  public override readonly name = 'InvalidEventError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Turns an Amazon MQ event into plain messages. A malformed event as a whole (not from the
 * event source at all) throws; a malformed message is returned in `unreadable` with its reason
 * so that one bad message never fails the batch.
 */
export function normalizeAmazonMqEvent(event: unknown): NormalizedBatch {
  const parsed = AmazonMqEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError(`not an Amazon MQ for RabbitMQ event: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const messages: InboundMessage[] = [];
  const unreadable: UnreadableMessage[] = [];
  for (const [key, records] of Object.entries(parsed.data.rmqMessagesByQueue)) {
    const separator = key.lastIndexOf('::');
    const queue = key.slice(0, separator);
    const vhost = key.slice(separator + 2);
    records.forEach((raw, index) => {
      const record = AmazonMqMessageSchema.safeParse(raw);
      if (!record.success) {
        unreadable.push({ queue, vhost, index, raw, reason: z.prettifyError(record.error), ...salvage(queue, vhost, raw) });
        return;
      }
      const timestamp = record.data.basicProperties.timestamp;
      const date = timestamp == null ? undefined : parseJavaMediumDate(timestamp);
      if (timestamp != null && date === undefined) {
        unreadable.push({ queue, vhost, index, raw, reason: `timestamp "${timestamp}" is not a date`, ...salvage(queue, vhost, raw) });
        return;
      }
      messages.push({
        queue,
        vhost,
        headers: decodeHeaders(record.data.basicProperties.headers ?? {}),
        properties: toProperties(record.data.basicProperties, date),
        body: Buffer.from(record.data.data, 'base64'),
        redelivered: record.data.redelivered,
      });
    });
  }
  return { messages, unreadable };
}

const isTable = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads field by field what the whole-record schema refused: a header or property the contract
 * does not allow is left out, the others are kept; a body that is not base64 is kept as the text
 * that arrived, since its bytes cannot be known.
 */
function salvage(queue: string, vhost: string, raw: unknown): Pick<UnreadableMessage, 'salvaged' | 'bodyProblem'> {
  const record = isTable(raw) ? raw : {};
  const props = isTable(record['basicProperties']) ? record['basicProperties'] : {};
  const fields: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(AmazonMqBasicPropertiesSchema.shape)) {
    const parsed = schema.safeParse(props[name]);
    if (parsed.success && parsed.data !== undefined) fields[name] = parsed.data;
  }
  const headers: Record<string, EncodedHeaderValue> = {};
  for (const [name, value] of Object.entries(isTable(props['headers']) ? props['headers'] : {})) {
    const parsed = EncodedHeaderValueSchema.safeParse(value);
    if (parsed.success) headers[name] = parsed.data;
  }
  // Each field was checked by its own schema above.
  const readable = { ...fields, headers } as AmazonMqBasicProperties;
  const date = typeof readable.timestamp === 'string' ? parseJavaMediumDate(readable.timestamp) : undefined;
  const data = record['data'];
  const body =
    typeof data !== 'string'
      ? { body: Buffer.alloc(0), bodyProblem: 'the record has no data: the body is lost' }
      : BASE64.test(data)
        ? { body: Buffer.from(data, 'base64') }
        : { body: Buffer.from(data, 'utf8'), bodyProblem: 'data is not valid base64: the body is that text as received' };
  const salvaged: InboundMessage = {
    queue,
    vhost,
    headers: decodeHeaders(headers),
    properties: toProperties(readable, date),
    body: body.body,
    redelivered: record['redelivered'] === true,
  };
  return body.bodyProblem === undefined ? { salvaged } : { salvaged, bodyProblem: body.bodyProblem };
}

function toProperties(props: AmazonMqBasicProperties, timestamp: Date | undefined): MessageProperties {
  const out: MessageProperties = {};
  const copy = <K extends keyof MessageProperties>(key: K, value: MessageProperties[K] | null | undefined) => {
    if (value !== null && value !== undefined) out[key] = value;
  };
  copy('contentType', props.contentType);
  copy('contentEncoding', props.contentEncoding);
  copy('deliveryMode', props.deliveryMode);
  copy('priority', props.priority);
  copy('correlationId', props.correlationId);
  copy('replyTo', props.replyTo);
  copy('expiration', props.expiration);
  copy('messageId', props.messageId);
  copy('timestamp', timestamp);
  copy('type', props.type);
  copy('userId', props.userId);
  copy('appId', props.appId);
  return out;
}

/** The event source mapping's text values: `{bytes: [...]}`, signed or not. */
function encodedBytes(value: object): Uint8Array | undefined {
  const parsed = EncodedBytesSchema.safeParse(value);
  return parsed.success ? Uint8Array.from(parsed.data.bytes, (b) => b & 0xff) : undefined;
}

export function decodeHeaders(headers: Record<string, EncodedHeaderValue>): Headers {
  return decodeHeaderTable(headers, encodedBytes);
}

/** The inverse of decodeHeaders, as the event source mapping encodes headers. */
export function encodeHeaders(headers: Record<string, unknown>): Record<string, EncodedHeaderValue> {
  const encode = (value: unknown): EncodedHeaderValue => {
    if (typeof value === 'string') return { bytes: [...Buffer.from(value, 'utf8')] };
    if (Buffer.isBuffer(value)) return { bytes: [...value] };
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
    if (typeof value === 'bigint') return Number(value);
    if (value instanceof Date) return Math.floor(value.getTime() / 1000);
    if (Array.isArray(value)) return value.map(encode);
    if (typeof value === 'object' && value !== undefined) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
    }
    return null;
  };
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, encode(v)]));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const JAVA_MEDIUM = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})[\s\u202f]?(AM|PM)$/;

/** Parses "Jan 1, 1970, 12:33:41 AM" as UTC; undefined when it is not that format. */
export function parseJavaMediumDate(text: string): Date | undefined {
  const match = JAVA_MEDIUM.exec(text.trim());
  if (!match) return undefined;
  const [, mon, day, year, hour, minute, second, half] = match;
  const month = MONTHS.indexOf(mon ?? '');
  const h = Number(hour);
  const [min, sec] = [Number(minute), Number(second)];
  // Date.UTC would roll 1:60 over to 2:00 instead of refusing it.
  if (month < 0 || h < 1 || h > 12 || min > 59 || sec > 59) return undefined;
  const hours24 = (h % 12) + (half === 'PM' ? 12 : 0);
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 19xx.
  date.setUTCFullYear(Number(year), month, Number(day));
  date.setUTCHours(hours24, min, sec, 0);
  return date.getUTCDate() === Number(day) ? date : undefined;
}

/** Formats a date as the event source mapping does (UTC, Java medium US format). */
export function formatJavaMediumDate(date: Date): string {
  const h = date.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}, ${h % 12 === 0 ? 12 : h % 12}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}
