import { BatchEffects } from '../application/services/batch-effects.js';
import { ConcurrentModificationError, type RequestFlowDeps } from '../application/services/request-events.js';
import { normalizeAmazonMqEvent, type NormalizedBatch, type UnreadableMessage } from '../contract/amazon-mq-event.js';
import { NoticeTitle } from '../contract/regards-notifications.js';
import { deadLetterRouteOf } from '../contract/topology.js';
import { retry, type BackoffPolicy } from '../kernel/backoff.js';
import type { Logger } from '../kernel/logger.js';
import { PublishError } from '../ports/message-bus.js';
import { StoreUnavailableError } from '../ports/request-store.js';
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
 * infrastructure failure, which is retried in the invocation (see InfrastructureRetry) and then
 * fails it, so that the event source redelivers the batch.
 */
export function amazonMqSource<Deps extends UnreadableDeps, Output>(
  useCase: (batch: NormalizedBatch, deps: Deps) => Promise<Output>,
  options: InfrastructureRetry = DEFAULT_INFRASTRUCTURE_RETRY,
) {
  return {
    decode: (event: unknown): NormalizedBatch => normalizeAmazonMqEvent(event),
    run: (batch: NormalizedBatch, deps: Deps, context: InvocationContext<Deps>): Promise<Output> =>
      timedBatch(batch, deps, context, () =>
        retry(
          async (attempt) => {
            // A retry is a replay: the use case must treat every message as a redelivery (stored
            // requests are recognised by their fingerprint, answers already applied are replayed).
            const input = attempt === 1 ? batch : asRedelivered(batch);
            // Before the use case: a broker failure here fails the attempt before anything is stored.
            await deadLetterUnreadable(input.unreadable, deps, context.logger);
            return useCase(input, deps);
          },
          {
            maxAttempts: options.maxAttempts,
            policy: options.policy,
            // Only a failure of the store or the broker, and only while the invocation has time for it.
            retryable: (error) => isInfrastructureFailure(error) && context.getRemainingTimeInMillis() > options.reserveMs,
            onRetry: (error, retryNumber, delayMs) =>
              context.logger.warn('batch failed on the store or the broker; retried in this invocation', { retry: retryNumber, delayMs, error }),
          },
        ),
      ),
    // The event source reads nothing from the answer.
    shape: (): void => undefined,
    onError: { message: 'batch failed, it will be redelivered' },
  };
}

/** The batch's size, and its handling time (retries included) whether it succeeds or fails. */
async function timedBatch<Deps extends Composed, Output>(
  batch: NormalizedBatch,
  deps: Deps,
  context: InvocationContext<Deps>,
  handle: () => Promise<Output>,
): Promise<Output> {
  const metrics = deps.metrics;
  const dimensions = { Function: context.name };
  metrics?.observe('batchMessages', dimensions, batch.messages.length + batch.unreadable.length);
  const started = performance.now();
  try {
    return await handle();
  } finally {
    metrics?.observe('batchDuration', dimensions, performance.now() - started);
  }
}

/**
 * How a batch that failed on the store or the broker is retried inside its invocation before the
 * invocation fails: the event source would redeliver the batch whole, and every redelivery brings
 * each of its messages, good ones included, nearer the queue's delivery limit and its DLQ.
 */
export interface InfrastructureRetry {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  policy: BackoffPolicy;
  /** No retry starts with less than this left before the function's time-out. */
  reserveMs: number;
}

/**
 * 8 attempts over about 30 s (0.5, 1, 2, 4, then 8 s apart): the batch is held while the store or
 * the broker is away for seconds, instead of being redelivered at once until its delivery limit
 * sends every message of it to the DLQ in a second or two. The event source runs one invocation
 * per queue at a time, so holding the batch is also what paces the queue behind it.
 */
export const DEFAULT_INFRASTRUCTURE_RETRY: InfrastructureRetry = {
  maxAttempts: 8,
  policy: { initialDelayMs: 500, maxDelayMs: 8_000, factor: 2, jitter: 0.3 },
  reserveMs: 30_000,
};

/** The store or the broker failed (not a message, not a bug): worth the same batch again. */
export function isInfrastructureFailure(error: unknown): boolean {
  return error instanceof StoreUnavailableError || error instanceof PublishError || error instanceof ConcurrentModificationError;
}

function asRedelivered(batch: NormalizedBatch): NormalizedBatch {
  return { ...batch, messages: batch.messages.map((message) => ({ ...message, redelivered: true })) };
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
    effects.deadLetter(bad.salvaged, reason, NoticeTitle.notConverted);
    logger.error('unreadable message dead-lettered', fields);
    report.deadLettered += 1;
  }
  await effects.flush(deps);
  logger.warn('unreadable messages set aside', { ...report });
  return report;
}
