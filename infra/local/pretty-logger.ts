import type { LogFields, Logger } from '../../shared/ports/logger.js';
import type { LogLevel } from '../../shared/lambda/json-logger.js';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const COLOR: Record<Exclude<LogLevel, 'silent'>, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };

/** One readable line per entry for a terminal: time, level, function, message, then key=value. */
export class PrettyLogger implements Logger {
  public constructor(
    private readonly level: LogLevel,
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
    return new PrettyLogger(this.level, { ...this.fields, ...fields }, this.write);
  }

  private log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.level]) return;
    const { fn, ...rest } = { ...this.fields, ...fields };
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
