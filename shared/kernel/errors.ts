/*
 * The base of every error this code base throws on purpose. `statusCode` and `expose` follow the
 * middy/http-errors convention: the one error-to-HTTP mapping (shared/lambda/http/http-errors.ts)
 * reads them instead of looking errors up by class name. `expose` says whether the message may be
 * shown to a caller; a 5xx never is. Errors that never reach HTTP keep the default (500, hidden).
 */

export interface AppErrorOptions extends ErrorOptions {
  statusCode?: number;
  expose?: boolean;
}

export abstract class AppError extends Error {
  /**
   * The class's own name, spelt out by every concrete class (`public override readonly name =
   * 'NotFoundError'`): it is the `error` code of an admin API answer and the errorType of a log line.
   * Read from the class at run time (new.target.name), it would be whatever a minifier renamed the
   * class to; test/unit/kernel/error-names.test.ts checks that each class says its own.
   */
  public abstract override readonly name: string;
  public readonly statusCode: number;
  public readonly expose: boolean;

  protected constructor(message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.statusCode = options.statusCode ?? 500;
    this.expose = options.expose ?? this.statusCode < 500;
  }
}

/** A description of an error for a log line: name and message, without the stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
