import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { AppError, describeError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { SilentLogger } from './silent-logger.js';

/** The broker did not answer the connect or the handshake: a caller may try again later. */
export class BrokerUnreachableError extends AppError {
  public override readonly name = 'BrokerUnreachableError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, statusCode: 503 });
  }
}

/** The provider was closed on purpose (the process is stopping): no new connection is made. */
export class ConnectionProviderClosedError extends AppError {
  public override readonly name = 'ConnectionProviderClosedError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, statusCode: 503 });
  }
}

export interface AmqpConnectionProviderOptions {
  /** `amqp://user:password@host:port/vhost`; the vhost is URL-encoded (`%2F` or nothing for `/`). */
  url: string;
  /** Shown by the broker next to the connection, so an operator can tell our processes apart. */
  connectionName?: string;
  /** How long the TCP connect and AMQP handshake may take before the broker counts as unreachable. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * One lazily opened AMQP connection shared by every user in the process (channels are cheap,
 * connections are not). A lost connection is forgotten at once, so the next `get()` reconnects;
 * the users notice the loss on their own channels' 'close' event.
 */
export class AmqpConnectionProvider {
  public readonly connectionName: string;
  /** The virtual host the URL selects, as the event source names it in `queue::vhost`. */
  public readonly vhost: string;
  private readonly url: string;
  private readonly connectTimeoutMs: number;
  private readonly logger: Logger;
  private current: ChannelModel | undefined;
  private connecting: Promise<ChannelModel> | undefined;
  private closing: Promise<void> | undefined;

  public constructor(options: AmqpConnectionProviderOptions | string) {
    const resolved = typeof options === 'string' ? { url: options } : options;
    this.url = resolved.url;
    this.vhost = vhostOf(resolved.url);
    this.connectionName = resolved.connectionName ?? `worker-manager:${process.pid}`;
    this.connectTimeoutMs = resolved.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.logger = resolved.logger ?? new SilentLogger();
  }

  /** The URL without its password, fit for logs and error messages. */
  public get redactedUrl(): string {
    return redact(this.url);
  }

  public get isConnected(): boolean {
    return this.current !== undefined;
  }

  /** The open connection, connecting first if needed; concurrent callers share one attempt. */
  public get(): Promise<ChannelModel> {
    if (this.closing) {
      return Promise.reject(new ConnectionProviderClosedError(`connection provider ${this.connectionName} is closed`));
    }
    if (this.current) return Promise.resolve(this.current);
    if (!this.connecting) {
      this.connecting = this.connect().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  /** Closes the connection for good; later `get()` calls reject. Idempotent. */
  public close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const pending = this.connecting;
    if (pending) await pending.catch(() => undefined);
    const model = this.current;
    this.current = undefined;
    if (!model) return;
    try {
      await model.close();
    } catch (error) {
      // Already closed by the broker or the network: nothing left to release.
      this.logger.debug('connection was already closed', { connection: this.connectionName, error: describeError(error) });
    }
  }

  private async connect(): Promise<ChannelModel> {
    let model: ChannelModel;
    try {
      model = await amqp.connect(this.url, {
        // Nagle's algorithm adds ~40 ms to small confirm/ack round trips (anchor bench).
        noDelay: true,
        timeout: this.connectTimeoutMs,
        clientProperties: { connection_name: this.connectionName },
      });
    } catch (error) {
      throw new BrokerUnreachableError(`cannot connect to RabbitMQ at ${this.redactedUrl}: ${describeError(error)}`, {
        cause: error,
      });
    }
    if (this.closing) {
      // close() was called while we were connecting: do not leak the socket.
      await model.close().catch(() => undefined);
      throw new ConnectionProviderClosedError(`connection provider ${this.connectionName} is closed`);
    }
    // Without an 'error' listener an EventEmitter throws, and a broker restart would crash the process.
    model.on('error', (error: Error) => {
      this.logger.warn('RabbitMQ connection error', { connection: this.connectionName, error: describeError(error) });
    });
    model.on('close', () => {
      if (this.current === model) this.current = undefined;
      if (!this.closing) this.logger.warn('RabbitMQ connection lost', { connection: this.connectionName });
    });
    model.on('blocked', (reason: string) => {
      this.logger.warn('RabbitMQ blocked the connection', { connection: this.connectionName, reason });
    });
    model.on('unblocked', () => {
      this.logger.info('RabbitMQ unblocked the connection', { connection: this.connectionName });
    });
    this.current = model;
    this.logger.info('connected to RabbitMQ', { connection: this.connectionName, url: this.redactedUrl });
    return model;
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparsable AMQP URL>';
  }
}

/** amqplib's reading of the URL path: empty means `/`, anything else is percent-decoded. */
function vhostOf(url: string): string {
  try {
    const path = new URL(url).pathname;
    const raw = path.startsWith('/') ? path.slice(1) : path;
    return raw === '' ? '/' : decodeURIComponent(raw);
  } catch {
    return '/';
  }
}
