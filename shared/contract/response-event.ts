import * as z from 'zod';
import type { OutboundMessage } from './outbound-message.js';
import { ResponseStateSchema, type ResponseState } from './status.js';
import { Base64Schema, encodeBase64 } from './base64.js';
import { ContractError } from './contract-error.js';
import { Header } from './headers.js';
import { jsonBody } from './json-body.js';

/* The ResponseEvent every client receives (reference 3.4). */

export const RESPONSE_EVENT_CLASS = 'fr.cnes.regards.modules.workermanager.amqp.events.out.ResponseEvent';
/** REGARDS' converter name for Gson-serialised events. */
export const GSON_CONVERTER = 'GSON';
/** Always "EXTRACTION": kept by REGARDS for an external system that still reads it. */
export const RESPONSE_EVENT_TYPE = 'EXTRACTION';
/** REGARDS publishes every event with priority 1 (work items get 0). */
export const RESPONSE_EVENT_PRIORITY = 1;

/** The body as Gson writes it: null fields are left out, `content` is Base64. */
export const ResponseEventBodySchema = z
  .object({
    state: ResponseStateSchema,
    messages: z.array(z.string()),
    requestId: z.string().min(1),
    content: Base64Schema.optional(),
    type: z.literal(RESPONSE_EVENT_TYPE),
    requestOwner: z.string().optional(),
  })
  .refine((body) => body.content === undefined || body.state === 'SUCCESS', {
    error: 'content is only sent with state SUCCESS',
    path: ['content'],
  });
export type ResponseEventBody = z.infer<typeof ResponseEventBodySchema>;

interface ResponseEventCommon {
  tenant: string;
  requestId: string;
  /** Absent when the request came without it (SKIPPED): the header is then left out. */
  owner?: string;
  session?: string;
  /** The request's content type: the workflow type for a workflow request. */
  contentType?: string;
  /** The dispatched worker type, sent as `regards.worker_id`; absent before any dispatch. */
  workerType?: string;
  messages: readonly string[];
}

/** Only a SUCCESS carries content: the type makes any other combination unwritable. */
export type ResponseEventFields = ResponseEventCommon &
  ({ state: 'SUCCESS'; content?: Uint8Array } | { state: Exclude<ResponseState, 'SUCCESS'>; content?: never });

export interface ResponseEventTarget {
  exchange: string;
  appId: string;
  timestamp?: Date;
}

export function buildResponseEventBody(fields: ResponseEventFields): ResponseEventBody {
  // Key order follows the Java class so the JSON reads like REGARDS' own.
  return {
    state: fields.state,
    messages: [...fields.messages],
    requestId: fields.requestId,
    ...(fields.state === 'SUCCESS' && fields.content !== undefined ? { content: encodeBase64(fields.content) } : {}),
    type: RESPONSE_EVENT_TYPE,
    ...(fields.owner === undefined ? {} : { requestOwner: fields.owner }),
  };
}

function responseHeaders(fields: ResponseEventFields): Record<string, string> {
  const headers: Record<string, string> = { [Header.tenant]: fields.tenant, [Header.requestId]: fields.requestId };
  const optional: [string, string | undefined][] = [
    [Header.owner, fields.owner],
    [Header.session, fields.session],
    [Header.contentType, fields.contentType],
    [Header.workerId, fields.workerType],
  ];
  for (const [name, value] of optional) if (value !== undefined) headers[name] = value;
  headers[Header.converter] = GSON_CONVERTER;
  headers[Header.type] = RESPONSE_EVENT_CLASS;
  return headers;
}

export function buildResponseEvent(target: ResponseEventTarget, fields: ResponseEventFields): OutboundMessage {
  if (fields.tenant.trim() === '' || fields.requestId.trim() === '') {
    throw new ContractError('a ResponseEvent needs a tenant and a request id: without them no client can receive it');
  }
  return {
    exchange: target.exchange,
    routingKey: '',
    headers: responseHeaders(fields),
    body: jsonBody(buildResponseEventBody(fields)),
    properties: {
      contentType: 'application/json',
      priority: RESPONSE_EVENT_PRIORITY,
      appId: target.appId,
      persistent: true,
      ...(target.timestamp === undefined ? {} : { timestamp: target.timestamp }),
    },
  };
}

/* The reference's message texts, word for word: clients and operators match on them. */

export function grantedMessage(): string {
  return 'Your request has been successfully registered.';
}

export function delayedMessage(contentType: string): string {
  return `Your request has been delayed as no worker is currently matching content type <${contentType}>.`;
}

export function invalidContentMessage(workerType: string, details: string): string {
  return `Your request is not valid (invalidated by the matching worker <${workerType}>). ${details}`;
}

export function errorMessage(workerType: string, cause: string): string {
  return `Error during processing your request in <${workerType}> worker : Cause : ${cause}.`;
}

export function successMessage(workerType: string): string {
  return `Your request has been successfully handled by the <${workerType}> worker.`;
}

export function duplicateRequestMessage(requestId: string): string {
  return `Request is denied cause the given requestId <${requestId}> already exists`;
}

/** REGARDS prints `Optional[type]` for the content type here; we print the plain value. */
export function skippedContentTypeMessage(contentType: string, tenant: string): string {
  return `Content type <${contentType}> is configured to be automatically skipped on tenant <${tenant}>`;
}
