// use case (enforce-deadlines), sweep gauges --> (port) --> adapters/rabbitmq (passive checkQueue) | adapters/memory

/**
 * How many ready messages wait in broker queues. A passive look (AMQP `queue.declare` passive,
 * amqplib's `checkQueue`): it neither creates a queue nor consumes anything.
 */
export abstract class QueueDepths {
  /**
   * The ready-message count of each queue asked for that the broker knows. A queue it does not
   * know (404 NOT_FOUND) is left out of the map: each caller says what that means. The deadline
   * check reads it as empty (nothing can wait in it); the dead-letter gauges skip it with a
   * warning, since a 0 would hide a dead-letter queue that is gone. Rejects when the broker cannot
   * be asked at all.
   */
  public abstract messageCounts(queues: readonly string[]): Promise<Map<string, number>>;
}
