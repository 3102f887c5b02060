import { Logger as Powertools } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { LogFields, Logger } from '../kernel/logger.js';
import { errorReplacer, type LogLevel } from './json-logger.js';

// use case, adapters --> (kernel Logger) --> Powertools for AWS Lambda --> one JSON line per entry (Lambda)

/** The service every line names; the function is in `function_name` (from the context) and in `fn`. */
const SERVICE_NAME = 'worker-manager';

/**
 * The kernel Logger over Powertools for AWS Lambda. Every child shares ONE Powertools instance, so
 * the invocation's context added to it (`addContext`, or the `injectLambdaContext` middleware)
 * reaches every line, those of the adapters composed before the first event included: the request
 * id (`function_request_id`), `cold_start`, `function_name`, `function_arn`, the memory size and
 * the X-Ray trace id. A Powertools `createChild` would copy the context once, at creation, and
 * miss every later invocation's.
 */
export class PowertoolsLogger implements Logger {
  public constructor(
    /** The one Powertools instance of the process; `injectLambdaContext` takes it. */
    public readonly powertools: Powertools,
    private readonly fields: LogFields = {},
  ) {}

  /**
   * A logger at `level`. Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL), when set, win
   * over it, as Powertools wants. Errors are written as the JSON logger writes them: name, message
   * and cause, no stack.
   */
  public static create(level: LogLevel, fields: LogFields = {}): PowertoolsLogger {
    const powertools = new Powertools({ serviceName: SERVICE_NAME, logLevel: level.toUpperCase() as Uppercase<LogLevel>, jsonReplacerFn: errorReplacer });
    return new PowertoolsLogger(powertools, fields);
  }

  public debug(message: string, fields?: LogFields): void {
    this.powertools.debug(message, this.with(fields));
  }

  public info(message: string, fields?: LogFields): void {
    this.powertools.info(message, this.with(fields));
  }

  public warn(message: string, fields?: LogFields): void {
    this.powertools.warn(message, this.with(fields));
  }

  public error(message: string, fields?: LogFields): void {
    this.powertools.error(message, this.with(fields));
  }

  public child(fields: LogFields): Logger {
    return new PowertoolsLogger(this.powertools, this.with(fields));
  }

  /** What `injectLambdaContext` does before each invocation, for code that runs outside the wrapper. */
  public addContext(context: Context): void {
    this.powertools.addContext(context);
  }

  private with(fields: LogFields | undefined): LogFields {
    return fields === undefined ? this.fields : { ...this.fields, ...fields };
  }
}
