import type { Channel } from 'amqplib';
import type { AmqpConnectionProvider } from '../../amqp-kit/connection.js';
import { replyCodeOf } from '../../amqp-kit/reply-code.js';
import { QueueDepths } from '../../ports/queue-depths.js';

// sweep (enforce-deadlines) --> (this adapter) --> passive queue.declare per queue

/**
 * Ready-message counts read with passive declares on one channel. A queue the broker does not
 * know (404) counts 0 and closes the channel, so the next queue gets a fresh one.
 */
export class AmqpQueueDepths extends QueueDepths {
  public constructor(private readonly provider: AmqpConnectionProvider) {
    super();
  }

  public async messageCounts(queues: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let channel: Channel | undefined;
    try {
      for (const queue of new Set(queues)) {
        channel ??= await this.openChannel();
        try {
          counts.set(queue, (await channel.checkQueue(queue)).messageCount);
        } catch (error) {
          if (replyCodeOf(error) !== 404) throw error;
          counts.set(queue, 0);
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
