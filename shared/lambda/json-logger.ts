import { BaseLogger, type EmittedLevel, type LogFields, type Logger, type LogLevel } from '../kernel/logger.js';

export type { LogLevel } from '../kernel/logger.js';

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
