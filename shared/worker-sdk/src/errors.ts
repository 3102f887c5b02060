import { AppError } from '../../kernel/errors.js';

/** The options given to startWorker cannot work (a missing handler, a prefetch of 0...). */
export class WorkerOptionsError extends AppError {
  public override readonly name = 'WorkerOptionsError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** startWorker could not reach the broker, declare the worker queue or subscribe to it. */
export class WorkerStartError extends AppError {
  public override readonly name = 'WorkerStartError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Thrown by a handler (or by `job.json()`) to answer INVALID_CONTENT instead of ERROR: the work
 * item itself is wrong, so retrying it elsewhere would fail the same way.
 */
export class InvalidContentError extends AppError {
  public override readonly name = 'InvalidContentError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A job can no longer talk to the manager: it already has its final answer, or its work item was
 * given back to the broker (connection lost, stop timed out) and will be redelivered.
 */
export class JobClosedError extends AppError {
  public override readonly name = 'JobClosedError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
