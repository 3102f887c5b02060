import * as z from 'zod';
import type { OutboundMessage } from './outbound-message.js';
import { BytesSchema } from './base64.js';
import { ContractError } from './contract-error.js';
import { Header, isReservedHeader, type Headers } from './headers.js';
import { describeZodError, parsed, type ParseResult } from './parse-result.js';
import { DispatchTokenSchema, readDispatchAttempt, readDispatchToken, readRequiredHeader } from './request-reference.js';
import { workerRequestName, type WireNames } from './wire-names.js';

/* The message a worker consumes (reference 3.5): the request's bytes, addressed by headers. */

/**
 * REGARDS sends every work item with priority 0, below its events. Ours carries the client's own
 * AMQP priority when it gave one (the worker queues are declared with x-max-priority 255), so an
 * urgent request overtakes a backlog; without one it is 0, as in REGARDS.
 */
export const WORK_ITEM_PRIORITY = 0;

const requiredText = z.string().trim().min(1);

export const WorkItemSchema = z.object({
  tenant: requiredText,
  requestId: requiredText,
  owner: requiredText,
  session: requiredText,
  /** The ORIGINAL request content type: for a workflow, the workflow type at every step. */
  contentType: requiredText,
  dispatchAttempt: z.int().nonnegative(),
  /** Absent only for a request dispatched before tokens existed. */
  dispatchToken: DispatchTokenSchema.optional(),
  /** Headers a previous workflow step returned; reserved names among them are dropped. */
  additionalHeaders: z.record(z.string(), z.string()).default({}),
  body: BytesSchema,
  /** The client's AMQP priority, 0 to 255; WORK_ITEM_PRIORITY when absent. */
  priority: z.int().min(0).max(255).optional(),
});
export type WorkItem = z.input<typeof WorkItemSchema>;

export interface SplitHeaders {
  kept: Record<string, string>;
  /** Reserved names a worker tried to set; returned so the caller can log them. */
  dropped: string[];
}

/**
 * REGARDS applies a step's additional headers last, so a worker could rewrite the tenant or the
 * request id of the next step's work item. Ours never override a reserved header.
 */
export function splitAdditionalHeaders(additional: Readonly<Record<string, string>>): SplitHeaders {
  const kept: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(additional)) {
    if (isReservedHeader(name)) dropped.push(name);
    else kept[name] = value;
  }
  return { kept, dropped };
}

export function buildWorkItem(names: WireNames, workerType: string, item: WorkItem): OutboundMessage {
  const checked = WorkItemSchema.safeParse(item);
  if (!checked.success) throw new ContractError(`invalid work item: ${describeZodError(checked.error, item)}`, { cause: checked.error });
  if (workerType.trim() === '') throw new ContractError('a work item needs a worker type to be addressed to');
  const work = checked.data;
  const exchange = workerRequestName(names, workerType);
  return {
    exchange,
    routingKey: names.workerRoutingKey,
    headers: {
      ...splitAdditionalHeaders(work.additionalHeaders).kept,
      [Header.tenant]: work.tenant,
      [Header.requestId]: work.requestId,
      [Header.owner]: work.owner,
      [Header.session]: work.session,
      [Header.contentType]: work.contentType,
      [Header.dispatchAttempt]: work.dispatchAttempt,
      ...(work.dispatchToken === undefined ? {} : { [Header.dispatchToken]: work.dispatchToken }),
    },
    body: work.body,
    properties: { contentType: 'application/json', priority: work.priority ?? WORK_ITEM_PRIORITY, appId: names.appId, persistent: true },
  };
}

/** A work item's headers as a worker (or the dead-letter handler) reads them back. */
export interface WorkItemHeaders {
  tenant: string;
  requestId: string;
  owner: string;
  session: string;
  contentType: string;
  /** Absent on work items sent by a REGARDS manager. */
  dispatchAttempt?: number;
  /** Absent on work items sent by a REGARDS manager. */
  dispatchToken?: string;
  /** The non-reserved text headers, i.e. what the previous workflow step added. */
  additionalHeaders: Record<string, string>;
}

export function readWorkItemHeaders(headers: Headers): ParseResult<WorkItemHeaders> {
  const read = (name: string) => readRequiredHeader(headers, name);
  const tenant = read(Header.tenant);
  if (!tenant.ok) return tenant;
  const requestId = read(Header.requestId);
  if (!requestId.ok) return requestId;
  const owner = read(Header.owner);
  if (!owner.ok) return owner;
  const session = read(Header.session);
  if (!session.ok) return session;
  const contentType = read(Header.contentType);
  if (!contentType.ok) return contentType;
  const attempt = readDispatchAttempt(headers);
  if (!attempt.ok) return attempt;
  const token = readDispatchToken(headers);
  if (!token.ok) return token;
  const additionalHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!isReservedHeader(name) && typeof value === 'string') additionalHeaders[name] = value;
  }
  return parsed({
    tenant: tenant.value,
    requestId: requestId.value,
    owner: owner.value,
    session: session.value,
    contentType: contentType.value,
    ...(attempt.value === undefined ? {} : { dispatchAttempt: attempt.value }),
    ...(token.value === undefined ? {} : { dispatchToken: token.value }),
    additionalHeaders,
  });
}
