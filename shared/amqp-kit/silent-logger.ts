import type { LogFields, Logger } from '../kernel/logger.js';

/** The logger of a kit component given none: the host decides what is worth saying, not the kit. */
export class SilentLogger implements Logger {
  public debug(_message: string, _fields?: LogFields): void {}
  public info(_message: string, _fields?: LogFields): void {}
  public warn(_message: string, _fields?: LogFields): void {}
  public error(_message: string, _fields?: LogFields): void {}
  public child(_fields: LogFields): Logger {
    return this;
  }
}
