import type { Request } from '../domain/request/request.js';
import { AppError, type AppErrorOptions } from '../kernel/errors.js';
import type { RequestSearch, RequestSummary } from '../domain/request/request-search.js';

// use case --> (port) --> adapters/dynamodb | adapters/memory

export type InsertOutcome =
  | { requestId: string; inserted: true }
  | { requestId: string; inserted: false; existing: Request }
  /**
   * A redelivered message whose request already finished and was removed: the store still holds
   * its trace (see deleteAll) with this message's fingerprint. It was handled; nothing is stored.
   */
  | { requestId: string; inserted: false; finished: { fingerprint: string } }
  /** The store refused this one item (see StoreValidationError); the others of the call went on. */
  | { requestId: string; inserted: false; refused: StoreValidationError };

/**
 * How long a removed request leaves its trace: longer than the longest redelivery of an intake
 * batch. A batch comes back at most `deliveryLimit` times (100 at most) after an invocation that
 * timed out (840 s at most on AWS, 60 s by default), so 100 × 840 s = 23.3 h; the default 5 × 60 s
 * is five minutes. A replay after that (a classic input queue, which counts no deliveries, or a
 * message kept in a dead-letter queue and redriven) runs the request again.
 */
export const FINISHED_TRACE_SECONDS = 24 * 3600;

export interface InsertOptions {
  /**
   * Whether each request's message (same order) is a redelivery: only a redelivery is recognised
   * as a replay of a finished request, by its trace. Absent: none is.
   */
  redelivered?: readonly boolean[];
}

/** An update is the request as read and the request as it must become; the store writes the difference. */
export interface RequestUpdate {
  previous: Request;
  next: Request;
}

export type WriteOutcome =
  | { requestId: string; written: true }
  | { requestId: string; written: false; reason: 'conflict' }
  /** The store refused this one item: writing it again fails the same way, so it is the item's failure, not the call's. */
  | { requestId: string; written: false; reason: 'refused'; error: StoreValidationError };

export interface PageQuery {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** Opaque; absent on the last page. */
  cursor?: string | undefined;
}

/** A request found through an index: enough to load it and to know why it was listed. */
export interface RequestKey {
  tenant: string;
  requestId: string;
}

export abstract class RequestStore {
  /**
   * Store queries one page of listWaiting or listDue costs (an index spread over shards is read
   * shard by shard): what the sweeper's query budget counts.
   */
  public get queriesPerListing(): number {
    return 1;
  }

  /**
   * Stores each request unless its tenant + request id exists; returns the existing one then. An
   * id that only has a trace (its request finished) is free again, save for a redelivery whose
   * fingerprint is the trace's: that one is the replay of the finished request (`finished`).
   * Of several calls racing to store one id, one wins; the others get `existing`.
   */
  public abstract insertAll(requests: readonly Request[], options?: InsertOptions): Promise<InsertOutcome[]>;

  public abstract getAll(tenant: string, requestIds: readonly string[]): Promise<Map<string, Request>>;

  /**
   * Writes each update only if the stored version is still `previous.version`; `next.version`
   * must be `previous.version + 1`. A lost race or an item the store refuses is reported, never
   * thrown, so a batch goes on; only a failure of the store itself throws.
   */
  public abstract updateAll(updates: readonly RequestUpdate[]): Promise<WriteOutcome[]>;

  /**
   * Removes each request only if the stored version is still the given one. Every reader but
   * insertAll sees it gone at once; the store keeps a trace of its id and fingerprint for
   * FINISHED_TRACE_SECONDS, so that a replay of its intake is not taken for a new request (a
   * finished row is removed seconds after its final answer, and the intake batch may come back
   * after that). The trace costs what the delete did (see the DynamoDB store).
   */
  public abstract deleteAll(requests: readonly Request[]): Promise<WriteOutcome[]>;

  /** NO_WORKER_AVAILABLE requests of a tenant routed to a worker type (null: not routed at all), oldest first. */
  public abstract listWaiting(tenant: string, workerType: string | null, page: PageQuery): Promise<Page<RequestKey>>;

  /**
   * TO_DISPATCH requests of a tenant waiting for a slot of a worker type (fair dispatch): highest
   * client priority first, then oldest. An index query (sharded like the others), never a scan.
   */
  public abstract listSlotQueue(tenant: string, workerType: string, page: PageQuery): Promise<Page<RequestKey>>;

  /**
   * How many requests of its tenant's slot queue come before `request` (which waits for a slot),
   * counted up to `cap`: `exact` is false when there are more (a bounded index count, no scan).
   */
  public abstract countAheadInSlotQueue(request: Request, cap: number): Promise<{ ahead: number; exact: boolean }>;

  /**
   * Requests of a tenant whose deadline is at or before `now`, earliest first. The listing may
   * also hold requests whose deadline has since moved later (a store may keep an index entry at
   * an earlier deadline rather than move it, see refreshDue): the caller reads each one again.
   */
  public abstract listDue(tenant: string, now: Date, page: PageQuery): Promise<Page<RequestKey>>;

  /**
   * Moves each request's due-listing entry to its current deadline. A store may leave the entry
   * at an earlier deadline when a write moves the deadline later (an early entry never misses a
   * deadline, and a worker's RUNNING then costs no index write); the sweeper calls this for the
   * requests it listed before their deadline, so they are not listed again until it comes.
   */
  public abstract refreshDue(requests: readonly Request[]): Promise<void>;

  /**
   * A page of a tenant's requests matching the search, in creation order, from the status index:
   * never a table scan. Filters the index cannot apply are checked on the entries it returns, and
   * at most `maxExamined` entries are read per call, so a page may hold fewer than `limit` items
   * and still carry a cursor: the work per call is bounded however selective the filter is.
   */
  public abstract search(tenant: string, search: RequestSearch, page: SearchPageQuery): Promise<Page<RequestSummary>>;
}

export interface SearchPageQuery extends PageQuery {
  /** Index entries read by this call at most; default DEFAULT_MAX_EXAMINED. */
  maxExamined?: number | undefined;
}

/** Index entries one search call reads by default: a few hundred KB of projected entries. */
export const DEFAULT_MAX_EXAMINED = 2_000;

/** A failure of the store itself, never of the caller's request. */
export abstract class StoreError extends AppError {
  protected constructor(message: string, options: AppErrorOptions = {}) {
    super(message, options);
  }
}

/** The store cannot be used now (unreachable, throttled past the retries, table missing): 503, try again. */
export class StoreUnavailableError extends StoreError {
  public override readonly name = 'StoreUnavailableError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, statusCode: 503 });
  }
}

/**
 * The store refused what it was asked to write or read (DynamoDB's ValidationException: a key
 * attribute or an item over its size limit, a malformed expression). Retrying cannot help. Every
 * size is limited at the door, so reaching this is our bug, not the caller's input: a 500 on
 * REST; on the message paths the writes report it per item (WriteOutcome 'refused') so that it
 * costs only the message it came from.
 */
export class StoreValidationError extends StoreError {
  public override readonly name = 'StoreValidationError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
