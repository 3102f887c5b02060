import type { NormalizedBatch } from '../../contract/amazon-mq-event.js';
import { parseWorkerDeadLetter, type WorkerDeadLetter } from '../../contract/worker-dead-letter.js';
import { applyDeadLetter } from '../request/outcomes.js';
import { BatchEffects } from '../services/batch-effects.js';
import { applyEvents, type ApplyEventsReport, type TargetedEvent } from '../services/request-events.js';
import type { HandleWorkerResponsesDeps } from './handle-worker-responses.js';

// handle-worker-dead-letters handler --> (use case) --> outcomes, RequestStore, MessageBus

export type HandleWorkerDeadLettersDeps = HandleWorkerResponsesDeps;

export interface HandleWorkerDeadLettersReport extends ApplyEventsReport {
  received: number;
  deadLettered: number;
}

/**
 * A work item the broker dead-lettered (a worker rejected it, it expired, a limit dropped it) ends
 * its attempt in ERROR with the reason (reference 3.8), or is retried by the worker type's policy.
 * Unlike the reference, the client is told (ERROR): otherwise nobody would ever learn that the
 * request failed, and keepErrors applies as it does to any other error.
 */
export async function handleWorkerDeadLetters(
  batch: NormalizedBatch,
  deps: HandleWorkerDeadLettersDeps,
): Promise<HandleWorkerDeadLettersReport> {
  const effects = new BatchEffects(deps.settings.names, deps.clock.now());
  const events: TargetedEvent<WorkerDeadLetter>[] = [];
  let deadLettered = 0;
  for (const message of batch.messages) {
    const parsed = parseWorkerDeadLetter(message.headers);
    if (!parsed.ok) {
      deps.logger.warn('worker dead letter set aside: it names no request', { reason: parsed.reason });
      effects.deadLetter(message, parsed.reason);
      deadLettered += 1;
      continue;
    }
    events.push({ tenant: parsed.value.tenant, requestId: parsed.value.requestId, event: parsed.value });
  }
  const applied = await applyEvents(events, (request, letter, ctx) => applyDeadLetter(request, letter.dispatchAttempt, letter.reason, ctx), deps, effects);
  await effects.flush(deps);
  const report = { received: batch.messages.length, deadLettered, ...applied };
  deps.logger.info('worker dead letters handled', { ...report });
  return report;
}
