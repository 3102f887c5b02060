import type { LogFields, Logger } from '../ports/logger.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** One JSON object per line: what CloudWatch Logs Insights and `jq` read without configuration. */
export class JsonLogger implements Logger {
  public constructor(
    private readonly level: LogLevel = 'info',
    private readonly fields: LogFields = {},
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
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

  public child(fields: LogFields): Logger {
    return new JsonLogger(this.level, { ...this.fields, ...fields }, this.write);
  }

  private log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.level]) return;
    const entry = { level, time: new Date().toISOString(), message, ...this.fields, ...fields };
    this.write(JSON.stringify(entry, errorReplacer));
  }
}

/** Errors stringify to `{}` by default; keep name, message and cause, never a stack in production logs. */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(value.cause === undefined ? {} : { cause: value.cause }) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A logger that keeps entries in memory, for tests that assert what was logged. */
export class CapturingLogger implements Logger {
  public readonly entries: { level: string; message: string; fields: LogFields }[] = [];

  public constructor(private readonly fields: LogFields = {}, entries?: CapturingLogger['entries']) {
    if (entries) this.entries = entries;
  }

  public debug(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'debug', message, fields: { ...this.fields, ...fields } });
  }

  public info(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'info', message, fields: { ...this.fields, ...fields } });
  }

  public warn(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'warn', message, fields: { ...this.fields, ...fields } });
  }

  public error(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'error', message, fields: { ...this.fields, ...fields } });
  }

  public child(fields: LogFields): Logger {
    return new CapturingLogger({ ...this.fields, ...fields }, this.entries);
  }
}
