import * as z from 'zod';
import { MAX_HISTORY_BYTES, MAX_HISTORY_ENTRY_MESSAGES, MAX_HISTORY_MESSAGE_LENGTH } from '../../contract/limits.js';
import { DispatchTokenSchema } from '../../contract/request-reference.js';
import { HistoryEntrySchema, type HistoryEntry } from '../../contract/request-history.js';
import { RequestStatusSchema } from '../../contract/status.js';
import { truncateTexts } from '../../contract/truncate.js';

// The history entry is the admin API's too: its clients type themselves from the contract.
export { HistoryEntrySchema, type HistoryEntry } from '../../contract/request-history.js';

/** History is bounded so a request that bounces forever cannot outgrow a DynamoDB item. */
export const MAX_HISTORY_ENTRIES = 50;

export const RequestSchema = z.object({
  tenant: z.string().min(1),
  requestId: z.string().min(1),
  /** Numeric id the REGARDS REST API exposes as `LightRequest.id`; derived from tenant + request id. */
  id: z.number().int().nonnegative(),
  contentType: z.string().min(1),
  /** The `regards.request.owner` header; REGARDS calls it source in its REST API. */
  source: z.string().min(1),
  session: z.string().min(1),
  creationDate: z.iso.datetime(),
  status: RequestStatusSchema,
  statusDate: z.iso.datetime(),
  /** Input of the current step: the client body at step one, the previous step's output after. */
  content: z.instanceof(Uint8Array),
  /** The client body, kept only once a workflow step has replaced `content`. */
  originalContent: z.instanceof(Uint8Array).nullable(),
  /**
   * Set when a step output replaced `content` and the client body did not fit next to it: null
   * `originalContent` then no longer means "`content` is the client body", and a restart from the
   * first step is refused.
   */
  originalContentDropped: z.literal(true).optional(),
  /** Headers returned by the previous workflow step, forwarded to the next worker. */
  additionalHeaders: z.record(z.string(), z.string()),
  /** Current workflow step (null for a plain worker request). */
  stepNumber: z.number().int().nonnegative().nullable(),
  /** Worker type the request is routed to at its current step (null when unrouted). */
  stepWorkerType: z.string().nullable(),
  dispatchedWorkerType: z.string().nullable(),
  /**
   * Fencing token: incremented at every dispatch, sent with the work item and echoed by workers,
   * so an answer from an older dispatch is recognised and never applied.
   */
  attempt: z.number().int().nonnegative(),
  /**
   * Drawn anew at every dispatch and sent with the work item: an answer carrying another token was
   * not sent by whoever received this dispatch and is never applied. Absent on requests never
   * dispatched, or last dispatched before tokens existed.
   */
  dispatchToken: DispatchTokenSchema.optional(),
  /** Dispatches of the current step since it was last started by a client, a step advance or an operator. */
  stepAttempts: z.number().int().nonnegative(),
  error: z.string().nullable(),
  /** When the sweeper must look at the request again (time-out, retry due, re-check); null when finished. */
  deadline: z.iso.datetime().nullable(),
  history: z.array(HistoryEntrySchema).max(MAX_HISTORY_ENTRIES),
  /** Optimistic-concurrency version: every write is conditional on the version it read. */
  version: z.number().int().nonnegative(),
  /** Hash of the client message, to tell a broker redelivery from a new message reusing an id. */
  fingerprint: z.string().min(1),
  /**
   * Set on a finished request that is kept (success retention, keepErrors) until the broker has
   * confirmed its final answer. Meanwhile the row carries a short deadline, so that if the answer
   * never went out the sweeper sends it again; once confirmed the row takes its kept deadline.
   */
  answerUnconfirmed: z.literal(true).optional(),
  /** The client's AMQP priority (0 to 255), carried to every work item of the request. */
  priority: z.number().int().min(0).max(255).optional(),
  /**
   * Set while a TO_DISPATCH request waits for a slot of its worker type (README, "Fair dispatch"):
   * it is listed in its tenant's slot queue, highest priority first, until a slot frees.
   */
  waitingForSlot: z.literal(true).optional(),
});
export type Request = z.infer<typeof RequestSchema>;

/** The history message of a step advance that could not keep the client's body. */
export const ORIGINAL_DROPPED_MESSAGE = 'original content dropped: too large to keep next to the step output';

/**
 * The client's body as it arrived, or undefined when it was dropped to make room for a step
 * output (rows written before `originalContentDropped` existed say so only in their history).
 */
export function clientBody(request: Pick<Request, 'content' | 'originalContent' | 'originalContentDropped' | 'history'>): Request['content'] | undefined {
  if (request.originalContent !== null) return request.originalContent;
  const dropped = request.originalContentDropped === true || request.history.some((entry) => entry.messages.includes(ORIGINAL_DROPPED_MESSAGE));
  return dropped ? undefined : request.content;
}

const encoder = new TextEncoder();

function entryBytes(entry: HistoryEntry): number {
  return encoder.encode(JSON.stringify(entry)).length;
}

/**
 * Appends to the history, its texts cut to their limits, dropping the oldest entries beyond the
 * count or the byte budget. The one place history grows, so however many answers, retries and
 * ignored events a request sees, its item keeps room under DynamoDB's 400 KB.
 */
export function appendHistory(history: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  const bounded = { ...entry, messages: truncateTexts(entry.messages, MAX_HISTORY_ENTRY_MESSAGES, MAX_HISTORY_MESSAGE_LENGTH) };
  const kept = [bounded];
  let bytes = entryBytes(bounded);
  for (let index = history.length - 1; index >= 0 && kept.length < MAX_HISTORY_ENTRIES; index -= 1) {
    const older = history[index] as HistoryEntry;
    bytes += entryBytes(older);
    if (bytes > MAX_HISTORY_BYTES) break;
    kept.push(older);
  }
  return kept.reverse();
}

/** The FNV-1a 64-bit offset basis, as its high and low 32-bit halves. */
const FNV_OFFSET_HI = 0xcbf29ce4;
const FNV_OFFSET_LO = 0x84222325;
/** The 64-bit FNV prime is 2^40 + 0x1b3: multiplying by it is a shift by 40 plus a small product. */
const FNV_PRIME_LOW = 0x1b3;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * FNV-1a, 64 bits: a stable, dependency-free hash (not a security boundary). Computed on two
 * 32-bit halves rather than on a BigInt per byte, which made hashing a request body (it runs on
 * every client message, up to 256 KB) one of intake's hottest functions; the values are the same.
 */
export function fnv1a64(parts: readonly (string | Uint8Array)[]): bigint {
  const encoder = new TextEncoder();
  let hi = FNV_OFFSET_HI;
  let lo = FNV_OFFSET_LO;
  for (const part of parts) {
    const bytes = typeof part === 'string' ? encoder.encode(part) : part;
    // A separator byte (index === length) so ("ab","c") and ("a","bc") differ.
    for (let index = 0; index <= bytes.length; index += 1) {
      lo = (lo ^ (index < bytes.length ? (bytes[index] as number) : 0xff)) >>> 0;
      // (hi, lo) × (2^40 + 0x1b3) mod 2^64: the low product carries into the high half, and the
      // 2^40 term moves lo's low 24 bits to the top of the high half.
      const low = lo * FNV_PRIME_LOW;
      hi = (Math.imul(hi, FNV_PRIME_LOW) + Math.floor(low / TWO_POW_32) + (lo << 8)) >>> 0;
      lo = low >>> 0;
    }
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** A 53-bit id, safe as a JSON number, stable for a tenant and request id (replays get the same id). */
export function numericRequestId(tenant: string, requestId: string): number {
  return Number(fnv1a64([tenant, requestId]) >> 11n);
}

export function messageFingerprint(headers: readonly string[], body: Uint8Array): string {
  return fnv1a64([...headers, body])
    .toString(16)
    .padStart(16, '0');
}
