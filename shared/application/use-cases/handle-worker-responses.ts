import type { NormalizedBatch } from '../../contract/amazon-mq-event.js';
import { parseWorkerResponse } from '../../contract/worker-response.js';
import { applyWorkerResponse } from '../../domain/request/worker-answer-outcomes.js';
import type { RequestFlowDeps } from '../services/request-events.js';
import { handleRequestMessages, type RequestMessagesReport } from './request-messages.js';

// handle-worker-responses handler --> (use case) --> outcomes, RequestStore, MessageBus

export type HandleWorkerResponsesDeps = RequestFlowDeps;
export type HandleWorkerResponsesReport = RequestMessagesReport;

/**
 * Applies a batch of worker answers (reference 4.4) behind the state guard the reference lacks:
 * only the current attempt of an unfinished request moves; stale, duplicate and out-of-order
 * answers are recorded or logged and never applied.
 */
export function handleWorkerResponses(batch: NormalizedBatch, deps: HandleWorkerResponsesDeps): Promise<HandleWorkerResponsesReport> {
  return handleRequestMessages(batch, deps, {
    name: 'worker responses',
    read: (message) => parseWorkerResponse(message.headers, message.body),
    apply: applyWorkerResponse,
  });
}
