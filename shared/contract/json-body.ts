import { parsed, rejected, type ParseResult } from './parse-result.js';

/** Parses a message body as UTF-8 JSON, reporting a syntax error as a reason rather than throwing. */
export function parseJsonBody(body: Uint8Array): ParseResult<unknown> {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return parsed(JSON.parse(text) as unknown);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return rejected(`body is not JSON (${why})`);
  }
}

export function jsonBody(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
