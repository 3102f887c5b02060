// admin-api /dead-letters --> use case --> (port) --> adapters/rabbitmq (basic.get, confirm publish) | adapters/memory
import { AppError } from '../kernel/errors.js';

/** A dead-letter queue and the queue its messages came from (the one whose name it extends). */
export interface DeadLetterQueueRef {
  queue: string;
  source: string;
}

/** Where a dead letter's reason was read: our `x-wm-rejection-reason` header, RabbitMQ's `x-death`, or neither. */
export type DeadLetterReasonOrigin = 'manager' | 'broker' | 'unknown';

/** One message seen at the head of a dead-letter queue (and put back). */
export interface DeadLetterEntry {
  /** 0 is the head of the queue, as read at this listing. */
  position: number;
  /** The AMQP message-id property, else the `regards.request.id` header; what a redrive by id matches. */
  messageId?: string;
  reason: string;
  reasonOrigin: DeadLetterReasonOrigin;
  /** When it was dead-lettered (x-death time) or, failing that, published (timestamp property); absent when neither is set. */
  deadLetteredAt?: Date;
  tenant?: string;
}

export interface DeadLetterListing extends DeadLetterQueueRef {
  /** False when the queue is not declared on the broker (the topology was never applied): nothing to list. */
  exists: boolean;
  /** Ready messages, as the broker counts them (not those another consumer holds unacknowledged). */
  count: number;
  /** The first messages of the queue, at most the listing's limit, head first. */
  messages: DeadLetterEntry[];
}

export interface RedriveOptions {
  /** At most this many messages are moved (and at most this many read when a message id is given, see the adapter). */
  limit: number;
  /** Moves only the messages with this id; the others read are put back. */
  messageId?: string;
  /** With a message id: how many messages are read at most looking for it (default `limit`). */
  scanLimit?: number;
}

export interface RedriveResult extends DeadLetterQueueRef {
  moved: number;
  /** Ready messages left in the dead-letter queue after the move. */
  remaining: number;
}

/**
 * The manager's dead-letter queues as an operator sees them. A listing reads messages and puts
 * them back (RabbitMQ requeues them at their place, flagged redelivered); a redrive publishes each
 * message to its source queue and removes it from the dead-letter queue only once the broker
 * confirmed the publish, so a failure part way leaves a message in one queue or (at worst) both,
 * never in neither.
 */
export abstract class DeadLetterQueues {
  public abstract inspect(ref: DeadLetterQueueRef, limit: number): Promise<DeadLetterListing>;
  public abstract redrive(ref: DeadLetterQueueRef, options: RedriveOptions): Promise<RedriveResult>;
}

/** The dead-letter queue or its source queue is not declared on the broker: nothing was moved. */
export class DeadLetterQueueMissingError extends AppError {
  public override readonly name = 'DeadLetterQueueMissingError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, statusCode: 409 });
  }
}
