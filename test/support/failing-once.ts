import { EventSourceEmulator } from '../../infra/local/event-source-emulator.js';
import type { MqFunction } from '../../infra/local/functions.js';
import type { HostHarness } from './host-harness.js';

/**
 * An event source over `queue` whose handler runs the real function, then throws once as if the
 * invocation crashed after doing its work: the batch comes back redelivered, which is what every
 * replay test needs. Not started: the test fills the queue first, so the batch is predictable.
 */
export function failingOnceEmulator(
  h: HostHarness,
  queue: string,
  handler: ReturnType<MqFunction['withDeps']>,
  options: { batchSize: number; windowMs: number },
) {
  let failuresLeft = 1;
  return new EventSourceEmulator({
    connection: h.rabbit.provider(),
    queue,
    batchSize: options.batchSize,
    maximumBatchingWindowMs: options.windowMs,
    handler: async (event) => {
      await handler(event);
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('simulated crash after the batch was applied');
      }
    },
  });
}
