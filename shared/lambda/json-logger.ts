import type { LogFields, Logger } from '../kernel/logger.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type EmittedLevel = Exclude<LogLevel, 'silent'>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Level filtering and context fields; each logger only says how one entry is written. */
export abstract class BaseLogger implements Logger {
  public constructor(
    protected readonly level: LogLevel,
    protected readonly fields: LogFields = {},
  ) {}

  public debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }

  public info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }

  public warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }

  public error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  public abstract child(fields: LogFields): Logger;

  protected abstract emit(level: EmittedLevel, message: string, fields: LogFields): void;

  private log(level: EmittedLevel, message: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.level]) return;
    this.emit(level, message, { ...this.fields, ...fields });
  }
}

/** One JSON object per line: what CloudWatch Logs Insights and `jq` read without configuration. */
export class JsonLogger extends BaseLogger {
  public constructor(
    level: LogLevel = 'info',
    fields: LogFields = {},
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {
    super(level, fields);
  }

  public child(fields: LogFields): Logger {
    return new JsonLogger(this.level, { ...this.fields, ...fields }, this.write);
  }

  protected emit(level: EmittedLevel, message: string, fields: LogFields): void {
    this.write(JSON.stringify({ level, time: new Date().toISOString(), message, ...fields }, errorReplacer));
  }
}

/** Errors stringify to `{}` by default; keep name, message and cause, never a stack in production logs. */
export function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(value.cause === undefined ? {} : { cause: value.cause }) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
