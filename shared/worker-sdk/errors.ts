/** The options given to startWorker cannot work (a missing handler, a prefetch of 0...). */
export class WorkerOptionsError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WorkerOptionsError';
  }
}

/** startWorker could not reach the broker, declare the worker queue or subscribe to it. */
export class WorkerStartError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WorkerStartError';
  }
}

/**
 * Thrown by a handler (or by `job.json()`) to answer INVALID_CONTENT instead of ERROR: the work
 * item itself is wrong, so retrying it elsewhere would fail the same way.
 */
export class InvalidContentError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidContentError';
  }
}

/**
 * A job can no longer talk to the manager: it already has its final answer, or its work item was
 * given back to the broker (connection lost, stop timed out) and will be redelivered.
 */
export class JobClosedError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JobClosedError';
  }
}
