import type { Context } from 'aws-lambda';
import { BaseLogger, type EmittedLevel, type LogFields, type Logger, type LogLevel } from '../kernel/logger.js';
import { errorReplacer } from './json-logger.js';

// use case, adapters --> (kernel Logger) --> one JSON line per entry, with the invocation's context (Lambda)

/** The service every line names; the function is in `function_name` (from the context) and in `fn`. */
const SERVICE_NAME = 'worker-manager';

/** Lambda's advanced logging controls name their levels in upper case, with TRACE and FATAL besides ours. */
const LAMBDA_LEVELS: Readonly<Record<string, LogLevel>> = { TRACE: 'debug', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', FATAL: 'error' };

/**
 * The invocation a process is serving, shared by the logger and every child of it: a child made at
 * composition (an adapter's) must write the request id of each later invocation, not of the one it
 * was made in.
 */
class Invocation {
  public fields: LogFields = {};
  private served = 0;

  public enter(context: Context): void {
    this.served += 1;
    const trace = process.env['_X_AMZN_TRACE_ID'];
    this.fields = {
      cold_start: this.served === 1,
      function_name: context.functionName,
      function_arn: context.invokedFunctionArn,
      function_memory_size: Number(context.memoryLimitInMB),
      function_request_id: context.awsRequestId,
      ...(trace === undefined ? {} : { xray_trace_id: trace.split(';')[0]?.replace(/^Root=/, '') }),
    };
  }
}

/**
 * The kernel Logger in Lambda: one JSON object per line, in the shape CloudWatch Logs Insights
 * reads with Lambda's JSON log format (`level` in upper case, `timestamp`, `service`, the
 * invocation's `function_request_id`, `cold_start`, `function_name`, `function_arn`,
 * `function_memory_size`, `xray_trace_id`). It is ours rather than Powertools' logger: the same
 * lines for about 1 KiB of bundle instead of 22 KiB, in every function.
 */
export class LambdaLogger extends BaseLogger {
  private constructor(
    level: LogLevel,
    fields: LogFields,
    private readonly invocation: Invocation,
    private readonly write: (line: string) => void,
  ) {
    super(level, fields);
  }

  /**
   * A logger at `level`, unless Lambda's advanced logging controls set one (AWS_LAMBDA_LOG_LEVEL):
   * then theirs wins, as the console's own filtering would. Errors are written as the JSON logger
   * writes them: name, message and cause, no stack.
   */
  public static create(level: LogLevel, fields: LogFields = {}, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): LambdaLogger {
    const lambdaLevel = LAMBDA_LEVELS[process.env['AWS_LAMBDA_LOG_LEVEL']?.toUpperCase() ?? ''];
    return new LambdaLogger(lambdaLevel ?? level, fields, new Invocation(), write);
  }

  public child(fields: LogFields): Logger {
    return new LambdaLogger(this.level, { ...this.fields, ...fields }, this.invocation, this.write);
  }

  /** Called by the function wrapper before each invocation (and by code that runs outside it). */
  public addContext(context: Context): void {
    this.invocation.enter(context);
  }

  protected emit(level: EmittedLevel, message: string, fields: LogFields): void {
    const entry = { level: level.toUpperCase(), message, timestamp: new Date().toISOString(), service: SERVICE_NAME, ...this.invocation.fields, ...fields };
    this.write(JSON.stringify(entry, errorReplacer));
  }
}
