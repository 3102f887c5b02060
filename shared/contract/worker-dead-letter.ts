import * as z from 'zod';
import { Header, headerString, readHeaderText, type Headers } from './headers.js';
import { parsed, type ParseResult } from './parse-result.js';
import { readRequestReference, type RequestReference } from './request-reference.js';

/*
 * A work item dead-lettered to the worker DLQ (reference 3.8): a worker rejected it, it expired, or
 * a queue limit dropped it. Only the headers matter; the body is the work item's and is not read.
 */

/** The reference's text when a dead letter says nothing about why. */
export const UNKNOWN_WORKER_ERROR = 'Unknown error from worker';

/** Set by RabbitMQ next to x-death (3.8+ and 3.13+); used when x-death itself is absent. */
const LAST_DEATH_REASON = 'x-last-death-reason';
const LAST_DEATH_QUEUE = 'x-last-death-queue';
const FIRST_DEATH_REASON = 'x-first-death-reason';
const FIRST_DEATH_QUEUE = 'x-first-death-queue';

/** One table of RabbitMQ's `x-death` header; the broker puts the most recent death first. */
export const XDeathEntrySchema = z.object({
  reason: z.string().min(1),
  queue: z.string().min(1),
  count: z.number().int().nonnegative().optional(),
  exchange: z.string().optional(),
  'routing-keys': z.array(z.string()).optional(),
});
export type XDeathEntry = z.infer<typeof XDeathEntrySchema>;

export type DeadLetterReasonSource = 'stacktrace' | 'x-death' | 'default';

export interface WorkerDeadLetter extends RequestReference {
  /** The error recorded on the request. */
  reason: string;
  reasonSource: DeadLetterReasonSource;
  deaths: XDeathEntry[];
}

/**
 * Broker-written and only informative, so a malformed x-death is skipped entry by entry: refusing
 * the dead letter for it would leave the request waiting on a work item that will never run.
 */
export function readXDeath(headers: Headers): XDeathEntry[] {
  const raw = headers[Header.death];
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry) => {
    const checked = XDeathEntrySchema.safeParse(entry);
    return checked.success ? [checked.data] : [];
  });
}

export function describeDeath(death: Pick<XDeathEntry, 'reason' | 'queue' | 'count'>): string {
  const queue = `<${death.queue}>`;
  const times = death.count !== undefined && death.count > 1 ? ` (dead-lettered ${death.count} times)` : '';
  switch (death.reason) {
    case 'rejected':
      return `Work item rejected by a worker of queue ${queue}${times}`;
    case 'expired':
      return `Work item expired in queue ${queue} before a worker took it${times}`;
    case 'maxlen':
      return `Work item dropped by queue ${queue}, which reached its maximum length${times}`;
    case 'delivery_limit':
      return `Work item dead-lettered by queue ${queue} after reaching its delivery limit${times}`;
    default:
      return `Work item dead-lettered by queue ${queue} (reason: ${death.reason})${times}`;
  }
}

function deathFromSummaryHeaders(headers: Headers): Pick<XDeathEntry, 'reason' | 'queue'> | undefined {
  for (const [reasonHeader, queueHeader] of [
    [LAST_DEATH_REASON, LAST_DEATH_QUEUE],
    [FIRST_DEATH_REASON, FIRST_DEATH_QUEUE],
  ] as const) {
    const reason = headerString(headers, reasonHeader);
    const queue = headerString(headers, queueHeader);
    if (reason !== undefined && queue !== undefined) return { reason, queue };
  }
  return undefined;
}

export function parseWorkerDeadLetter(headers: Headers): ParseResult<WorkerDeadLetter> {
  const reference = readRequestReference(headers);
  if (!reference.ok) return reference;
  const deaths = readXDeath(headers);
  const stacktrace = readHeaderText(headers, Header.exceptionStacktrace);
  const death = deaths[0] ?? deathFromSummaryHeaders(headers);
  const [reason, reasonSource]: [string, DeadLetterReasonSource] =
    stacktrace.kind === 'text' ? [stacktrace.value, 'stacktrace'] : death !== undefined ? [describeDeath(death), 'x-death'] : [UNKNOWN_WORKER_ERROR, 'default'];
  return parsed({ ...reference.value, reason, reasonSource, deaths });
}
