/**
 * The few log calls the RabbitMQ adapters and the local event source make. Every callback is
 * optional so a caller can listen to warnings only (tests) or plug in a real logger (hosts).
 */
export interface AmqpLogger {
  debug?(message: string, details?: Record<string, unknown>): void;
  info?(message: string, details?: Record<string, unknown>): void;
  warn?(message: string, details?: Record<string, unknown>): void;
  error?(message: string, details?: Record<string, unknown>): void;
}

/** A log details value for an error: its message without the stack, which is noise at warn level. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
