import type { ConfirmChannel, Options } from 'amqplib';
import type { Topology } from '../../contract/topology.js';
import { type OutboundMessage } from '../../contract/outbound-message.js';
import { MessageBus, PublishError } from '../../ports/message-bus.js';
import { applyTopology, type ApplyTopologyOptions, type TopologyWarning } from './apply-topology.js';
import type { AmqpConnectionProvider } from './connection.js';
import { describeError, type AmqpLogger } from './logger.js';

export interface AmqpMessageBusOptions {
  logger?: AmqpLogger;
  /** Called for each existing queue or exchange whose settings differ from ours (kept as is). */
  onTopologyWarning?: (warning: TopologyWarning) => void;
  /**
   * How long a burst may wait for its write buffer and confirms. A broker that blocks publishers
   * (memory or disk alarm) never answers; failing the burst lets the batch be redelivered later
   * instead of hanging the function. Default 30 s.
   */
  confirmTimeoutMs?: number;
}

export const DEFAULT_CONFIRM_TIMEOUT_MS = 30_000;

/** AMQP reply codes that say the same burst will be refused again. */
const PERMANENT_REPLY_CODES = new Set([403, 404, 406]);

function transient(error: unknown): boolean {
  if (error instanceof PublishError && /within \d+ ms/.test(error.message)) return false;
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? (cause as { code: unknown }).code : undefined;
  return !(typeof code === 'number' && PERMANENT_REPLY_CODES.has(code));
}

/** Tries of one burst before the failure reaches the caller, and the waits between them. */
const PUBLISH_ATTEMPTS = 3;
const RETRY_DELAYS_MS = [200, 1_000];

export interface AmqpMessageBusStats {
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
 * The MessageBus over RabbitMQ: one confirm channel on the shared connection, reopened after the
 * broker or the network closes it.
 */
export class AmqpMessageBus extends MessageBus {
  private readonly provider: AmqpConnectionProvider;
  private readonly logger: AmqpLogger | undefined;
  private readonly onTopologyWarning: ((warning: TopologyWarning) => void) | undefined;
  private readonly confirmTimeoutMs: number;
  private opening: Promise<OpenChannel> | undefined;
  private current: OpenChannel | undefined;
  /** Keys of the exchanges, queues and bindings already declared through this bus. */
  private readonly declared = new Set<string>();
  private readonly declaring = new Map<string, Promise<void>>();
  private readonly counters: AmqpMessageBusStats = { confirmed: 0, failedBursts: 0, drainWaits: 0 };

  public constructor(provider: AmqpConnectionProvider, options: AmqpMessageBusOptions = {}) {
    super();
    this.provider = provider;
    this.logger = options.logger;
    this.onTopologyWarning = options.onTopologyWarning;
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
  }

  public get stats(): AmqpMessageBusStats {
    return { ...this.counters };
  }

  /**
   * Publishes the whole burst, then waits once for its confirms. Each message carries its own
   * confirm callback rather than relying on `waitForConfirms`: the channel is shared by
   * concurrent callers, and `waitForConfirms` would wait on (and fail because of) their messages
   * too. The effect is the same single wait per burst, scoped to this call's messages.
   */
  public override async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.publishBurst(messages);
        this.counters.confirmed += messages.length;
        return;
      } catch (error) {
        // A dropped connection or a closed channel is usually over a moment later, and the store
        // writes this burst reports are already done: sending again (at least once) beats leaving
        // the batch to a redelivery that cannot re-send what timers dispatched. Not retried: a
        // broker that blocks publishers (time-out: it would only wait longer) and a refusal that
        // will not change (missing exchange, access refused, bad arguments).
        if (attempt >= PUBLISH_ATTEMPTS || !transient(error)) {
          this.counters.failedBursts += 1;
          throw error;
        }
        this.logger?.warn?.('publish burst failed; sending it again', { attempt, messages: messages.length, error: describeError(error) });
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt - 1] ?? 1_000));
      }
    }
  }

  private async publishBurst(messages: readonly OutboundMessage[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PublishError(`the broker did not take and confirm the burst within ${this.confirmTimeoutMs} ms (is it blocking publishers?)`)),
        this.confirmTimeoutMs,
      );
    });
    const sending = this.sendBurst(messages);
    // After a time-out the burst may still fail on its own: that failure has no one left to hear it.
    sending.catch(() => undefined);
    try {
      await Promise.race([sending, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async sendBurst(messages: readonly OutboundMessage[]): Promise<void> {
    let open: OpenChannel;
    try {
      open = await this.channel();
    } catch (error) {
      throw new PublishError(`cannot open a confirm channel: ${describeError(error)}`, { cause: error });
    }
    const confirms = new BurstConfirms(messages.length);
    for (const message of messages) {
      if (confirms.settled) break;
      let hasRoom: boolean;
      try {
        hasRoom = open.channel.publish(
          message.exchange,
          message.routingKey,
          toBuffer(message.body),
          toPublishOptions(message),
          confirms.callback,
        );
      } catch (error) {
        // amqplib throws synchronously once the channel is closed.
        throw this.publishError(open, error, `publish to exchange "${message.exchange}" failed`);
      }
      if (!hasRoom) {
        this.counters.drainWaits += 1;
        try {
          await drained(open);
        } catch (error) {
          throw this.publishError(open, error, 'the channel closed while the burst waited for its write buffer');
        }
      }
    }
    try {
      await confirms.done;
    } catch (error) {
      throw this.publishError(open, error, 'the broker did not confirm every message');
    }
  }

  /**
   * Declares what this bus has not declared yet. Later calls for the same elements return at once
   * without a broker round trip: a worker type's topology is ensured on every dispatch.
   */
  public override async ensureTopology(topology: Topology): Promise<void> {
    const missing: Topology = {
      exchanges: topology.exchanges.filter((e) => !this.declared.has(exchangeKey(e))),
      queues: topology.queues.filter((q) => !this.declared.has(queueKey(q))),
      bindings: topology.bindings.filter((b) => !this.declared.has(bindingKey(b))),
    };
    const keys = [...missing.exchanges.map(exchangeKey), ...missing.queues.map(queueKey), ...missing.bindings.map(bindingKey)];
    if (keys.length === 0) return;
    const key = keys.sort().join('\n');
    let pending = this.declaring.get(key);
    if (!pending) {
      const options: ApplyTopologyOptions = {
        ...(this.onTopologyWarning ? { onWarning: this.onTopologyWarning } : {}),
        ...(this.logger ? { logger: this.logger } : {}),
      };
      pending = applyTopology(this.provider, missing, options)
        .then(() => {
          for (const k of keys) this.declared.add(k);
        })
        .finally(() => this.declaring.delete(key));
      this.declaring.set(key, pending);
    }
    await pending;
  }

  /** Closes the bus's channel; the shared connection belongs to the provider. */
  public async close(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    const open = await opening?.catch(() => undefined);
    this.current = undefined;
    if (open && !open.closed) await open.channel.close().catch(() => undefined);
  }

  private channel(): Promise<OpenChannel> {
    if (this.current && !this.current.closed) return Promise.resolve(this.current);
    if (!this.opening) {
      const opening = this.openChannel();
      this.opening = opening;
      opening.then(
        () => {
          if (this.opening === opening) this.opening = undefined;
        },
        () => {
          if (this.opening === opening) this.opening = undefined;
        },
      );
    }
    return this.opening;
  }

  private async openChannel(): Promise<OpenChannel> {
    const model = await this.provider.get();
    const channel = await model.createConfirmChannel();
    const open: OpenChannel = { channel, failure: undefined, closed: false };
    channel.on('error', (error: Error) => {
      open.failure = error;
      this.logger?.warn?.('RabbitMQ closed the publish channel', { error: describeError(error) });
    });
    channel.on('close', () => {
      open.closed = true;
      if (this.current === open) this.current = undefined;
    });
    this.current = open;
    return open;
  }

  private publishError(open: OpenChannel, error: unknown, context: string): PublishError {
    // The broker's reason (e.g. "no exchange") says more than amqplib's generic "channel closed".
    const cause = open.failure ?? error;
    return new PublishError(`${context}: ${describeError(cause)}`, { cause });
  }
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

function exchangeKey(exchange: Topology['exchanges'][number]): string {
  return `exchange\0${exchange.name}\0${exchange.type}`;
}

function queueKey(queue: Topology['queues'][number]): string {
  const args = Object.keys(queue.arguments)
    .sort()
    .map((k) => `${k}=${JSON.stringify(queue.arguments[k])}`)
    .join(',');
  return `queue\0${queue.name}\0${queue.type}\0${args}`;
}

function bindingKey(binding: Topology['bindings'][number]): string {
  return `binding\0${binding.exchange}\0${binding.queue}\0${binding.routingKey}`;
}
