import { fillFreeSlots } from './fill-slots.js';
import type { InboundMessage, NormalizedBatch } from '../../contract/amazon-mq-event.js';
import type { ParseResult } from '../../contract/parse-result.js';
import type { RequestReference } from '../../contract/request-reference.js';
import { BatchEffects } from '../services/batch-effects.js';
import { applyEvents, type ApplyEvent, type ApplyEventsReport, type RefusedWrite, type RequestFlowDeps } from '../services/request-events.js';

const requestKey = (tenant: string, requestId: string) => `${tenant}\u0000${requestId}`;

// worker response / dead-letter handlers --> (use case) --> applyEvents

export interface RequestMessagesReport extends ApplyEventsReport {
  received: number;
  /** Messages naming no readable request, or about a request whose write the store refused: sent to their queue's dead-letter queue with the reason. */
  deadLettered: number;
}

export interface RequestMessageKind<E extends RequestReference> {
  /** For the logs: "worker responses", "worker dead letters". */
  name: string;
  read: (message: InboundMessage) => ParseResult<E>;
  apply: ApplyEvent<E>;
  /** Set: each message read is also reported to its tenant's administrators under this title (REGARDS notification). */
  notice?: string;
}

/**
 * A batch of messages about stored requests: each is read (an unreadable one is dead-lettered with
 * its reason and the batch goes on), the events are applied to their requests, and what the won
 * writes must send and count goes out in one burst.
 */
export async function handleRequestMessages<E extends RequestReference>(
  batch: NormalizedBatch,
  deps: RequestFlowDeps,
  kind: RequestMessageKind<E>,
): Promise<RequestMessagesReport> {
  const effects = new BatchEffects(deps.settings.names, deps.clock.now());
  const events = [];
  const messagesAbout = new Map<string, InboundMessage[]>();
  let deadLettered = 0;
  for (const message of batch.messages) {
    const read = kind.read(message);
    if (!read.ok) {
      deps.logger.warn(`${kind.name}: unreadable message dead-lettered`, { reason: read.reason });
      effects.deadLetter(message, read.reason);
      deadLettered += 1;
      continue;
    }
    const { tenant, requestId } = read.value;
    if (kind.notice !== undefined) effects.notify(tenant, kind.notice);
    events.push({ tenant, requestId, event: read.value });
    const id = requestKey(tenant, requestId);
    messagesAbout.set(id, [...(messagesAbout.get(id) ?? []), message]);
  }
  // A write the store refuses costs only the messages about that request: they go to the dead-letter queue.
  const onRefused = ({ tenant, requestId, error }: RefusedWrite) => {
    for (const message of messagesAbout.get(requestKey(tenant, requestId)) ?? []) {
      effects.deadLetter(message, `the store refused the update of request ${requestId}: ${error.message}`);
      deadLettered += 1;
    }
  };
  const applied = await applyEvents(events, warnUntrusted(kind, deps), deps, effects, { onRefused });
  await effects.flush(deps);
  // Answers and dead letters free slots: the requests waiting for them go now, not at the next sweep.
  await fillFreeSlots(deps);
  const report = { received: batch.messages.length, deadLettered, ...applied };
  deps.logger.info(`${kind.name} handled`, { ...report });
  return report;
}

/** Untrusted messages change nothing, not even the history, so the log is where they show. */
function warnUntrusted<E extends RequestReference>(kind: RequestMessageKind<E>, deps: RequestFlowDeps): ApplyEvent<E> {
  return (request, event, ctx) => {
    const outcome = kind.apply(request, event, ctx);
    if (outcome.untrusted === true) {
      deps.logger.warn(`${kind.name}: message not applied, its dispatch token does not vouch for it`, {
        tenant: event.tenant,
        requestId: event.requestId,
        attempt: event.dispatchAttempt,
        currentAttempt: request.attempt,
        reason: outcome.ignored,
      });
    }
    return outcome;
  };
}
