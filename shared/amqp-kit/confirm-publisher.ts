import type { ConfirmChannel, Options } from 'amqplib';
import type { OutboundMessage } from '../contract/outbound-message.js';
import { retry, type BackoffPolicy } from '../kernel/backoff.js';
import { AppError, describeError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import type { AmqpConnectionProvider } from './connection.js';
import { replyCodeOf } from './reply-code.js';
import { SilentLogger } from './silent-logger.js';
import { withTimeLimit } from './time-limit.js';

/** A burst was not confirmed: the channel or connection failed, or the broker nacked a message. */
export class PublishFailedError extends AppError {
  // string, not the literal: its subclasses name themselves.
  public override readonly name: string = 'PublishFailedError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, statusCode: 503 });
  }
}

/** The broker refused the burst for a reason that sending it again will not change (no exchange, access refused). */
export class PublishRefusedError extends PublishFailedError {
  public override readonly name = 'PublishRefusedError';
}

/** The broker neither took nor confirmed the burst in time; it is probably blocking publishers. */
export class PublishTimeoutError extends PublishFailedError {
  public override readonly name = 'PublishTimeoutError';
}

/**
 * Whether sending the same burst again may succeed. A refusal will not change, and a broker that
 * blocks publishers would only make the caller wait longer; anything else (a dropped connection,
 * a closed channel) is usually over a moment later.
 */
export function isTransientPublishFailure(error: unknown): boolean {
  return !(error instanceof PublishRefusedError || error instanceof PublishTimeoutError);
}

export interface ConfirmPublisherOptions {
  logger?: Logger;
  /**
   * How long a burst may wait for its write buffer and confirms. A broker that blocks publishers
   * (memory or disk alarm) never answers; failing the burst lets the caller decide instead of
   * hanging. Default 30 s.
   */
  confirmTimeoutMs?: number;
  /** Tries of one burst before its failure reaches the caller, the first one included. Default 3. */
  attempts?: number;
  /** The waits between those tries. Default 200 ms, then 1 s. */
  retryBackoff?: BackoffPolicy;
}

export const DEFAULT_CONFIRM_TIMEOUT_MS = 30_000;
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_RETRY_BACKOFF: BackoffPolicy = { initialDelayMs: 200, maxDelayMs: 1_000, factor: 5, jitter: 0 };

/** AMQP reply codes that say the same burst will be refused again. */
const PERMANENT_REPLY_CODES = new Set([403, 404, 406]);

export interface PublishStats {
  /** Messages confirmed by the broker. */
  confirmed: number;
  /** publish() calls that failed. */
  failedBursts: number;
  /** Times a burst paused because the channel's write buffer was full. */
  drainWaits: number;
}

interface OpenChannel {
  channel: ConfirmChannel;
  /** The reason the broker gave when it closed the channel, e.g. 404 NOT_FOUND no exchange. */
  failure: Error | undefined;
  closed: boolean;
}

/**
 * Publishes bursts on one confirm channel of a shared connection, reopened after the broker or the
 * network closed it: every message of a burst is written, then the burst waits once for its
 * confirms. Used by the manager's MessageBus and by the worker SDK alike.
 */
export class ConfirmPublisher {
  private readonly logger: Logger;
  private readonly confirmTimeoutMs: number;
  private readonly attempts: number;
  private readonly retryBackoff: BackoffPolicy;
  private opening: Promise<OpenChannel> | undefined;
  private current: OpenChannel | undefined;
  private readonly counters: PublishStats = { confirmed: 0, failedBursts: 0, drainWaits: 0 };

  public constructor(
    private readonly provider: AmqpConnectionProvider,
    options: ConfirmPublisherOptions = {},
  ) {
    this.logger = options.logger ?? new SilentLogger();
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
    this.attempts = options.attempts ?? DEFAULT_ATTEMPTS;
    this.retryBackoff = options.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
  }

  public get stats(): PublishStats {
    return { ...this.counters };
  }

  /**
   * Publishes the whole burst, then waits once for its confirms; rejects with a PublishFailedError.
   * Each message carries its own confirm callback rather than relying on `waitForConfirms`: the
   * channel is shared by concurrent callers, and `waitForConfirms` would wait on (and fail because
   * of) their messages too. The effect is the same single wait per burst, scoped to this call.
   */
  public async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      // Sending again (at least once) beats handing the caller a failure that is over a moment later.
      await retry(() => this.publishBurst(messages), {
        maxAttempts: this.attempts,
        policy: this.retryBackoff,
        retryable: isTransientPublishFailure,
        onRetry: (error, attempt) =>
          this.logger.warn('publish burst failed; sending it again', { attempt, messages: messages.length, error: describeError(error) }),
      });
    } catch (error) {
      this.counters.failedBursts += 1;
      throw error;
    }
    this.counters.confirmed += messages.length;
  }

  /** Closes the publisher's channel; the shared connection belongs to the provider. */
  public async close(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    const open = await opening?.catch(() => undefined);
    this.current = undefined;
    if (open && !open.closed) await open.channel.close().catch(() => undefined);
  }

  private publishBurst(messages: readonly OutboundMessage[]): Promise<void> {
    return withTimeLimit(
      this.sendBurst(messages),
      this.confirmTimeoutMs,
      () => new PublishTimeoutError(`the broker did not take and confirm the burst within ${this.confirmTimeoutMs} ms (is it blocking publishers?)`),
    );
  }

  private async sendBurst(messages: readonly OutboundMessage[]): Promise<void> {
    let open: OpenChannel;
    try {
      open = await this.channel();
    } catch (error) {
      throw classified(`cannot open a confirm channel: ${describeError(error)}`, error);
    }
    const confirms = new BurstConfirms(messages.length);
    for (const message of messages) {
      if (confirms.settled) break;
      let hasRoom: boolean;
      try {
        hasRoom = open.channel.publish(message.exchange, message.routingKey, toBuffer(message.body), toPublishOptions(message), confirms.callback);
      } catch (error) {
        // amqplib throws synchronously once the channel is closed.
        throw publishFailure(open, error, `publish to exchange "${message.exchange}" failed`);
      }
      if (!hasRoom) {
        this.counters.drainWaits += 1;
        try {
          await drained(open);
        } catch (error) {
          throw publishFailure(open, error, 'the channel closed while the burst waited for its write buffer');
        }
      }
    }
    try {
      await confirms.done;
    } catch (error) {
      throw publishFailure(open, error, 'the broker did not confirm every message');
    }
  }

  private channel(): Promise<OpenChannel> {
    if (this.current && !this.current.closed) return Promise.resolve(this.current);
    if (!this.opening) {
      const opening = this.openChannel();
      this.opening = opening;
      const forget = () => {
        if (this.opening === opening) this.opening = undefined;
      };
      opening.then(forget, forget);
    }
    return this.opening;
  }

  private async openChannel(): Promise<OpenChannel> {
    const model = await this.provider.get();
    const channel = await model.createConfirmChannel();
    const open: OpenChannel = { channel, failure: undefined, closed: false };
    channel.on('error', (error: Error) => {
      open.failure = error;
      this.logger.warn('RabbitMQ closed the publish channel', { error: describeError(error) });
    });
    channel.on('close', () => {
      open.closed = true;
      if (this.current === open) this.current = undefined;
    });
    this.current = open;
    return open;
  }
}

function publishFailure(open: OpenChannel, error: unknown, context: string): PublishFailedError {
  // The broker's reason (e.g. "no exchange") says more than amqplib's generic "channel closed".
  const cause = open.failure ?? error;
  return classified(`${context}: ${describeError(cause)}`, cause);
}

function classified(message: string, cause: unknown): PublishFailedError {
  const code = replyCodeOf(cause);
  return code !== undefined && PERMANENT_REPLY_CODES.has(code) ? new PublishRefusedError(message, { cause }) : new PublishFailedError(message, { cause });
}

/** Settles once: resolved when every message of the burst is acked, rejected at the first failure. */
class BurstConfirms {
  public readonly done: Promise<void>;
  public settled = false;
  public readonly callback: (error: unknown) => void;

  public constructor(count: number) {
    let remaining = count;
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    this.done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // The publish loop may throw before awaiting `done`; its rejection must not go unhandled.
    this.done.catch(() => undefined);
    this.callback = (error: unknown) => {
      if (this.settled) return;
      if (error !== null && error !== undefined) {
        this.settled = true;
        reject(error);
        return;
      }
      remaining -= 1;
      if (remaining === 0) {
        this.settled = true;
        resolve();
      }
    };
  }
}

/** Waits for the write buffer to drain, or fails if the channel closes first (it never would drain). */
function drained(open: OpenChannel): Promise<void> {
  if (open.closed) return Promise.reject(open.failure ?? new Error('channel closed'));
  return new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      open.channel.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      open.channel.off('drain', onDrain);
      reject(open.failure ?? new Error('channel closed while waiting for drain'));
    };
    open.channel.once('drain', onDrain);
    open.channel.once('close', onClose);
  });
}

function toBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function toPublishOptions(message: OutboundMessage): Options.Publish {
  const props = message.properties ?? {};
  const options: Options.Publish = {
    persistent: props.persistent ?? true,
    headers: message.headers,
  };
  if (props.contentType !== undefined) options.contentType = props.contentType;
  if (props.priority !== undefined) options.priority = props.priority;
  if (props.appId !== undefined) options.appId = props.appId;
  if (props.messageId !== undefined) options.messageId = props.messageId;
  // AMQP timestamps are whole seconds since the epoch.
  if (props.timestamp !== undefined) options.timestamp = Math.floor(props.timestamp.getTime() / 1000);
  return options;
}
