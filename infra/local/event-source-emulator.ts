import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { REJECTION_REASON_HEADER } from '../../shared/application/services/batch-effects.js';
import { AmqpConnectionProvider } from '../../shared/amqp-kit/connection.js';
import { SilentLogger } from '../../shared/amqp-kit/silent-logger.js';
import { withTimeLimit } from '../../shared/amqp-kit/time-limit.js';
import type { AmazonMqEvent } from '../../shared/contract/amazon-mq-event.js';
import type { EventSourceMapping } from '../../shared/contract/manager-settings.js';
import { backoffDelay, type BackoffPolicy } from '../../shared/kernel/backoff.js';
import { AppError, describeError } from '../../shared/kernel/errors.js';
import type { Logger } from '../../shared/kernel/logger.js';
import { BatchBuffer, batchLimits, buildEvent, settleBatch, type BatchLimits, type Buffered } from './event-source-emulator-batch.js';

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
  logger?: Logger;
  /**
   * Where the queue dead-letters (its x-dead-letter-exchange and routing key). With it, a delivery
   * that cannot be handed to the function (over the payload limit, not encodable as a record) is
   * copied there with its reason in `x-wm-rejection-reason`, and acknowledged once the copy is
   * confirmed; without it, it is rejected without requeue and the broker dead-letters it reasonless.
   */
  deadLetterTo?: { exchange: string; routingKey: string };
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
  /**
   * Messages rejected alone without requeue (dead-lettered if the queue says so): too big for any
   * event, or not encodable as an event record.
   */
  dropped: number;
  /** Times the consumer was re-established after a lost channel or connection. */
  resubscriptions: number;
  /** Messages received and waiting for the next batch. */
  buffered: number;
  /** Messages in the running invocation. */
  inFlight: number;
}

export const DEFAULT_INVOCATION_TIMEOUT_MS = 15 * 60 * 1000;
export const DEFAULT_EVENT_SOURCE_ARN = 'arn:aws:mq:us-east-1:000000000000:broker:local:b-00000000-0000-0000-0000-000000000000';

export class EventSourceEmulatorError extends AppError {
  public override readonly name = 'EventSourceEmulatorError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

interface Subscription {
  /** A confirm channel, so that a dead-lettered copy is known to be safe before its original is acknowledged. */
  channel: ConfirmChannel;
  consumerTag: string | undefined;
  /** Set once consume succeeded: only then does losing the channel call for a re-subscription. */
  active: boolean;
  closed: boolean;
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export class EventSourceEmulator {
  private readonly provider: AmqpConnectionProvider;
  private readonly ownsProvider: boolean;
  private readonly queue: string;
  private readonly limits: BatchLimits;
  private readonly eventSourceArn: string;
  private readonly eventKey: string;
  private readonly handler: EventSourceHandler;
  private readonly invocationTimeoutMs: number;
  private readonly logger: Logger;
  private readonly resubscribeBackoff: BackoffPolicy;
  private readonly deadLetterTo: { exchange: string; routingKey: string } | undefined;

  private state: State = 'idle';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private subscription: Subscription | undefined;
  private subscribing: Promise<void> | undefined;
  private resubscribeTimer: NodeJS.Timeout | undefined;
  private readonly buffer: BatchBuffer<Subscription>;
  private invocation: Promise<void> | undefined;
  private inFlightCount = 0;
  private readonly counters = { invocations: 0, messages: 0, failures: 0, requeued: 0, dropped: 0, resubscriptions: 0 };

  /** The emulator of one event source mapping of the shared settings (queue, batch size, window). */
  public static forMapping(
    mapping: EventSourceMapping,
    connection: AmqpConnectionProvider,
    handler: EventSourceHandler,
    options: { logger?: Logger; deadLetterTo?: { exchange: string; routingKey: string } | undefined } = {},
  ): EventSourceEmulator {
    return new EventSourceEmulator({
      connection,
      queue: mapping.queue,
      batchSize: mapping.batchSize,
      maximumBatchingWindowMs: mapping.maximumBatchingWindowSeconds * 1000,
      handler,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.deadLetterTo === undefined ? {} : { deadLetterTo: options.deadLetterTo }),
    });
  }

  public constructor(options: EventSourceEmulatorOptions) {
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
    this.limits = batchLimits(options, Buffer.byteLength(JSON.stringify(buildEvent(this.eventSourceArn, this.eventKey, []))));
    this.buffer = new BatchBuffer<Subscription>(this.limits, () => this.flush());
    this.handler = options.handler;
    this.invocationTimeoutMs = options.invocationTimeoutMs ?? DEFAULT_INVOCATION_TIMEOUT_MS;
    this.logger = options.logger ?? new SilentLogger();
    this.deadLetterTo = options.deadLetterTo;
    this.resubscribeBackoff = {
      initialDelayMs: options.resubscribe?.initialDelayMs ?? 100,
      maxDelayMs: options.resubscribe?.maxDelayMs ?? 5_000,
      factor: 2,
      jitter: 0,
    };
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
        this.logger.info('event source started', this.describe());
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
    this.buffer.disarm();
    await this.starting?.catch(() => undefined);
    await this.subscribing?.catch(() => undefined);

    const subscription = this.subscription;
    if (subscription && !subscription.closed && subscription.consumerTag !== undefined) {
      try {
        await subscription.channel.cancel(subscription.consumerTag);
      } catch (error) {
        this.logger.debug('consumer cancel failed; the channel is gone', { queue: this.queue, error: describeError(error) });
      }
    }
    await this.invocation;

    // After the invocation settled, the buffer is exactly the channel's unacked set.
    const buffered = this.buffer.drain().filter((b) => !b.subscription.closed);
    try {
      settleBatch(buffered, 'requeue');
      this.counters.requeued += buffered.length;
    } catch (error) {
      this.logger.debug('requeue at stop failed; the broker requeues on close', { error: describeError(error) });
    }
    if (subscription && !subscription.closed) await subscription.channel.close().catch(() => undefined);
    this.subscription = undefined;
    if (this.ownsProvider) await this.provider.close();
    this.state = 'stopped';
    this.logger.info('event source stopped', this.describe());
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
    const channel = await model.createConfirmChannel();
    const subscription: Subscription = { channel, consumerTag: undefined, active: false, closed: false };
    channel.on('error', (error: Error) => {
      this.logger.warn('RabbitMQ closed the event source channel', { queue: this.queue, error: describeError(error) });
    });
    channel.on('close', () => this.onChannelClosed(subscription));
    try {
      await channel.prefetch(this.limits.batchSize);
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
    const discarded = this.buffer.retain((b) => b.subscription !== subscription);
    if (!subscription.active || this.state !== 'running') return;
    this.logger.warn('event source lost its subscription; re-subscribing', {
      queue: this.queue,
      discardedBuffered: discarded,
      invocationRunning: this.invocation !== undefined,
    });
    this.scheduleResubscribe(1);
  }

  private scheduleResubscribe(attempt: number): void {
    const delay = backoffDelay(attempt, this.resubscribeBackoff);
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = undefined;
      if (this.state !== 'running') return;
      this.subscribe().then(
        () => {
          this.counters.resubscriptions += 1;
          this.logger.info('event source re-subscribed', { queue: this.queue, attempt });
        },
        (error: unknown) => {
          if (this.state !== 'running') return;
          this.logger.warn('event source re-subscription failed', {
            queue: this.queue,
            attempt,
            retryInMs: backoffDelay(attempt + 1, this.resubscribeBackoff),
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
      this.logger.warn('RabbitMQ cancelled the event source consumer', { queue: this.queue });
      subscription.channel.close().catch(() => undefined);
      return;
    }
    try {
      const offered = this.buffer.offer(subscription, message);
      if (!offered.accepted) {
        // Lambda cannot invoke with a record above its payload limit: the message is set aside alone.
        const reason = `message of ${message.content.length} bytes (${offered.bytes} bytes as an event record) exceeds the ${this.limits.maxPayloadBytes}-byte invocation payload limit`;
        this.logger.warn('message exceeds the invocation payload limit; dead-lettered alone', {
          queue: this.queue,
          recordBytes: offered.bytes,
          maxPayloadBytes: this.limits.maxPayloadBytes,
          messageId: message.properties.messageId as unknown,
        });
        this.setAside(subscription, message, reason);
        return;
      }
      this.schedule();
    } catch (error) {
      // Closing the channel would redeliver every unacked neighbour and bring each nearer its
      // delivery limit; this one alone is set aside.
      this.logger.error('cannot encode a delivery as an event record; dead-lettered alone', {
        queue: this.queue,
        messageId: message.properties.messageId as unknown,
        error: describeError(error),
      });
      this.setAside(subscription, message, `unreadable message: ${describeError(error)}`);
    }
  }

  /**
   * Sends one delivery to the queue's dead-letter route with its reason: a copy published there
   * (with its original properties, or with its headers alone if those cannot be encoded again),
   * the original acknowledged once the broker confirms the copy. If no copy can be made it is
   * rejected without requeue, and the broker dead-letters it without a reason.
   */
  private setAside(subscription: Subscription, message: ConsumeMessage, reason: string): void {
    this.counters.dropped += 1;
    const target = this.deadLetterTo;
    const reject = () => this.settleAlone(subscription, () => subscription.channel.nack(message, false, false));
    if (target === undefined) return reject();
    const onConfirm = (error: unknown) => {
      if (error !== null && error !== undefined) return reject();
      this.settleAlone(subscription, () => subscription.channel.ack(message));
    };
    const headers = { ...(message.properties.headers ?? {}), [REJECTION_REASON_HEADER]: reason };
    const copies: Options.Publish[] = [
      { ...publishOptionsOf(message), headers },
      { headers: { [REJECTION_REASON_HEADER]: reason }, persistent: true },
    ];
    for (const options of copies) {
      try {
        subscription.channel.publish(target.exchange, target.routingKey, message.content, options, onConfirm);
        return;
      } catch (error) {
        this.logger.warn('cannot copy a delivery to its dead-letter route as it is; trying with its reason alone', {
          queue: this.queue,
          error: describeError(error),
        });
      }
    }
    reject();
  }

  /** A settle of one delivery; if its channel is gone, the broker has already requeued it. */
  private settleAlone(subscription: Subscription, settle: () => void): void {
    if (subscription.closed) return;
    try {
      settle();
    } catch (error) {
      this.logger.error('cannot settle a delivery set aside; the broker redelivers it when the channel goes', {
        queue: this.queue,
        error: describeError(error),
      });
    }
  }

  private schedule(): void {
    if (this.state !== 'running' || this.invocation !== undefined) return;
    this.buffer.arm();
  }

  private flush(): void {
    if (this.state !== 'running' || this.invocation !== undefined) return;
    const batch = this.buffer.takeBatch();
    if (batch.length === 0) return;
    this.invocation = this.invoke(batch).finally(() => {
      this.invocation = undefined;
      this.schedule();
    });
  }

  /** Never rejects: a failure is settled on the broker and reported, like the real mapping does. */
  private async invoke(batch: Buffered<Subscription>[]): Promise<void> {
    this.counters.invocations += 1;
    this.counters.messages += batch.length;
    this.inFlightCount = batch.length;
    let succeeded: boolean;
    try {
      const event = buildEvent(
        this.eventSourceArn,
        this.eventKey,
        batch.map((b) => b.record),
      );
      await withTimeLimit(
        this.handler(event),
        this.invocationTimeoutMs,
        () => new EventSourceEmulatorError(`the handler did not finish within ${this.invocationTimeoutMs} ms (the function time-out)`),
      );
      succeeded = true;
    } catch (error) {
      succeeded = false;
      this.counters.failures += 1;
      this.logger.warn('handler failed; the whole batch is requeued', {
        queue: this.queue,
        messages: batch.length,
        error: describeError(error),
      });
    } finally {
      this.inFlightCount = 0;
    }
    if (batch.at(-1)?.subscription.closed === true) {
      this.logger.warn('channel lost during the invocation; the broker redelivers the batch', {
        queue: this.queue,
        messages: batch.length,
        handlerSucceeded: succeeded,
      });
      return;
    }
    try {
      settleBatch(batch, succeeded ? 'ack' : 'requeue');
      if (!succeeded) this.counters.requeued += batch.length;
    } catch (error) {
      this.logger.warn('cannot settle the batch; the broker redelivers it', { queue: this.queue, error: describeError(error) });
    }
  }

  private describe(): Record<string, unknown> {
    return {
      queue: this.queue,
      key: this.eventKey,
      batchSize: this.limits.batchSize,
      maximumBatchingWindowMs: this.limits.windowMs,
      maxPayloadBytes: this.limits.maxPayloadBytes,
    };
  }
}

/**
 * The properties of a delivery to publish its copy with. Not its user id (the broker refuses a
 * publish whose user id is not the publisher's, closing the channel) nor its expiration (a dead
 * letter must stay until someone looks at it); its headers are the caller's.
 */
function publishOptionsOf({ properties }: ConsumeMessage): Options.Publish {
  const options: Options.Publish = {};
  if (properties.contentType !== undefined) options.contentType = properties.contentType as string;
  if (properties.contentEncoding !== undefined) options.contentEncoding = properties.contentEncoding as string;
  if (properties.deliveryMode !== undefined) options.deliveryMode = properties.deliveryMode as number;
  if (properties.priority !== undefined) options.priority = properties.priority as number;
  if (properties.correlationId !== undefined) options.correlationId = properties.correlationId as string;
  if (properties.replyTo !== undefined) options.replyTo = properties.replyTo as string;
  if (properties.messageId !== undefined) options.messageId = properties.messageId as string;
  if (properties.timestamp !== undefined) options.timestamp = properties.timestamp as number;
  if (properties.type !== undefined) options.type = properties.type as string;
  if (properties.appId !== undefined) options.appId = properties.appId as string;
  return options;
}
