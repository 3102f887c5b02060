import type { ConfirmPublisher } from '../../amqp-kit/confirm-publisher.js';
import type { OutboundMessage } from '../../contract/outbound-message.js';
import { readRequestReference } from '../../contract/request-reference.js';
import type { Headers } from '../../contract/headers.js';
import { buildWorkerResponse } from '../../contract/worker-response.js';
import { retry, type BackoffPolicy } from '../../kernel/backoff.js';
import { describeError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';

/**
 * Publishes a final answer until the broker confirms it. Gives up only when the work item is no
 * longer ours (`signal` aborted: its channel is gone, or stop() timed out): the broker then
 * redelivers it, so an answer is never lost, at worst sent twice. Resolves whether it was confirmed.
 */
export async function publishUntilConfirmed(
  publisher: ConfirmPublisher,
  message: OutboundMessage,
  signal: AbortSignal,
  policy: BackoffPolicy,
  log: Logger,
): Promise<boolean> {
  try {
    await retry(
      async () => {
        signal.throwIfAborted();
        await publisher.publish([message]);
      },
      {
        maxAttempts: Number.POSITIVE_INFINITY,
        policy,
        retryable: () => !signal.aborted,
        onRetry: (error, attempt, delayMs) =>
          log.warn('the broker did not confirm an answer; retrying', { exchange: message.exchange, attempt, delayMs, error: describeError(error) }),
        signal,
      },
    );
    return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}

/**
 * The ERROR answer to a work item whose headers the contract refuses, when it still names a tenant
 * and a request; undefined when nobody can be answered (the item is then dead-lettered).
 */
export function malformedItemAnswer(headers: Headers, reason: string, responseExchange: string): { requestId: string; answer: OutboundMessage } | undefined {
  const reference = readRequestReference(headers);
  if (!reference.ok) return undefined;
  const { tenant, requestId, dispatchAttempt, dispatchToken } = reference.value;
  const answer = buildWorkerResponse(
    { exchange: responseExchange },
    {
      tenant,
      requestId,
      ...(dispatchAttempt === undefined ? {} : { dispatchAttempt }),
      ...(dispatchToken === undefined ? {} : { dispatchToken }),
      status: 'ERROR',
      messages: [`invalid work item: ${reason}`],
    },
  );
  return { requestId, answer };
}
