import type { LogFields, Logger } from '../../shared/kernel/logger.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

/**
 * A real logger that keeps its entries, for tests that assert what was logged and keep expected
 * warnings (lost connections, missing exchanges) out of the test output. Children share the entries.
 */
export class RecordingLogger implements Logger {
  public constructor(
    public readonly entries: LogEntry[] = [],
    private readonly context: LogFields = {},
  ) {}

  /** Warnings and errors, the latter prefixed with `ERROR `. */
  public get warnings(): string[] {
    return this.entries.flatMap((entry) => {
      if (entry.level === 'warn') return [entry.message];
      if (entry.level === 'error') return [`ERROR ${entry.message}`];
      return [];
    });
  }

  /** The entries of one level. */
  public at(level: LogEntry['level']): LogEntry[] {
    return this.entries.filter((entry) => entry.level === level);
  }

  public debug(message: string, fields?: LogFields): void {
    this.record('debug', message, fields);
  }

  public info(message: string, fields?: LogFields): void {
    this.record('info', message, fields);
  }

  public warn(message: string, fields?: LogFields): void {
    this.record('warn', message, fields);
  }

  public error(message: string, fields?: LogFields): void {
    this.record('error', message, fields);
  }

  public child(fields: LogFields): Logger {
    return new RecordingLogger(this.entries, { ...this.context, ...fields });
  }

  private record(level: LogEntry['level'], message: string, fields: LogFields = {}): void {
    this.entries.push({ level, message, fields: { ...this.context, ...fields } });
  }
}
