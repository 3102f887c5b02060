import { BatchEffects } from '../application/services/batch-effects.js';
import type { RequestFlowDeps } from '../application/services/request-events.js';
import { normalizeAmazonMqEvent, type NormalizedBatch, type UnreadableMessage } from '../contract/amazon-mq-event.js';
import { deadLetterRouteOf } from '../contract/topology.js';
import type { Logger } from '../kernel/logger.js';
import type { Composed, InvocationContext } from './define-function.js';

// Amazon MQ event source (local: the event-source emulator) --> decode --> dead-letter the unreadable --> one use case over the batch

/** What dead-lettering the unreadable messages of a batch needs of a function's services. */
export type UnreadableDeps = Composed & Pick<RequestFlowDeps, 'bus' | 'counters' | 'requests' | 'settings' | 'clock'>;

export interface UnreadableReport {
  /** Sent to their queue's dead-letter route with the reason. */
  deadLettered: number;
  /** From a queue with no dead-letter route (heartbeats): logged and dropped. */
  dropped: number;
}

/**
 * What every queue-fed function shares (spread it into `defineFunction` with its use case). A
 * message that cannot be read is sent alone, with its reason, to the dead-letter route of the
 * queue it came from, and the rest of the batch goes on; the use case throws only on an
 * infrastructure failure, which fails the invocation so that the event source redelivers the batch.
 */
export function amazonMqSource<Deps extends UnreadableDeps, Output>(useCase: (batch: NormalizedBatch, deps: Deps) => Promise<Output>) {
  return {
    decode: (event: unknown): NormalizedBatch => normalizeAmazonMqEvent(event),
    run: async (batch: NormalizedBatch, deps: Deps, context: InvocationContext<Deps>): Promise<Output> => {
      // Before the use case: a broker failure here fails the invocation before anything is stored.
      await deadLetterUnreadable(batch.unreadable, deps, context.logger);
      return useCase(batch, deps);
    },
    // The event source reads nothing from the answer.
    shape: (): void => undefined,
    onError: { message: 'batch failed, it will be redelivered' },
  };
}

/**
 * Dead-letters the unreadable messages in one publish burst, as register-requests dead-letters
 * a request nobody can be answered about: original body and headers, plus the rejection reason.
 */
export async function deadLetterUnreadable(unreadable: readonly UnreadableMessage[], deps: UnreadableDeps, logger: Logger): Promise<UnreadableReport> {
  const report: UnreadableReport = { deadLettered: 0, dropped: 0 };
  if (unreadable.length === 0) return report;
  const effects = new BatchEffects(deps.settings.names, deps.clock.now());
  for (const bad of unreadable) {
    const fields = { queue: bad.queue, index: bad.index, reason: bad.reason, bodyProblem: bad.bodyProblem };
    if (deadLetterRouteOf(deps.settings.names, bad.queue) === undefined) {
      logger.error('unreadable message dropped: its queue has no dead-letter route', fields);
      report.dropped += 1;
      continue;
    }
    const reason = bad.bodyProblem === undefined ? `unreadable message: ${bad.reason}` : `unreadable message: ${bad.reason}; ${bad.bodyProblem}`;
    effects.deadLetter(bad.salvaged, reason);
    logger.error('unreadable message dead-lettered', fields);
    report.deadLettered += 1;
  }
  await effects.flush(deps);
  logger.warn('unreadable messages set aside', { ...report });
  return report;
}
