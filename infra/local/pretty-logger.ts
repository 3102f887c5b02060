import type { LogFields, Logger } from '../../shared/kernel/logger.js';
import { BaseLogger, type EmittedLevel, type LogLevel } from '../../shared/kernel/logger.js';

const COLOR: Record<EmittedLevel, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };

/** One readable line per entry for a terminal: time, level, function, message, then key=value. */
export class PrettyLogger extends BaseLogger {
  public constructor(
    level: LogLevel,
    fields: LogFields = {},
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {
    super(level, fields);
  }

  public child(fields: LogFields): Logger {
    return new PrettyLogger(this.level, { ...this.fields, ...fields }, this.write);
  }

  protected emit(level: EmittedLevel, message: string, fields: LogFields): void {
    const { fn, ...rest } = fields;
    const time = new Date().toISOString().slice(11, 23);
    const details = Object.entries(rest)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${render(value)}`)
      .join(' ');
    const where = typeof fn === 'string' ? ` ${fn}` : '';
    this.write(`${time} ${COLOR[level]}${level.padEnd(5)}\x1b[0m${where} ${message}${details ? ` \x1b[90m${details}\x1b[0m` : ''}`);
  }
}

function render(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(`${value.name}: ${value.message}`);
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}
