import * as z from 'zod';
import { Header, headerInteger, readHeaderText, type Headers } from './headers.js';
import { MAX_DISPATCH_TOKEN_LENGTH } from './limits.js';
import { parsed, rejected, type ParseResult } from './parse-result.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A dispatch token as it may travel: base64url text, short. Ours are 22 characters. */
export const DispatchTokenSchema = z.string().min(1).max(MAX_DISPATCH_TOKEN_LENGTH).regex(BASE64URL, { message: 'a dispatch token is base64url text' });

/**
 * The headers by which a message from a worker points back at a request: worker responses, dead
 * letters and work items all carry them.
 */
export interface RequestReference {
  tenant: string;
  requestId: string;
  /** Absent when the sender does not echo it (every REGARDS worker). */
  dispatchAttempt?: number;
  /** The dispatch's token, echoed by our workers; absent from REGARDS workers' messages. */
  dispatchToken?: string;
}

export function readRequiredHeader(headers: Headers, name: string): ParseResult<string> {
  const read = readHeaderText(headers, name);
  switch (read.kind) {
    case 'text':
      return parsed(read.value);
    case 'missing':
      return rejected(`header ${name} is missing`);
    case 'wrong-type':
      return rejected(`header ${name} must be a string, got ${read.got}`);
  }
}

/**
 * An attempt that is present but unreadable is refused rather than ignored: ignoring it would let
 * an answer through without the fencing check it was meant to pass.
 */
export function readDispatchAttempt(headers: Headers): ParseResult<number | undefined> {
  const raw = headers[Header.dispatchAttempt];
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return parsed(undefined);
  const attempt = headerInteger(headers, Header.dispatchAttempt);
  if (attempt === undefined) {
    const shown = typeof raw === 'string' || typeof raw === 'number' ? JSON.stringify(raw) : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`;
    return rejected(`header ${Header.dispatchAttempt} must be a non-negative integer, got ${shown}`);
  }
  return parsed(attempt);
}

/**
 * Like the attempt, a token that is present but malformed is refused at the door: it cannot be one
 * we issued, and its length is bounded before it reaches a log or a history entry.
 */
export function readDispatchToken(headers: Headers): ParseResult<string | undefined> {
  const read = readHeaderText(headers, Header.dispatchToken);
  switch (read.kind) {
    case 'missing':
      return parsed(undefined);
    case 'wrong-type':
      return rejected(`header ${Header.dispatchToken} must be a string, got ${read.got}`);
    case 'text':
      if (read.value.length > MAX_DISPATCH_TOKEN_LENGTH) {
        return rejected(`header ${Header.dispatchToken} is too long (${read.value.length} characters, at most ${MAX_DISPATCH_TOKEN_LENGTH} allowed)`);
      }
      if (!BASE64URL.test(read.value)) return rejected(`header ${Header.dispatchToken} must be base64url text`);
      return parsed(read.value);
  }
}

export function readRequestReference(headers: Headers): ParseResult<RequestReference> {
  const tenant = readRequiredHeader(headers, Header.tenant);
  if (!tenant.ok) return tenant;
  const requestId = readRequiredHeader(headers, Header.requestId);
  if (!requestId.ok) return requestId;
  const attempt = readDispatchAttempt(headers);
  if (!attempt.ok) return attempt;
  const token = readDispatchToken(headers);
  if (!token.ok) return token;
  const reference: RequestReference = { tenant: tenant.value, requestId: requestId.value };
  if (attempt.value !== undefined) reference.dispatchAttempt = attempt.value;
  if (token.value !== undefined) reference.dispatchToken = token.value;
  return parsed(reference);
}
