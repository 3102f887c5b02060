import type { NormalizedBatch } from '../../contract/amazon-mq-event.js';
import type { ManagerSettings } from '../../contract/manager-settings.js';
import { parseSessionDeletion } from '../../contract/regards-session-schemas.js';
import type { SessionDeletion } from '../../contract/regards-sessions.js';
import type { CounterStore } from '../../ports/counter-store.js';
import type { MessageBus } from '../../ports/message-bus.js';
import type { RequestStore } from '../../ports/request-store.js';
import type { BulkJob } from '../../ports/job-store.js';
import { BatchEffects } from '../services/batch-effects.js';
import { submitBulkJob, type BulkJobDeps } from './bulk-jobs.js';

// handle-session-deletions handler --> (use case) --> submitBulkJob (run-bulk-jobs carries it out)

export interface HandleSessionDeletionsDeps extends BulkJobDeps {
  settings: ManagerSettings;
  bus: MessageBus;
  counters: CounterStore;
  requests: RequestStore;
}

export interface HandleSessionDeletionsReport {
  received: number;
  /** Delete jobs started, one per deletion (GET /jobs/{id} shows their progress). */
  jobs: string[];
  deadLettered: number;
}

/**
 * rs-admin deleted a session or a whole source on its dashboard: this manager deletes that
 * session's (or source's) requests, as rs-worker-manager does, through a bulk delete job, so a
 * source of a million requests is deleted page by page, resumably, with its progress at
 * GET /jobs/{id}. Unlike the reference (a LIKE %x% match) only that exact source and session are
 * touched. Requests a worker holds (DISPATCHED, RUNNING) or that wait for a retry are left to
 * finish, as any operator deletion leaves them: deleting them would lose the worker's answer and
 * the client's. A redelivered deletion starts a second job, which finds nothing left to delete.
 */
export async function handleSessionDeletions(batch: NormalizedBatch, deps: HandleSessionDeletionsDeps): Promise<HandleSessionDeletionsReport> {
  const effects = new BatchEffects(deps.settings.names, deps.clock.now());
  const report: HandleSessionDeletionsReport = { received: batch.messages.length, jobs: [], deadLettered: 0 };
  for (const message of batch.messages) {
    const read = parseSessionDeletion(message.headers, message.body);
    if (!read.ok) {
      deps.logger.warn('session deletion unreadable; dead-lettered', { reason: read.reason });
      effects.deadLetter(message, read.reason);
      report.deadLettered += 1;
      continue;
    }
    const job = await submitBulkJob(
      { tenant: read.value.tenant, kind: 'delete', filter: filterOf(read.value.deletion), requestedBy: requestedBy(read.value.deletion), fromRegards: true },
      deps,
    );
    report.jobs.push(job.id);
  }
  await effects.flush(deps);
  deps.logger.info('session deletions handled', { received: report.received, jobs: report.jobs.length, deadLettered: report.deadLettered });
  return report;
}

function filterOf(deletion: SessionDeletion): BulkJob['filter'] {
  return deletion.session === undefined ? { source: deletion.source } : { source: deletion.source, session: deletion.session };
}

function requestedBy(deletion: SessionDeletion): string {
  return deletion.session === undefined ? 'rs-admin:SourceDeleteEvent' : 'rs-admin:SessionDeleteEvent';
}
