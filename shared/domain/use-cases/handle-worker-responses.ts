import type { NormalizedBatch } from '../../contract/amazon-mq-event.js';
import { parseWorkerResponse, type WorkerResponse } from '../../contract/worker-response.js';
import type { CounterStore } from '../../ports/counter-store.js';
import type { MessageBus } from '../../ports/message-bus.js';
import { applyWorkerResponse } from '../request/outcomes.js';
import { BatchEffects } from '../services/batch-effects.js';
import { applyEvents, type ApplyEventsDeps, type ApplyEventsReport, type TargetedEvent } from '../services/request-events.js';

// handle-worker-responses handler --> (use case) --> outcomes, RequestStore, MessageBus

export interface HandleWorkerResponsesDeps extends ApplyEventsDeps {
  bus: MessageBus;
  counters: CounterStore;
}

export interface HandleWorkerResponsesReport extends ApplyEventsReport {
  received: number;
  /** Unreadable answers (no tenant or request id, unknown status, bad body): dead-lettered with the reason. */
  deadLettered: number;
}

/**
 * Applies a batch of worker answers (reference 4.4) behind the state guard the reference lacks:
 * only the current attempt of an unfinished request moves; stale, duplicate and out-of-order
 * answers are recorded or logged and never applied.
 */
export async function handleWorkerResponses(batch: NormalizedBatch, deps: HandleWorkerResponsesDeps): Promise<HandleWorkerResponsesReport> {
  const effects = new BatchEffects(deps.settings.names, deps.clock.now());
  const events: TargetedEvent<WorkerResponse>[] = [];
  let deadLettered = 0;
  for (const message of batch.messages) {
    const parsed = parseWorkerResponse(message.headers, message.body);
    if (!parsed.ok) {
      deps.logger.warn('worker response dead-lettered: unreadable', { reason: parsed.reason });
      effects.deadLetter(message, parsed.reason);
      deadLettered += 1;
      continue;
    }
    events.push({ tenant: parsed.value.tenant, requestId: parsed.value.requestId, event: parsed.value });
  }
  const applied = await applyEvents(events, applyWorkerResponse, deps, effects);
  await effects.flush(deps);
  const report = { received: batch.messages.length, deadLettered, ...applied };
  deps.logger.info('worker responses handled', { ...report });
  return report;
}
