import type {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { retry, type BackoffPolicy } from '../../kernel/backoff.js';
import { AppError, describeError } from '../../kernel/errors.js';
import { StoreUnavailableError, StoreValidationError } from '../../ports/request-store.js';

/*
 * Every DynamoDB call goes through storeCall, which sorts a failure into one of four kinds
 * (ARCHITECTURE §4: the message's fault vs transient vs unknown):
 *
 *   outcome     ConditionalCheckFailedException: someone else wrote first; left as it is for
 *               conditionalCall (and the registry) to turn into 'conflict'.
 *   validation  ValidationException (a key attribute over 2 KB, an item over 400 KB, a malformed
 *               expression): the same call fails the same way again. StoreValidationError.
 *   transient   throttling, a 5xx, a dropped connection: retried here with the kernel's backoff
 *               (on top of the SDK's own attempts), then StoreUnavailableError.
 *   unavailable anything else (missing table, denied credentials, an error we do not know):
 *               StoreUnavailableError at once, with the cause, so the batch is redelivered.
 *
 * Errors are recognised by the SDK's own names and metadata ($retryable, $fault, HTTP status),
 * never by their messages.
 */

type ThrottlingName = ProvisionedThroughputExceededException['name'] | ThrottlingException['name'] | RequestLimitExceeded['name'];
const THROTTLING_NAMES: ReadonlySet<string> = new Set<ThrottlingName>([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/** The SDK's names for a call that timed out or a server fault it does not model per operation. */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'InternalServerError' satisfies InternalServerError['name'],
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
]);

const CONDITIONAL_CHECK_FAILED: ConditionalCheckFailedException['name'] = 'ConditionalCheckFailedException';
/** Not modelled as a class by the SDK: DynamoDB answers it as an unmodelled 400. */
const VALIDATION_EXCEPTION = 'ValidationException';
const RESOURCE_NOT_FOUND: ResourceNotFoundException['name'] = 'ResourceNotFoundException';

/** Socket-level codes Node puts on connection failures. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** What the SDK puts on the errors it throws; every field optional, since a network error has none. */
type SdkErrorMetadata = Partial<Pick<DynamoDBServiceException, '$fault' | '$retryable' | '$metadata'>> & { code?: unknown };

export type StoreFailure = 'outcome' | 'validation' | 'transient' | 'unavailable';

export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === CONDITIONAL_CHECK_FAILED;
}

function isTransient(error: Error): boolean {
  if (THROTTLING_NAMES.has(error.name) || TRANSIENT_NAMES.has(error.name)) return true;
  const metadata = error as SdkErrorMetadata;
  if (metadata.$retryable !== undefined || metadata.$fault === 'server') return true;
  if ((metadata.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  if (typeof metadata.code === 'string' && NETWORK_CODES.has(metadata.code)) return true;
  // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
  if (error instanceof AggregateError) return error.errors.some((inner) => inner instanceof Error && isTransient(inner));
  return error.cause instanceof Error && isTransient(error.cause);
}

/** Which kind of failure `error` is (see the comment at the top of this file). */
export function classifyStoreError(error: unknown): StoreFailure {
  if (!(error instanceof Error)) return 'unavailable';
  if (error.name === CONDITIONAL_CHECK_FAILED) return 'outcome';
  if (error.name === VALIDATION_EXCEPTION) return 'validation';
  if (error.name === RESOURCE_NOT_FOUND) return 'unavailable';
  return isTransient(error) ? 'transient' : 'unavailable';
}

/**
 * The error a store call ends with: ours (an AppError, e.g. CorruptItemError) and a failed
 * condition as they are, a ValidationException as StoreValidationError, anything else as
 * StoreUnavailableError; the SDK's error is the cause.
 */
export function translateStoreError(error: unknown, operation: string): unknown {
  if (error instanceof AppError) return error;
  const kind = classifyStoreError(error);
  if (kind === 'outcome') return error;
  const message = `DynamoDB ${operation} failed: ${describeError(error)}`;
  return kind === 'validation' ? new StoreValidationError(message, { cause: error }) : new StoreUnavailableError(message, { cause: error });
}

export interface StoreCallOptions {
  /** Attempts in all for a transient failure, the first included (each one is itself up to the SDK's maxAttempts). */
  maxAttempts?: number;
  policy?: BackoffPolicy;
}

export const STORE_CALL_ATTEMPTS = 3;
export const STORE_CALL_BACKOFF: BackoffPolicy = { initialDelayMs: 50, maxDelayMs: 1_000, factor: 2, jitter: 0.5 };

/** Awaits one store call (or one whole paginated read), retrying a transient failure, translating the last one. */
export async function storeCall<T>(operation: string, call: () => Promise<T>, options: StoreCallOptions = {}): Promise<T> {
  try {
    return await retry(() => call(), {
      maxAttempts: options.maxAttempts ?? STORE_CALL_ATTEMPTS,
      policy: options.policy ?? STORE_CALL_BACKOFF,
      retryable: (error) => !(error instanceof AppError) && classifyStoreError(error) === 'transient',
    });
  } catch (error) {
    throw translateStoreError(error, operation);
  }
}

/** A conditional write: a failed condition is an outcome (someone else wrote first), not an error. */
export async function conditionalCall(operation: string, call: () => Promise<unknown>, options: StoreCallOptions = {}): Promise<'written' | 'conflict'> {
  try {
    await storeCall(operation, call, options);
    return 'written';
  } catch (error) {
    if (isConditionalCheckFailed(error)) return 'conflict';
    throw error;
  }
}

/** How one item's conditional write ended, when a refused item must not fail its neighbours. */
export type ItemWriteResult = 'written' | 'conflict' | StoreValidationError;

/**
 * A conditional write of one item among many: the store refusing this item (a ValidationException)
 * is returned as that item's result instead of thrown, so the rest of the batch goes on. Transient
 * and unknown failures still throw: they are the store's, not the item's.
 */
export async function conditionalItemCall(operation: string, call: () => Promise<unknown>, options: StoreCallOptions = {}): Promise<ItemWriteResult> {
  try {
    return await conditionalCall(operation, call, options);
  } catch (error) {
    if (error instanceof StoreValidationError) return error;
    throw error;
  }
}
