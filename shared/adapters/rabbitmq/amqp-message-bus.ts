import type { OutboundMessage } from '../../contract/outbound-message.js';
import type { Topology } from '../../contract/topology.js';
import { ConfirmPublisher, PublishFailedError, type PublishStats } from '../../amqp-kit/confirm-publisher.js';
import type { AmqpConnectionProvider } from '../../amqp-kit/connection.js';
import { applyTopology, type ApplyTopologyOptions, type TopologyWarning } from '../../amqp-kit/topology.js';
import { describeError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { MessageBus, PublishError } from '../../ports/message-bus.js';
import { LruSet } from '../../application/services/ttl-cache.js';

export interface AmqpMessageBusOptions {
  logger?: Logger;
  /** Called for each existing queue or exchange whose settings differ from ours (kept as is). */
  onTopologyWarning?: (warning: TopologyWarning) => void;
  /**
   * How long a burst may wait for its write buffer and confirms. A broker that blocks publishers
   * (memory or disk alarm) never answers; failing the burst lets the batch be redelivered later
   * instead of hanging the function. Default 30 s.
   */
  confirmTimeoutMs?: number;
  /**
   * Topology keys remembered as declared (LRU). Worker types come from configurations and traffic:
   * past this, the least recently used are forgotten, and declaring them again is idempotent.
   * Default 10,000.
   */
  maxDeclared?: number;
}

/**
 * The MessageBus over RabbitMQ: bursts go through the kit's confirm publisher (one confirm wait
 * per burst, a burst that failed for a passing reason sent again), and the topology a worker type
 * needs is declared once per bus.
 */
export class AmqpMessageBus extends MessageBus {
  private readonly publisher: ConfirmPublisher;
  private readonly topologyOptions: ApplyTopologyOptions;
  /** Keys of the exchanges, queues and bindings already declared through this bus (bounded, least recently used go first). */
  private readonly declared: LruSet<string>;
  /** Declarations in flight, shared by concurrent callers: an entry leaves when its declaration settles, so this stays as small as the concurrency. */
  private readonly declaring = new Map<string, Promise<void>>();

  public constructor(
    private readonly provider: AmqpConnectionProvider,
    options: AmqpMessageBusOptions = {},
  ) {
    super();
    this.declared = new LruSet(options.maxDeclared);
    this.publisher = new ConfirmPublisher(provider, {
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.confirmTimeoutMs === undefined ? {} : { confirmTimeoutMs: options.confirmTimeoutMs }),
    });
    this.topologyOptions = {
      ...(options.onTopologyWarning ? { onWarning: options.onTopologyWarning } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    };
  }

  public get stats(): PublishStats {
    return this.publisher.stats;
  }

  /** Topology keys remembered as declared. */
  public get declaredCount(): number {
    return this.declared.size;
  }

  /**
   * A burst that still fails after the publisher's retries is the caller's failure: its store
   * writes are done, and the batch is redelivered and replayed.
   */
  public override async publish(messages: readonly OutboundMessage[]): Promise<void> {
    try {
      await this.publisher.publish(messages);
    } catch (error) {
      if (error instanceof PublishFailedError) throw new PublishError(error.message, { cause: error.cause ?? error });
      throw new PublishError(`publish failed: ${describeError(error)}`, { cause: error });
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
      pending = applyTopology(this.provider, missing, this.topologyOptions)
        .then(() => {
          for (const k of keys) this.declared.add(k);
        })
        .finally(() => this.declaring.delete(key));
      this.declaring.set(key, pending);
    }
    await pending;
  }

  /** Closes the bus's channel; the shared connection belongs to the provider. */
  public close(): Promise<void> {
    return this.publisher.close();
  }
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
