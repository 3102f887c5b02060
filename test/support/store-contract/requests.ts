import { randomUUID } from 'node:crypto';
import { numericRequestId, type Request } from '../../../shared/domain/request/request.js';

/** A tenant name no other test uses, so tests can share one table. */
export function uniqueTenant(label = 'tenant'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

const BASE_DATE = Date.parse('2026-01-01T00:00:00.000Z');

/** An ISO date `seconds` after 2026-01-01T00:00:00Z. */
export function at(seconds: number): string {
  return new Date(BASE_DATE + seconds * 1000).toISOString();
}

/** A valid stored request; override what the test is about. */
export function makeRequest(tenant: string, requestId: string, overrides: Partial<Request> = {}): Request {
  return {
    tenant,
    requestId,
    id: numericRequestId(tenant, requestId),
    contentType: 'application/json',
    source: 'owner-1',
    session: 'session-1',
    creationDate: at(0),
    status: 'DISPATCHED',
    statusDate: at(0),
    content: new TextEncoder().encode(`{"request":"${requestId}"}`),
    originalContent: null,
    additionalHeaders: { 'x-custom': 'one' },
    stepNumber: null,
    stepWorkerType: 'extract',
    dispatchedWorkerType: 'extract',
    attempt: 1,
    stepAttempts: 1,
    error: null,
    deadline: null,
    history: [
      {
        at: at(0),
        event: 'dispatch',
        status: 'DISPATCHED',
        stepNumber: null,
        workerType: 'extract',
        attempt: 1,
        messages: ['granted'],
      },
    ],
    version: 0,
    fingerprint: 'fp-0001',
    ...overrides,
  };
}

/** The next version of a stored request with some fields changed, as a use case would write it. */
export function bump(previous: Request, changes: Partial<Request>): Request {
  return { ...previous, ...changes, version: previous.version + 1 };
}
