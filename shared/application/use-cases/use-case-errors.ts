import type { ConfigError } from '../../domain/config/config-error.js';
import { AppError, type AppErrorOptions } from '../../kernel/errors.js';

/*
 * What a use case refuses. Each error carries its HTTP status (statusCode), read by the one
 * error-to-HTTP mapping (shared/lambda/http/http-errors.ts); use cases never build HTTP responses.
 */

/** A refusal of the caller's request: its message is meant for the caller. */
export abstract class UseCaseError extends AppError {
  protected constructor(message: string, statusCode: number, options: AppErrorOptions = {}) {
    super(message, { ...options, statusCode });
  }
}

export class RequestNotFoundError extends UseCaseError {
  public override readonly name = 'RequestNotFoundError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 404, options);
  }
}

/** A request already finished cannot be cancelled. */
export class RequestNotCancellableError extends UseCaseError {
  public override readonly name = 'RequestNotCancellableError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 409, options);
  }
}

export class JobNotFoundError extends UseCaseError {
  public override readonly name = 'JobNotFoundError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 404, options);
  }
}

export class SettingNotFoundError extends UseCaseError {
  public override readonly name = 'SettingNotFoundError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 404, options);
  }
}

/** A retry the request cannot take now (not blocked, or a restart whose step or input is missing): nothing was changed. */
export class RetryRefusedError extends UseCaseError {
  public override readonly name = 'RetryRefusedError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 409, options);
  }
}

/** A job that already ended cannot be resumed. */
export class JobFinishedError extends UseCaseError {
  public override readonly name = 'JobFinishedError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 409, options);
  }
}

/** A configuration (or a setting) the rules refuse: nothing was written, every error is listed. */
export class ConfigurationRefusedError extends UseCaseError {
  public override readonly name = 'ConfigurationRefusedError';
  public constructor(
    public readonly errors: readonly ConfigError[],
    options?: ErrorOptions,
  ) {
    super(`the configuration was refused (${errors.length} error${errors.length === 1 ? '' : 's'}); nothing was imported`, 409, options);
  }
}

/** Another import kept winning the race for the tenant's configuration. */
export class ConfigurationConflictError extends UseCaseError {
  public override readonly name = 'ConfigurationConflictError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 409, options);
  }
}

/** A sort the index cannot give, on more matches than are sorted in memory: 400, narrow the filter. */
export class SortTooCostlyError extends UseCaseError {
  public override readonly name = 'SortTooCostlyError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 400, options);
  }
}

/** A page number whose offset is beyond what a search walks through; the cursor reaches it. */
export class PageOutOfRangeError extends UseCaseError {
  public override readonly name = 'PageOutOfRangeError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 400, options);
  }
}

export class DeadLetterQueueNotFoundError extends UseCaseError {
  public override readonly name = 'DeadLetterQueueNotFoundError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, 404, options);
  }
}
