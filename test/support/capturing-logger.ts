import type { LogFields, Logger } from '../../shared/kernel/logger.js';
import { BaseLogger, type EmittedLevel } from '../../shared/lambda/json-logger.js';

/** A logger that keeps entries in memory, for tests that assert what was logged. */
export class CapturingLogger extends BaseLogger {
  public constructor(
    fields: LogFields = {},
    public readonly entries: { level: string; message: string; fields: LogFields }[] = [],
  ) {
    super('debug', fields);
  }

  public child(fields: LogFields): Logger {
    return new CapturingLogger({ ...this.fields, ...fields }, this.entries);
  }

  protected emit(level: EmittedLevel, message: string, fields: LogFields): void {
    this.entries.push({ level, message, fields });
  }
}
