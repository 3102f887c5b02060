export { startWorker, type StopOptions, type StopResult, type Worker, type WorkerStats } from './worker.js';
export type { FinalStatus, Job, JobContent, JobMessages, JobOutcome } from './job.js';
export {
  WORKER_DEFAULTS,
  type JobHandler,
  type ReconnectOptions,
  type WorkerBaseOptions,
  type WorkerConnectionOptions,
  type WorkerOptions,
} from './options.js';
export { InvalidContentError, JobClosedError, WorkerOptionsError, WorkerStartError } from './errors.js';
