import { BaseLogger, type EmittedLevel, type LogFields, type Logger } from '../../kernel/logger.js';

/** Without a logger, a worker still says when it loses work or its broker; nothing below warn. */
export class ConsoleWarnings extends BaseLogger {
  public constructor(fields: LogFields = {}) {
    super('warn', fields);
  }

  public child(fields: LogFields): Logger {
    return new ConsoleWarnings({ ...this.fields, ...fields });
  }

  protected emit(level: EmittedLevel, message: string, fields: LogFields): void {
    const details = Object.keys(fields).length === 0 ? '' : fields;
    (level === 'error' ? console.error : console.warn)(`[worker-sdk] ${message}`, details);
  }
}
