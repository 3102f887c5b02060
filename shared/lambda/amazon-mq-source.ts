import { normalizeAmazonMqEvent, type NormalizedBatch } from '../contract/amazon-mq-event.js';
import type { InvocationContext } from './define-function.js';

// Amazon MQ event source (local: the event-source emulator) --> decode --> one use case over the batch

/**
 * What every queue-fed function shares (spread it into `defineFunction`). A message that cannot
 * be read is logged and skipped alone; the use case throws only on an infrastructure failure,
 * which fails the invocation so that the event source redelivers the whole batch.
 */
export const amazonMqSource = {
  decode: (event: unknown, context: InvocationContext): NormalizedBatch => {
    const batch = normalizeAmazonMqEvent(event);
    for (const bad of batch.unreadable) context.logger.error('unreadable message skipped', { queue: bad.queue, reason: bad.reason });
    return batch;
  },
  // The event source reads nothing from the answer.
  shape: (): void => undefined,
  onError: { message: 'batch failed, it will be redelivered' },
};
