import { BaseLogger, type EmittedLevel, type LogFields, type Logger } from '../../shared/kernel/logger.js';

export interface LogEntry {
  level: EmittedLevel;
  message: string;
  fields: LogFields;
}

/**
 * A real logger that keeps its entries, for tests that assert what was logged and keep expected
 * warnings (lost connections, missing exchanges) out of the test output. Children share the entries.
 */
export class CapturingLogger extends BaseLogger {
  public constructor(
    fields: LogFields = {},
    public readonly entries: LogEntry[] = [],
  ) {
    super('debug', fields);
  }

  /** Warnings and errors, the latter prefixed with `ERROR `. */
  public get warnings(): string[] {
    return this.entries.flatMap((entry) => {
      if (entry.level === 'warn') return [entry.message];
      if (entry.level === 'error') return [`ERROR ${entry.message}`];
      return [];
    });
  }

  /** The entries of one level. */
  public at(level: EmittedLevel): LogEntry[] {
    return this.entries.filter((entry) => entry.level === level);
  }

  public child(fields: LogFields): Logger {
    return new CapturingLogger({ ...this.fields, ...fields }, this.entries);
  }

  protected emit(level: EmittedLevel, message: string, fields: LogFields): void {
    this.entries.push({ level, message, fields });
  }
}
