// use case --> (Logger) --> JSON lines (local host, Lambda: LambdaLogger), a terminal, a worker's console, a test's memory

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

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
