/*
 * Every size the manager accepts from the wire, in one flat list. A value past one of these is
 * never allowed to reach a store write or a publish: it is refused, truncated or turned into an
 * error where it is read, so one oversized message cannot fail the batch it arrived in.
 * Lengths are in characters; budgets marked "bytes" are UTF-8 bytes, as DynamoDB counts them.
 */

/** `regards.tenant` (reference: a 128-character column). */
export const MAX_TENANT_LENGTH = 128;
/** `regards.request.id` (reference: a 255-character column). */
export const MAX_REQUEST_ID_LENGTH = 255;
/** `wm.dispatch.token`: ours are 22 characters (128 bits, base64url); a longer one was not made by us. */
export const MAX_DISPATCH_TOKEN_LENGTH = 64;
/** One text of a worker response's `messages`; a longer one is kept truncated. */
export const MAX_WORKER_MESSAGE_LENGTH = 4096;
/** Texts in a worker response's `messages`; the rest are dropped with a note. */
export const MAX_WORKER_MESSAGES = 50;
/** Entries of a worker response's `additionalHeaders`. */
export const MAX_ADDITIONAL_HEADERS = 32;
/** One `additionalHeaders` name. */
export const MAX_ADDITIONAL_HEADER_NAME_LENGTH = 256;
/** One `additionalHeaders` value. */
export const MAX_ADDITIONAL_HEADER_VALUE_LENGTH = 4096;
/** Names and values of all `additionalHeaders` together, in bytes: they are stored and forwarded to the next step. */
export const MAX_ADDITIONAL_HEADERS_BYTES = 16 * 1024;
/** A request's stored `error`, which is also the cause quoted in the client's ERROR answer. */
export const MAX_STORED_ERROR_LENGTH = 2048;
/** Texts kept in one history entry. */
export const MAX_HISTORY_ENTRY_MESSAGES = 10;
/** One text kept in a history entry. */
export const MAX_HISTORY_MESSAGE_LENGTH = 1024;
/** The whole history of a request, in bytes of its JSON: the oldest entries go first past it. */
export const MAX_HISTORY_BYTES = 16 * 1024;
