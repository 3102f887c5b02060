import type { ConfigError } from '../../domain/config/config-error.js';

/*
 * What a use case refuses, by name: the admin API maps each name to a status in one table
 * (shared/lambda/http/error-mapper.ts); use cases never build HTTP responses.
 */

export class RequestNotFoundError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RequestNotFoundError';
  }
}

export class JobNotFoundError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JobNotFoundError';
  }
}

export class SettingNotFoundError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SettingNotFoundError';
  }
}

/** A job that already ended cannot be resumed. */
export class JobFinishedError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JobFinishedError';
  }
}

/** A configuration (or a setting) the rules refuse: nothing was written, every error is listed. */
export class ConfigurationRefusedError extends Error {
  public constructor(
    public readonly errors: readonly ConfigError[],
    options?: ErrorOptions,
  ) {
    super(`the configuration was refused (${errors.length} error${errors.length === 1 ? '' : 's'}); nothing was imported`, options);
    this.name = 'ConfigurationRefusedError';
  }
}

/** Another import kept winning the race for the tenant's configuration. */
export class ConfigurationConflictError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationConflictError';
  }
}

/** A page number whose offset is beyond what a search walks through; the cursor reaches it. */
export class PageOutOfRangeError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PageOutOfRangeError';
  }
}
