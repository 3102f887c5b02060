// use case (enforce-deadlines) --> (port) --> adapters/rabbitmq (passive checkQueue) | adapters/memory

/**
 * How many ready messages wait in broker queues. A passive look (AMQP `queue.declare` passive,
 * amqplib's `checkQueue`): it neither creates a queue nor consumes anything.
 */
export abstract class QueueDepths {
  /**
   * The ready-message count of each queue asked for; a queue that is not declared on the broker
   * counts 0 (nothing can wait in it). Rejects when the broker cannot be asked at all.
   */
  public abstract messageCounts(queues: readonly string[]): Promise<Map<string, number>>;
}
