/*
 * The public API of @worker-manager/worker-sdk: start a worker with a handler, get jobs, answer
 * them. Everything else in src/ (and the bundled contract and AMQP kit) is internal.
 */
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
/** A connection several workers (or other users) share; the `connection` option takes one. */
export { AmqpConnectionProvider, BrokerUnreachableError, type AmqpConnectionProviderOptions } from '../../amqp-kit/connection.js';
export type { WireNames } from '../../contract/wire-names.js';
/** The `logger` option takes any Logger; BaseLogger does the level filtering and context fields, a subclass only writes. */
export { BaseLogger, type EmittedLevel, type LogFields, type Logger, type LogLevel } from '../../kernel/logger.js';
