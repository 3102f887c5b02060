import type { Channel, ConsumeMessage } from 'amqplib';
import type { EventSourceMapping } from '../../shared/contract/manager-settings.js';
import {
  encodeHeaders,
  formatJavaMediumDate,
  type AmazonMqEvent,
  type AmazonMqMessage,
} from '../../shared/contract/amazon-mq-event.js';
import { AmqpConnectionProvider } from '../../shared/adapters/rabbitmq/connection.js';
import { describeError, type AmqpLogger } from '../../shared/adapters/rabbitmq/logger.js';

/*
 * A local stand-in for Lambda's Amazon MQ for RabbitMQ event source mapping: it consumes one
 * queue, batches what arrives the way the mapping does (batch size, batching window, 6 MB
 * payload), calls the handler with the exact `aws:rmq` event, and settles the batch as the mapping
 * does: ack after success, requeue the whole batch after a failure. RabbitMQ mappings run one
 * invocation at a time, and so does this.
 */

export type EventSourceHandler = (event: AmazonMqEvent) => Promise<unknown>;

export interface EventSourceEmulatorOptions {
  /** A shared provider (left open by stop()) or a URL (the emulator then owns its connection). */
  connection: AmqpConnectionProvider | string;
  queue: string;
  /** The vhost in the `queue::vhost` key; defaults to the vhost the connection URL selects. */
  vhost?: string;
  /** Lambda's BatchSize: 1 to 10,000, default 100. Also the consumer prefetch. */
  batchSize?: number;
  /** Lambda's MaximumBatchingWindowInSeconds, in ms: 0 to 300,000, default 500. */
  maximumBatchingWindowMs?: number;
  /** The invocation payload limit; a batch is cut before its event would exceed it. */
  maxPayloadBytes?: number;
  eventSourceArn?: string;
  handler: EventSourceHandler;
  /**
   * Lambda stops an invocation at the function's time-out and the mapping redelivers its batch;
   * a handler still running after this long is given up the same way (it cannot be killed in
   * process, so it is logged), and the emulator moves on. Default 15 min, Lambda's maximum.
   */
  invocationTimeoutMs?: number;
  logger?: AmqpLogger;
  /** Backoff of re-subscription after the connection or channel is lost. */
  resubscribe?: { initialDelayMs?: number; maxDelayMs?: number };
}

export interface EventSourceEmulatorStats {
  /** Handler invocations started. */
  invocations: number;
  /** Messages handed to the handler, redeliveries included. */
  messages: number;
  /** Invocations whose handler threw (their batch was requeued). */
  failures: number;
  /** Messages requeued: failed batches plus those still buffered at stop(). */
  requeued: number;
  /** Messages too big for any event, rejected without requeue (dead-lettered if the queue says so). */
  dropped: number;
  /** Times the consumer was re-established after a lost channel or connection. */
  resubscriptions: number;
  /** Messages received and waiting for the next batch. */
  buffered: number;
  /** Messages in the running invocation. */
  inFlight: number;
}

/** Lambda's synchronous invocation payload limit. */
export const LAMBDA_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const DEFAULT_INVOCATION_TIMEOUT_MS = 15 * 60 * 1000;
export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_MAXIMUM_BATCHING_WINDOW_MS = 500;
export const DEFAULT_EVENT_SOURCE_ARN = 'arn:aws:mq:us-east-1:000000000000:broker:local:b-00000000-0000-0000-0000-000000000000';

export class EventSourceEmulatorError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventSourceEmulatorError';
  }
}

interface Subscription {
  channel: Channel;
  consumerTag: string | undefined;
  /** Set once consume succeeded: only then does losing the channel call for a re-subscription. */
  active: boolean;
  closed: boolean;
}

interface Buffered {
  subscription: Subscription;
  message: ConsumeMessage;
  record: AmazonMqMessage;
  /** Bytes the record adds to the event's JSON. */
  bytes: number;
  arrivedAt: number;
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export class EventSourceEmulator {
  private readonly provider: AmqpConnectionProvider;
  private readonly ownsProvider: boolean;
  private readonly queue: string;
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly maxPayloadBytes: number;
  private readonly eventSourceArn: string;
  private readonly eventKey: string;
  /** Bytes of the event with an empty message list: the fixed cost of every invocation. */
  private readonly envelopeBytes: number;
  private readonly handler: EventSourceHandler;
  private readonly invocationTimeoutMs: number;
  private readonly logger: AmqpLogger | undefined;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  private state: State = 'idle';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private subscribing: Promise<void> | undefined;
  private resubscribeTimer: NodeJS.Timeout | undefined;
  private buffer: Buffered[] = [];
  /** Sum of the buffered records' bytes, so each delivery checks "full" without a walk. */
  private bufferedBytes = 0;
  private flushTimer: { kind: 'immediate'; handle: NodeJS.Immediate } | { kind: 'timeout'; handle: NodeJS.Timeout } | undefined;
  private invocation: Promise<void> | undefined;
  private inFlightCount = 0;
  private readonly counters = { invocations: 0, messages: 0, failures: 0, requeued: 0, dropped: 0, resubscriptions: 0 };

  /** The emulator of one event source mapping of the shared settings (queue, batch size, window). */
  public static forMapping(
    mapping: EventSourceMapping,
    connection: AmqpConnectionProvider,
    handler: EventSourceHandler,
    logger?: AmqpLogger,
  ): EventSourceEmulator {
    return new EventSourceEmulator({
      connection,
      queue: mapping.queue,
      batchSize: mapping.batchSize,
      maximumBatchingWindowMs: mapping.maximumBatchingWindowSeconds * 1000,
      handler,
      ...(logger === undefined ? {} : { logger }),
    });
  }

  public constructor(options: EventSourceEmulatorOptions) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.windowMs = options.maximumBatchingWindowMs ?? DEFAULT_MAXIMUM_BATCHING_WINDOW_MS;
    this.maxPayloadBytes = options.maxPayloadBytes ?? LAMBDA_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 10_000) {
      throw new RangeError(`batchSize must be an integer from 1 to 10000, got ${this.batchSize}`);
    }
    if (!Number.isFinite(this.windowMs) || this.windowMs < 0 || this.windowMs > 300_000) {
      throw new RangeError(`maximumBatchingWindowMs must be from 0 to 300000, got ${this.windowMs}`);
    }
    if (options.queue === '') throw new RangeError('queue must not be empty');

    if (typeof options.connection === 'string') {
      this.provider = new AmqpConnectionProvider({
        url: options.connection,
        connectionName: `event-source:${options.queue}`,
        ...(options.logger ? { logger: options.logger } : {}),
      });
      this.ownsProvider = true;
    } else {
      this.provider = options.connection;
      this.ownsProvider = false;
    }
    this.queue = options.queue;
    this.eventSourceArn = options.eventSourceArn ?? DEFAULT_EVENT_SOURCE_ARN;
    this.eventKey = `${options.queue}::${options.vhost ?? this.provider.vhost}`;
    this.envelopeBytes = Buffer.byteLength(JSON.stringify(this.buildEvent([])));
    if (this.maxPayloadBytes <= this.envelopeBytes) {
      throw new RangeError(`maxPayloadBytes (${this.maxPayloadBytes}) leaves no room for a message`);
    }
    this.handler = options.handler;
    this.invocationTimeoutMs = options.invocationTimeoutMs ?? DEFAULT_INVOCATION_TIMEOUT_MS;
    this.logger = options.logger;
    this.initialDelayMs = options.resubscribe?.initialDelayMs ?? 100;
    this.maxDelayMs = options.resubscribe?.maxDelayMs ?? 5_000;
  }

  public get stats(): EventSourceEmulatorStats {
    return { ...this.counters, buffered: this.buffer.length, inFlight: this.inFlightCount };
  }

  public get running(): boolean {
    return this.state === 'running';
  }

  /** Subscribes to the queue. Rejects (and stays startable) if the broker or the queue is missing. */
  public start(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.state === 'starting' && this.starting) return this.starting;
    if (this.state !== 'idle') return Promise.reject(new EventSourceEmulatorError(`cannot start an emulator that is ${this.state}`));
    this.state = 'starting';
    this.starting = this.subscribe().then(
      () => {
        if (this.state === 'starting') this.state = 'running';
        this.logger?.info?.('event source started', this.describe());
        // A queue with a backlog delivers before consume() even returns: batch what came.
        this.schedule();
      },
      (error: unknown) => {
        if (this.state === 'starting') this.state = 'idle';
        throw new EventSourceEmulatorError(`cannot subscribe to queue "${this.queue}": ${describeError(error)}`, { cause: error });
      },
    );
    return this.starting;
  }

  /**
   * Cancels the consumer, lets the running invocation finish and settle, requeues what was
   * buffered but never handed to the handler, and closes the channel. Idempotent.
   */
  public stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopping';
    clearTimeout(this.resubscribeTimer);
    this.resubscribeTimer = undefined;
    this.clearFlushTimer();
    await this.starting?.catch(() => undefined);
    await this.subscribing?.catch(() => undefined);

    const subscription = this.subscription;
    if (subscription && !subscription.closed && subscription.consumerTag !== undefined) {
      try {
        await subscription.channel.cancel(subscription.consumerTag);
      } catch (error) {
        this.logger?.debug?.('consumer cancel failed; the channel is gone', { queue: this.queue, error: describeError(error) });
      }
    }
    await this.invocation;

    // After the invocation settled, the buffer is exactly the channel's unacked set.
    const buffered = this.buffer.filter((b) => !b.subscription.closed);
    this.setBuffer([]);
    const last = buffered.at(-1);
    if (last) {
      try {
        last.subscription.channel.nack(last.message, true, true);
        this.counters.requeued += buffered.length;
      } catch (error) {
        this.logger?.debug?.('requeue at stop failed; the broker requeues on close', { error: describeError(error) });
      }
    }
    if (subscription && !subscription.closed) await subscription.channel.close().catch(() => undefined);
    this.subscription = undefined;
    if (this.ownsProvider) await this.provider.close();
    this.state = 'stopped';
    this.logger?.info?.('event source stopped', this.describe());
  }

  private subscribe(): Promise<void> {
    const attempt = this.openSubscription().finally(() => {
      if (this.subscribing === attempt) this.subscribing = undefined;
    });
    this.subscribing = attempt;
    return attempt;
  }

  private async openSubscription(): Promise<void> {
    const model = await this.provider.get();
    const channel = await model.createChannel();
    const subscription: Subscription = { channel, consumerTag: undefined, active: false, closed: false };
    channel.on('error', (error: Error) => {
      this.logger?.warn?.('RabbitMQ closed the event source channel', { queue: this.queue, error: describeError(error) });
    });
    channel.on('close', () => this.onChannelClosed(subscription));
    try {
      await channel.prefetch(this.batchSize);
      const { consumerTag } = await channel.consume(this.queue, (message) => this.onDelivery(subscription, message), { noAck: false });
      subscription.consumerTag = consumerTag;
    } catch (error) {
      if (!subscription.closed) await channel.close().catch(() => undefined);
      throw error;
    }
    // Kept even when stop() ran meanwhile: stop() waits for this attempt, then cancels it.
    this.subscription = subscription;
    subscription.active = true;
  }

  private onChannelClosed(subscription: Subscription): void {
    subscription.closed = true;
    if (this.subscription === subscription) this.subscription = undefined;
    // Unacked messages of a closed channel go back to the queue; drop our copies of them.
    const before = this.buffer.length;
    this.setBuffer(this.buffer.filter((b) => b.subscription !== subscription));
    if (this.buffer.length === 0) this.clearFlushTimer();
    if (!subscription.active || this.state !== 'running') return;
    this.logger?.warn?.('event source lost its subscription; re-subscribing', {
      queue: this.queue,
      discardedBuffered: before - this.buffer.length,
      invocationRunning: this.invocation !== undefined,
    });
    this.scheduleResubscribe(1);
  }

  private scheduleResubscribe(attempt: number): void {
    const delay = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (attempt - 1));
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = undefined;
      if (this.state !== 'running') return;
      this.subscribe().then(
        () => {
          this.counters.resubscriptions += 1;
          this.logger?.info?.('event source re-subscribed', { queue: this.queue, attempt });
        },
        (error: unknown) => {
          if (this.state !== 'running') return;
          this.logger?.warn?.('event source re-subscription failed', {
            queue: this.queue,
            attempt,
            retryInMs: Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** attempt),
            error: describeError(error),
          });
          this.scheduleResubscribe(attempt + 1);
        },
      );
    }, delay);
  }

  /** amqplib calls this inside its frame parser: it must never throw, or the connection dies. */
  private onDelivery(subscription: Subscription, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (queue deleted): close the channel to re-subscribe.
      this.logger?.warn?.('RabbitMQ cancelled the event source consumer', { queue: this.queue });
      subscription.channel.close().catch(() => undefined);
      return;
    }
    try {
      const record = toRecord(message);
      const bytes = Buffer.byteLength(JSON.stringify(record));
      if (this.envelopeBytes + bytes > this.maxPayloadBytes) {
        // Lambda drops records above its payload limit; rejecting lets a dead-letter route keep it.
        subscription.channel.nack(message, false, false);
        this.counters.dropped += 1;
        this.logger?.warn?.('message exceeds the invocation payload limit; rejected without requeue', {
          queue: this.queue,
          recordBytes: bytes,
          maxPayloadBytes: this.maxPayloadBytes,
          messageId: message.properties.messageId as unknown,
        });
        return;
      }
      this.buffer.push({ subscription, message, record, bytes, arrivedAt: performance.now() });
      this.bufferedBytes += bytes;
      this.schedule();
    } catch (error) {
      this.logger?.error?.('cannot buffer a delivery; closing the channel so it is redelivered', {
        queue: this.queue,
        error: describeError(error),
      });
      subscription.channel.close().catch(() => undefined);
    }
  }

  private setBuffer(entries: Buffered[]): void {
    this.buffer = entries;
    this.bufferedBytes = entries.reduce((sum, b) => sum + b.bytes, 0);
  }

  /** The next event cannot grow any more: it has batchSize messages, or the buffer overflows the payload. */
  private batchIsFull(): boolean {
    const commas = Math.max(0, this.buffer.length - 1);
    return this.buffer.length >= this.batchSize || this.envelopeBytes + this.bufferedBytes + commas > this.maxPayloadBytes;
  }

  /** How many buffered messages the next event takes: up to batchSize, within the payload limit. */
  private nextBatchCount(): number {
    let bytes = this.envelopeBytes;
    let count = 0;
    for (const entry of this.buffer) {
      if (count === this.batchSize) break;
      const added = entry.bytes + (count > 0 ? 1 : 0); // the comma between records
      if (bytes + added > this.maxPayloadBytes) break;
      bytes += added;
      count += 1;
    }
    return count;
  }

  private schedule(): void {
    if (this.state !== 'running' || this.invocation !== undefined) return;
    const first = this.buffer[0];
    if (!first) return;
    const full = this.batchIsFull();
    const dueIn = first.arrivedAt + this.windowMs - performance.now();
    if (full || dueIn <= 0) {
      // A macrotask tick lets a burst already read from the socket join this batch.
      if (this.flushTimer?.kind !== 'immediate') {
        this.clearFlushTimer();
        this.flushTimer = { kind: 'immediate', handle: setImmediate(() => this.flush()) };
      }
      return;
    }
    if (!this.flushTimer) {
      this.flushTimer = { kind: 'timeout', handle: setTimeout(() => this.flush(), Math.ceil(dueIn)) };
    }
  }

  private clearFlushTimer(): void {
    const timer = this.flushTimer;
    this.flushTimer = undefined;
    if (timer?.kind === 'immediate') clearImmediate(timer.handle);
    if (timer?.kind === 'timeout') clearTimeout(timer.handle);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.state !== 'running' || this.invocation !== undefined) return;
    const count = this.nextBatchCount();
    if (count === 0) return;
    const batch = this.buffer.splice(0, count);
    for (const entry of batch) this.bufferedBytes -= entry.bytes;
    this.invocation = this.invoke(batch).finally(() => {
      this.invocation = undefined;
      this.schedule();
    });
  }

  /** Never rejects: a failure is settled on the broker and reported, like the real mapping does. */
  private async invoke(batch: Buffered[]): Promise<void> {
    this.counters.invocations += 1;
    this.counters.messages += batch.length;
    this.inFlightCount = batch.length;
    let succeeded: boolean;
    let timer: NodeJS.Timeout | undefined;
    try {
      const running = this.handler(this.buildEvent(batch.map((b) => b.record)));
      // Abandoned after a time-out, a handler may still fail later: nobody is left to hear it.
      running.catch(() => undefined);
      const timeLimit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new EventSourceEmulatorError(`the handler did not finish within ${this.invocationTimeoutMs} ms (the function time-out)`)), this.invocationTimeoutMs);
      });
      await Promise.race([running, timeLimit]);
      succeeded = true;
    } catch (error) {
      succeeded = false;
      this.counters.failures += 1;
      this.logger?.warn?.('handler failed; the whole batch is requeued', {
        queue: this.queue,
        messages: batch.length,
        error: describeError(error),
      });
    } finally {
      clearTimeout(timer);
      this.inFlightCount = 0;
    }
    const last = batch.at(-1);
    if (!last) return;
    const subscription = last.subscription;
    if (subscription.closed) {
      this.logger?.warn?.('channel lost during the invocation; the broker redelivers the batch', {
        queue: this.queue,
        messages: batch.length,
        handlerSucceeded: succeeded,
      });
      return;
    }
    try {
      // One frame settles the batch: every unacked tag up to its last one belongs to it, since
      // batches are taken in delivery order and only one runs at a time.
      if (succeeded) {
        subscription.channel.ack(last.message, true);
      } else {
        subscription.channel.nack(last.message, true, true);
        this.counters.requeued += batch.length;
      }
    } catch (error) {
      this.logger?.warn?.('cannot settle the batch; the broker redelivers it', { queue: this.queue, error: describeError(error) });
    }
  }

  private buildEvent(records: AmazonMqMessage[]): AmazonMqEvent {
    return {
      eventSource: 'aws:rmq',
      eventSourceArn: this.eventSourceArn,
      rmqMessagesByQueue: { [this.eventKey]: records },
    };
  }

  private describe(): Record<string, unknown> {
    return {
      queue: this.queue,
      key: this.eventKey,
      batchSize: this.batchSize,
      maximumBatchingWindowMs: this.windowMs,
      maxPayloadBytes: this.maxPayloadBytes,
    };
  }
}

/** The record of one delivery, as the mapping serialises the Java client's BasicProperties. */
function toRecord(message: ConsumeMessage): AmazonMqMessage {
  const p = message.properties;
  const headers = p.headers === undefined ? null : encodeHeaders(plainHeaders(p.headers));
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

/**
 * amqplib tags AMQP timestamps and decimals as `{'!': type, value}`; the Java client the mapping
 * runs on reads them as a Date and a BigDecimal, so they are turned into their plain values.
 */
function plainHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, plainValue(v)]));
}

function plainValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainValue);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  if ('!' in value && 'value' in value) {
    const tagged = value as { '!': unknown; value: unknown };
    if (tagged['!'] === 'timestamp' && typeof tagged.value === 'number') return new Date(tagged.value * 1000);
    if (tagged['!'] === 'decimal' && isDecimal(tagged.value)) return tagged.value.digits / 10 ** tagged.value.places;
    return tagged.value;
  }
  return plainHeaders(value as Record<string, unknown>);
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
