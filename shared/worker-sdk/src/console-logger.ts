import type { LogFields, Logger } from '../../kernel/logger.js';

/** Without a logger, a worker still says when it loses work or its broker; nothing below warn. */
export class ConsoleWarnings implements Logger {
  public constructor(private readonly context: LogFields = {}) {}

  public debug(): void {}

  public info(): void {}

  public warn(message: string, fields?: LogFields): void {
    console.warn(`[worker-sdk] ${message}`, this.details(fields));
  }

  public error(message: string, fields?: LogFields): void {
    console.error(`[worker-sdk] ${message}`, this.details(fields));
  }

  public child(fields: LogFields): Logger {
    return new ConsoleWarnings({ ...this.context, ...fields });
  }

  private details(fields: LogFields | undefined): LogFields | '' {
    const all = { ...this.context, ...fields };
    return Object.keys(all).length === 0 ? '' : all;
  }
}
