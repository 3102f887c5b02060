import type { Channel, ConsumeMessage } from 'amqplib';
import { plainDeliveryHeaders } from '../../shared/amqp-kit/delivery-headers.js';
import { encodeHeaders, formatJavaMediumDate, type AmazonMqEvent, type AmazonMqMessage } from '../../shared/contract/amazon-mq-event.js';

/*
 * The batch assembly of the event source emulator: records as the mapping serialises them, and a
 * buffer that says when the next event is full or due and how many records it takes (batch size,
 * batching window, payload limit). The emulator owns the subscription and the invocations.
 */

export interface Buffered<S> {
  /** The consumer that delivered the message: its channel is the only one that can settle it. */
  subscription: S;
  message: ConsumeMessage;
  record: AmazonMqMessage;
  /** Bytes the record adds to the event's JSON. */
  bytes: number;
  arrivedAt: number;
}

/** Lambda's synchronous invocation payload limit. */
export const LAMBDA_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_MAXIMUM_BATCHING_WINDOW_MS = 500;

export interface BatchLimits {
  batchSize: number;
  windowMs: number;
  maxPayloadBytes: number;
  /** Bytes of the event with an empty message list: the fixed cost of every invocation. */
  envelopeBytes: number;
}

/** The mapping's batching settings with Lambda's defaults, refused where Lambda refuses them. */
export function batchLimits(options: { batchSize?: number; maximumBatchingWindowMs?: number; maxPayloadBytes?: number }, envelopeBytes: number): BatchLimits {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const windowMs = options.maximumBatchingWindowMs ?? DEFAULT_MAXIMUM_BATCHING_WINDOW_MS;
  const maxPayloadBytes = options.maxPayloadBytes ?? LAMBDA_MAX_PAYLOAD_BYTES;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new RangeError(`batchSize must be an integer from 1 to 10000, got ${batchSize}`);
  }
  if (!Number.isFinite(windowMs) || windowMs < 0 || windowMs > 300_000) {
    throw new RangeError(`maximumBatchingWindowMs must be from 0 to 300000, got ${windowMs}`);
  }
  if (maxPayloadBytes <= envelopeBytes) throw new RangeError(`maxPayloadBytes (${maxPayloadBytes}) leaves no room for a message`);
  return { batchSize, windowMs, maxPayloadBytes, envelopeBytes };
}

export class BatchBuffer<S> {
  private entries: Buffered<S>[] = [];
  /** Sum of the buffered records' bytes, so each delivery checks "full" without a walk. */
  private bytes = 0;
  private timer: { kind: 'immediate'; handle: NodeJS.Immediate } | { kind: 'timeout'; handle: NodeJS.Timeout } | undefined;

  /** `onDue` is called (once per arming) when the next event is full or its window has passed. */
  public constructor(
    private readonly limits: BatchLimits,
    private readonly onDue: () => void,
  ) {}

  public get length(): number {
    return this.entries.length;
  }

  /** Buffers the delivery as a record, unless that record alone exceeds the payload limit (Lambda drops those). */
  public offer(subscription: S, message: ConsumeMessage): { accepted: boolean; bytes: number } {
    const record = toRecord(message);
    const bytes = Buffer.byteLength(JSON.stringify(record));
    if (this.limits.envelopeBytes + bytes > this.limits.maxPayloadBytes) return { accepted: false, bytes };
    this.entries.push({ subscription, message, record, bytes, arrivedAt: performance.now() });
    this.bytes += bytes;
    return { accepted: true, bytes };
  }

  /** Keeps only the entries `keep` accepts; disarms when nothing is left. Returns how many went. */
  public retain(keep: (entry: Buffered<S>) => boolean): number {
    const before = this.entries.length;
    this.entries = this.entries.filter(keep);
    this.bytes = this.entries.reduce((sum, b) => sum + b.bytes, 0);
    if (this.entries.length === 0) this.disarm();
    return before - this.entries.length;
  }

  /** Empties the buffer and returns what it held. */
  public drain(): Buffered<S>[] {
    const all = this.entries;
    this.entries = [];
    this.bytes = 0;
    this.disarm();
    return all;
  }

  /** Takes the records of the next event: up to batchSize, within the payload limit. */
  public takeBatch(): Buffered<S>[] {
    let bytes = this.limits.envelopeBytes;
    let count = 0;
    for (const entry of this.entries) {
      if (count === this.limits.batchSize) break;
      const added = entry.bytes + (count > 0 ? 1 : 0); // the comma between records
      if (bytes + added > this.limits.maxPayloadBytes) break;
      bytes += added;
      count += 1;
    }
    const batch = this.entries.splice(0, count);
    for (const entry of batch) this.bytes -= entry.bytes;
    return batch;
  }

  /** Arms the timer that calls `onDue`: at once when the next event is full or due, else when its window ends. */
  public arm(): void {
    const first = this.entries[0];
    if (!first) return;
    const dueIn = first.arrivedAt + this.limits.windowMs - performance.now();
    if (this.isFull() || dueIn <= 0) {
      // A macrotask tick lets a burst already read from the socket join this batch.
      if (this.timer?.kind !== 'immediate') {
        this.disarm();
        this.timer = { kind: 'immediate', handle: setImmediate(() => this.fire()) };
      }
      return;
    }
    if (!this.timer) this.timer = { kind: 'timeout', handle: setTimeout(() => this.fire(), Math.ceil(dueIn)) };
  }

  public disarm(): void {
    const timer = this.timer;
    this.timer = undefined;
    if (timer?.kind === 'immediate') clearImmediate(timer.handle);
    if (timer?.kind === 'timeout') clearTimeout(timer.handle);
  }

  private fire(): void {
    this.timer = undefined;
    this.onDue();
  }

  /** The next event cannot grow any more: it has batchSize messages, or the buffer overflows the payload. */
  private isFull(): boolean {
    const commas = Math.max(0, this.entries.length - 1);
    return this.entries.length >= this.limits.batchSize || this.limits.envelopeBytes + this.bytes + commas > this.limits.maxPayloadBytes;
  }
}

/**
 * Settles a batch tag by tag. One "multiple" frame would be fewer bytes, but it would also settle
 * a delivery set aside meanwhile (being dead-lettered with its reason, waiting for the confirm of
 * its copy), and settling that one again would be a channel error that redelivers everything.
 */
export function settleBatch(batch: readonly Buffered<{ channel: Channel }>[], how: 'ack' | 'requeue'): void {
  for (const { subscription, message } of batch) {
    if (how === 'ack') subscription.channel.ack(message);
    else subscription.channel.nack(message, false, true);
  }
}

export function buildEvent(eventSourceArn: string, key: string, records: AmazonMqMessage[]): AmazonMqEvent {
  return { eventSource: 'aws:rmq', eventSourceArn, rmqMessagesByQueue: { [key]: records } };
}

/** The record of one delivery, as the mapping serialises the Java client's BasicProperties. */
export function toRecord(message: ConsumeMessage): AmazonMqMessage {
  const p = message.properties;
  // The Java client reads AMQP timestamps and decimals as a Date and a BigDecimal: plain values.
  const headers = p.headers === undefined ? null : encodeHeaders(plainDeliveryHeaders(p.headers));
  const timestamp = typeof p.timestamp === 'number' ? formatJavaMediumDate(new Date(p.timestamp * 1000)) : null;
  return {
    basicProperties: {
      contentType: stringOrNull(p.contentType),
      contentEncoding: stringOrNull(p.contentEncoding),
      headers,
      deliveryMode: numberOrNull(p.deliveryMode),
      priority: numberOrNull(p.priority),
      correlationId: stringOrNull(p.correlationId),
      replyTo: stringOrNull(p.replyTo),
      expiration: stringOrNull(p.expiration),
      messageId: stringOrNull(p.messageId),
      timestamp,
      type: stringOrNull(p.type),
      userId: stringOrNull(p.userId),
      appId: stringOrNull(p.appId),
      clusterId: stringOrNull(p.clusterId),
      bodySize: message.content.length,
    },
    redelivered: message.fields.redelivered,
    data: message.content.toString('base64'),
  };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}
