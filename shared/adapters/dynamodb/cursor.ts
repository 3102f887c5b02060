import type * as z from 'zod';
import { AppError } from '../../kernel/errors.js';

/** A cursor that was not produced by the same listing (tampered, truncated, or from another query). */
export class InvalidCursorError extends AppError {
  public override readonly name = 'InvalidCursorError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, statusCode: 400 });
  }
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError('the cursor is not one this store issued (not base64url JSON)', { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new InvalidCursorError('the cursor is not one this store issued (unexpected shape)', { cause: parsed.error });
  return parsed.data;
}

export function checkPageLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, got ${limit}`);
}
