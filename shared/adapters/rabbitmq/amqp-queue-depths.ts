import type { Channel } from 'amqplib';
import type { AmqpConnectionProvider } from '../../amqp-kit/connection.js';
import { BrokerUnreachableError } from '../../amqp-kit/connection.js';
import { replyCodeOf } from '../../amqp-kit/reply-code.js';
import { withTimeLimit } from '../../amqp-kit/time-limit.js';
import { QueueDepths } from '../../ports/queue-depths.js';

/**
 * How long a reading of queue depths may take. A connection half-dead after a broker restart can
 * leave a passive declare or a channel close unanswered for good; the sweep that asked must go on
 * (it treats an unreadable depth as unknown), never hang with it.
 */
export const QUEUE_DEPTH_TIME_LIMIT_MS = 10_000;

/** Runs a reading of queue depths within QUEUE_DEPTH_TIME_LIMIT_MS, or rejects with BrokerUnreachableError. */
export function boundedDepthReading<T>(reading: Promise<T>, what: string): Promise<T> {
  return withTimeLimit(
    reading,
    QUEUE_DEPTH_TIME_LIMIT_MS,
    () => new BrokerUnreachableError(`the broker did not answer a queue depth reading (${what}) within ${QUEUE_DEPTH_TIME_LIMIT_MS} ms`),
  );
}

// sweep (enforce-deadlines, dead-letter gauges) --> (this adapter) --> passive queue.declare per queue

/**
 * Ready-message counts read with passive declares on one channel. A queue the broker does not
 * know (404) is left out of the answer (the port says why) and closes the channel, so the next
 * queue gets a fresh one.
 */
export class AmqpQueueDepths extends QueueDepths {
  public constructor(private readonly provider: AmqpConnectionProvider) {
    super();
  }

  public messageCounts(queues: readonly string[]): Promise<Map<string, number>> {
    return boundedDepthReading(this.read(queues), `${queues.length} queues`);
  }

  private async read(queues: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let channel: Channel | undefined;
    try {
      for (const queue of new Set(queues)) {
        channel ??= await this.openChannel();
        try {
          counts.set(queue, (await channel.checkQueue(queue)).messageCount);
        } catch (error) {
          if (replyCodeOf(error) !== 404) throw error;
          channel = undefined;
        }
      }
    } finally {
      await channel?.close().catch(() => undefined);
    }
    return counts;
  }

  private async openChannel(): Promise<Channel> {
    const channel = await (await this.provider.get()).createChannel();
    // The broker closes the channel on a 404: the call in flight rejects; the event needs a listener.
    channel.on('error', () => undefined);
    return channel;
  }
}
