import type { NormalizedBatch } from '../../contract/amazon-mq-event.js';
import { NoticeTitle } from '../../contract/regards-notifications.js';
import { parseWorkerDeadLetter } from '../../contract/worker-dead-letter.js';
import { applyDeadLetter } from '../../domain/request/failure-outcomes.js';
import { refuseUntrusted } from '../../domain/request/worker-answer-outcomes.js';
import type { RequestFlowDeps } from '../services/request-events.js';
import { handleRequestMessages, type RequestMessagesReport } from './request-messages.js';

// handle-worker-dead-letters handler --> (use case) --> outcomes, RequestStore, MessageBus

export type HandleWorkerDeadLettersDeps = RequestFlowDeps;

export type HandleWorkerDeadLettersReport = RequestMessagesReport;

/**
 * A work item the broker dead-lettered (a worker rejected it, it expired, a limit dropped it) ends
 * its attempt in ERROR with the reason (reference 3.8), or is retried by the worker type's policy.
 * Unlike the reference, the client is told (ERROR): otherwise nobody would ever learn that the
 * request failed, and keepErrors applies as it does to any other error.
 */
export function handleWorkerDeadLetters(batch: NormalizedBatch, deps: HandleWorkerDeadLettersDeps): Promise<HandleWorkerDeadLettersReport> {
  deps.metrics?.count('deadLetters', { Queue: deps.settings.names.workerDeadLetter }, batch.messages.length);
  return handleRequestMessages(batch, deps, {
    name: 'worker dead letters',
    read: (message) => parseWorkerDeadLetter(message.headers),
    // The tenant's operators hear of it as REGARDS operators hear of a dropped message.
    notice: NoticeTitle.workerDeadLetter,
    // A dead-lettered work item keeps its headers, token included: one from another dispatch is ignored.
    apply: (request, letter, ctx) =>
      refuseUntrusted(request, letter, 'dead-letter', ctx) ?? applyDeadLetter(request, letter.dispatchAttempt, letter.reason, ctx),
  });
}
