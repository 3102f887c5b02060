import * as z from 'zod';
import { RequestSchema, type Request } from '../../domain/request/request.js';
import { slotQueueOrder } from '../../domain/request/fair-share.js';
import { bodyAttributes, BODY_FIELDS, isBodyField, readBody } from './body-codec.js';
import { slotWaitedFor } from '../../domain/request/slot-wait.js';
import { keyPart, RequestKeys, shardOf } from './keys.js';
import { itemKey, parseStoredItem } from './stored-item.js';
import { TABLE_DEFINITION, type IndexDefinition } from './table-definition.js';

/*
 * The layout of a request item, without the SDK (the memory store orders its listings with the
 * same sort keys, so both stores page in the same order):
 *
 *   pk, sk                 RequestKeys.primary
 *   every Request field    history as a list of maps, nulls as NULL, unset optional fields (dispatchToken
 *                          before the first dispatch) absent
 *   content, originalContent   Binary, deflated or not (body-codec.ts); a null originalContent absent
 *   gsi1pk, gsi1sk         always: byStatus(tenant, status, shard) / byCreation
 *   gsi2pk, gsi2sk         only while NO_WORKER_AVAILABLE: waiting(tenant, stepWorkerType, shard) / byCreation,
 *                          or while TO_DISPATCH waiting for a slot: slotQueue(tenant, stepWorkerType, shard) / slotQueueSortKey
 *   gsi3pk, gsi3sk         only while deadline is set: due(tenant, shard) / byDeadline
 *
 * Once a request is removed (RequestStore.deleteAll), its item becomes a trace until the table's
 * TTL deletes it: pk, sk, fingerprint, `trace` (when it was left) and `ttl` (epoch seconds), no
 * index attribute, so no index lists it. Only an insert reads a trace; every other reader skips it.
 *
 * Dates inside sort keys are re-serialised with toISOString: the schema accepts any ISO precision
 * ("…00Z" and "…00.000Z"), and those do not sort as the instants they denote.
 */

export { CorruptItemError } from './stored-item.js';

function indexNamed(name: string): IndexDefinition {
  const index = TABLE_DEFINITION.indexes.find((candidate) => candidate.name === name);
  if (index === undefined) throw new Error(`table definition has no index ${name}`);
  return index;
}

export const BY_STATUS_INDEX = indexNamed('by-status');
export const WAITING_INDEX = indexNamed('waiting');
export const DUE_INDEX = indexNamed('due');

export const REQUEST_FIELDS = Object.keys(RequestSchema.shape) as (keyof Request)[];

/** The same instant, in the one fixed-width form that sorts as time does. */
export function instant(iso: string): string {
  return new Date(iso).toISOString();
}

/** DynamoDB orders string keys by their UTF-8 bytes, which is not JS string order beyond the BMP. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function waitingSortKey(request: Request): string {
  return RequestKeys.byCreation(instant(request.creationDate), request.requestId);
}

/** Inverted priority first, so the highest priority lists first, then creation order (see slotQueueOrder). */
export function slotQueueSortKey(request: Request): string {
  return `${slotQueueOrder(request.priority, instant(request.creationDate))}#${keyPart(request.requestId)}`;
}

/** The worker type whose slot queue lists the request, if it waits for a slot. */
export function slotQueueOf(request: Request): string | undefined {
  return slotWaitedFor(request);
}

export function dueSortKey(request: Request & { deadline: string }): string {
  return RequestKeys.byDeadline(instant(request.deadline), request.requestId);
}

/** Upper bound (exclusive) of the due sort keys at or before `now`: '$' is the character after the '#' separator. */
export function dueBound(now: Date): string {
  return `${now.toISOString()}$`;
}

/** The index attributes a request carries; absent ones are not set (the item leaves that index). */
export function indexAttributes(request: Request): Record<string, string> {
  const shard = shardOf(request.requestId);
  const creation = waitingSortKey(request);
  const attributes: Record<string, string> = {
    [BY_STATUS_INDEX.partitionKey]: RequestKeys.byStatus(request.tenant, request.status, shard),
    [BY_STATUS_INDEX.sortKey]: creation,
  };
  if (request.status === 'NO_WORKER_AVAILABLE') {
    attributes[WAITING_INDEX.partitionKey] = RequestKeys.waiting(request.tenant, request.stepWorkerType, shard);
    attributes[WAITING_INDEX.sortKey] = creation;
  }
  const slotQueue = slotQueueOf(request);
  if (slotQueue !== undefined) {
    attributes[WAITING_INDEX.partitionKey] = RequestKeys.slotQueue(request.tenant, slotQueue, shard);
    attributes[WAITING_INDEX.sortKey] = slotQueueSortKey(request);
  }
  if (request.deadline !== null) {
    attributes[DUE_INDEX.partitionKey] = RequestKeys.due(request.tenant, shard);
    attributes[DUE_INDEX.sortKey] = dueSortKey({ ...request, deadline: request.deadline });
  }
  return attributes;
}

/**
 * The whole item of a request. Only schema fields are copied, so a caller's extra properties never
 * reach the table; optional fields left unset are not written (an update then REMOVEs them), and an
 * item written before such a field existed still loads. `plainBodies` leaves the bodies as they
 * are, under their own names (what an update compares, so it deflates only a body that changed).
 */
export function requestToItem(request: Request, options: { plainBodies?: boolean } = {}): Record<string, unknown> {
  const item: Record<string, unknown> = { ...RequestKeys.primary(request.tenant, request.requestId) };
  for (const name of REQUEST_FIELDS) {
    if (request[name] === undefined) continue;
    if (isBodyField(name) && options.plainBodies !== true) Object.assign(item, bodyAttributes(name, request[name]));
    else item[name] = request[name];
  }
  return { ...item, ...indexAttributes(request) };
}

export function requestFromItem(item: Record<string, unknown>): Request {
  const key = () => itemKey(item);
  const fields: Record<string, unknown> = {};
  for (const name of REQUEST_FIELDS) if (name in item && !isBodyField(name)) fields[name] = item[name];
  for (const name of BODY_FIELDS) {
    const body = readBody(item, name, key);
    if (body !== undefined) fields[name] = body;
  }
  return parseStoredItem(RequestSchema, fields, key, 'request');
}

/** The attribute that marks a trace; a request item never has it. */
export const TRACE_ATTRIBUTE = 'trace';

/** What a removed request leaves. */
export interface RequestTrace {
  fingerprint: string;
}

const TraceItemSchema = z.object({ fingerprint: z.string().min(1) });

/** The trace of a removed request, kept `retentionSeconds` from `now` (see the layout above). */
export function traceItem(request: Request, now: Date, retentionSeconds: number): Record<string, unknown> {
  return {
    ...RequestKeys.primary(request.tenant, request.requestId),
    fingerprint: request.fingerprint,
    [TRACE_ATTRIBUTE]: now.toISOString(),
    [TABLE_DEFINITION.timeToLiveAttribute]: Math.ceil(now.getTime() / 1000) + retentionSeconds,
  };
}

/** A stored item of a request's key: the request, or the trace it left. */
export function storedRequestFromItem(item: Record<string, unknown>): { request: Request } | { trace: RequestTrace } {
  if (item[TRACE_ATTRIBUTE] !== undefined) return { trace: parseStoredItem(TraceItemSchema, item, () => itemKey(item), 'request trace') };
  return { request: requestFromItem(item) };
}

/** Deep equality over what an item can hold: primitives, null, binaries, lists and maps. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((value, i) => sameValue(value, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    const keys = Object.keys(left).filter((key) => left[key] !== undefined);
    const otherKeys = Object.keys(right).filter((key) => right[key] !== undefined);
    return keys.length === otherKeys.length && keys.every((key) => sameValue(left[key], right[key]));
  }
  return false;
}

/** Checks an update is one step of one request; a violation is a caller bug, not a race. */
export function checkUpdate(previous: Request, next: Request): void {
  if (previous.tenant !== next.tenant || previous.requestId !== next.requestId) {
    throw new Error(`an update cannot change the request's identity (${previous.tenant}/${previous.requestId} → ${next.tenant}/${next.requestId})`);
  }
  if (next.version !== previous.version + 1) {
    throw new Error(`update of ${next.tenant}/${next.requestId} must bump the version by one (${previous.version} → ${next.version})`);
  }
}
