import type { OutboundMessage } from '../contract/outbound-message.js';
import type { Topology } from '../contract/topology.js';
import { AppError } from '../kernel/errors.js';

// use case --> (port) --> adapters/rabbitmq | adapters/memory

export abstract class MessageBus {
  /**
   * Publishes every message, then waits once for the broker's confirms of the whole burst.
   * Resolves only when all are confirmed; rejects (PublishError) if any is nacked or the
   * connection fails, so the caller's batch is redelivered and replayed.
   */
  public abstract publish(messages: readonly OutboundMessage[]): Promise<void>;

  /** Declares exchanges, queues and bindings. Idempotent; an adapter may cache what it declared. */
  public abstract ensureTopology(topology: Topology): Promise<void>;
}

/** The broker did not take the messages (nacked, connection lost): 503, and a batch is redelivered. */
export class PublishError extends AppError {
  public override readonly name = 'PublishError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, statusCode: 503 });
  }
}
