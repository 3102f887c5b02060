import { Header, headerInteger, readHeaderText, type Headers } from './headers.js';
import { parsed, rejected, type ParseResult } from './parse-result.js';

/**
 * The headers by which a message from a worker points back at a request: worker responses, dead
 * letters and work items all carry them.
 */
export interface RequestReference {
  tenant: string;
  requestId: string;
  /** Absent when the sender does not echo it (every REGARDS worker). */
  dispatchAttempt?: number;
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

export function readRequestReference(headers: Headers): ParseResult<RequestReference> {
  const tenant = readRequiredHeader(headers, Header.tenant);
  if (!tenant.ok) return tenant;
  const requestId = readRequiredHeader(headers, Header.requestId);
  if (!requestId.ok) return requestId;
  const attempt = readDispatchAttempt(headers);
  if (!attempt.ok) return attempt;
  const reference: RequestReference = { tenant: tenant.value, requestId: requestId.value };
  if (attempt.value !== undefined) reference.dispatchAttempt = attempt.value;
  return parsed(reference);
}
