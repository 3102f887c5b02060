import * as z from 'zod';
import type { OutboundMessage } from './outbound-message.js';
import { WorkerResponseStatusSchema, type WorkerResponseStatus } from './status.js';
import { Base64Schema, BytesSchema, encodeBase64 } from './base64.js';
import { ContractError } from './contract-error.js';
import { Header, type Headers } from './headers.js';
import { describeZodError, parsed, rejected, type ParseResult } from './parse-result.js';
import { jsonBody, parseJsonBody } from './json-body.js';
import { DispatchTokenSchema, readRequestReference, type RequestReference } from './request-reference.js';
import {
  MAX_ADDITIONAL_HEADER_NAME_LENGTH,
  MAX_ADDITIONAL_HEADER_VALUE_LENGTH,
  MAX_ADDITIONAL_HEADERS,
  MAX_ADDITIONAL_HEADERS_BYTES,
  MAX_REQUEST_ID_LENGTH,
  MAX_TENANT_LENGTH,
  MAX_WORKER_MESSAGE_LENGTH,
  MAX_WORKER_MESSAGES,
} from './limits.js';
import { truncateTexts } from './truncate.js';

/* What a worker answers about a work item (reference 3.6). */

/**
 * The JSON body. Gson leaves null fields out, but a worker serialising nulls is tolerated by
 * reading null as absent; unknown fields are ignored so newer workers do not break older managers.
 * Texts past their limits are cut rather than refused: the worker's verdict must not be lost
 * because its explanation is long. The content's limit depends on the settings and is the
 * domain's to check.
 */
export const WorkerResponseBodySchema = z.object({
  status: WorkerResponseStatusSchema,
  messages: z
    .array(z.string())
    .nullish()
    .transform((messages) => truncateTexts(messages ?? [], MAX_WORKER_MESSAGES, MAX_WORKER_MESSAGE_LENGTH)),
  additionalHeaders: z
    .record(z.string(), z.string())
    .nullish()
    .transform((headers) => headers ?? {}),
  content: Base64Schema.nullish().transform((content) => (content == null ? null : Buffer.from(content, 'base64'))),
});
export type WorkerResponseBody = z.infer<typeof WorkerResponseBodySchema>;
/** The body as it travels: `content` still Base64. */
export type WorkerResponseWireBody = z.input<typeof WorkerResponseBodySchema>;

export type WorkerResponse = RequestReference &
  WorkerResponseBody & {
    /**
     * Why the `additionalHeaders` were too large to keep (they are then empty). Headers only
     * matter when a step hands over to the next one; there this answer fails the request.
     */
    additionalHeadersRefused?: string;
  };

/** Why these additional headers cannot be stored and forwarded, or undefined when they can. */
export function additionalHeadersProblem(headers: Readonly<Record<string, string>>): string | undefined {
  const entries = Object.entries(headers);
  if (entries.length > MAX_ADDITIONAL_HEADERS) return `${entries.length} additional headers, at most ${MAX_ADDITIONAL_HEADERS} allowed`;
  let bytes = 0;
  for (const [name, value] of entries) {
    if (name.length > MAX_ADDITIONAL_HEADER_NAME_LENGTH) {
      return `an additional header name is ${name.length} characters long, at most ${MAX_ADDITIONAL_HEADER_NAME_LENGTH} allowed`;
    }
    if (value.length > MAX_ADDITIONAL_HEADER_VALUE_LENGTH) {
      return `additional header ${name} is ${value.length} characters long, at most ${MAX_ADDITIONAL_HEADER_VALUE_LENGTH} allowed`;
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (bytes > MAX_ADDITIONAL_HEADERS_BYTES) return `additional headers total ${bytes} bytes, at most ${MAX_ADDITIONAL_HEADERS_BYTES} allowed`;
  return undefined;
}

/** A reference that cannot name a request we store: ids past their limits are never registered. */
function referenceProblem(reference: RequestReference): string | undefined {
  if (reference.tenant.length > MAX_TENANT_LENGTH) return tooLong(Header.tenant, reference.tenant.length, MAX_TENANT_LENGTH);
  if (reference.requestId.length > MAX_REQUEST_ID_LENGTH) return tooLong(Header.requestId, reference.requestId.length, MAX_REQUEST_ID_LENGTH);
  return undefined;
}

function tooLong(header: string, length: number, max: number): string {
  return `header ${header} is too long (${length} characters, at most ${max} allowed)`;
}

export function parseWorkerResponse(headers: Headers, body: Uint8Array): ParseResult<WorkerResponse> {
  const reference = readRequestReference(headers);
  if (!reference.ok) return reference;
  const unmatchable = referenceProblem(reference.value);
  if (unmatchable !== undefined) return rejected(unmatchable);
  const json = parseJsonBody(body);
  if (!json.ok) return json;
  const checked = WorkerResponseBodySchema.safeParse(json.value);
  if (!checked.success) return rejected(describeZodError(checked.error, json.value));
  const refused = additionalHeadersProblem(checked.data.additionalHeaders);
  if (refused === undefined) return parsed({ ...reference.value, ...checked.data });
  return parsed({ ...reference.value, ...checked.data, additionalHeaders: {}, additionalHeadersRefused: refused });
}

export interface WorkerResponseFields {
  tenant: string;
  requestId: string;
  /** Echo the work item's attempt so a late answer cannot be mistaken for a current one. */
  dispatchAttempt?: number;
  /** Echo the work item's token: without it, the manager can only trust the (guessable) attempt. */
  dispatchToken?: string;
  status: WorkerResponseStatus;
  messages?: readonly string[];
  additionalHeaders?: Readonly<Record<string, string>>;
  content?: Uint8Array | null;
}

export interface WorkerResponseTarget {
  /** The manager's worker response exchange (`regards.worker.manager.response` by default). */
  exchange: string;
  /** Any key: the manager binds the exchange with `#`. */
  routingKey?: string;
  appId?: string;
}

const FieldsSchema = z.object({
  tenant: z.string().trim().min(1),
  requestId: z.string().trim().min(1),
  dispatchAttempt: z.int().nonnegative().optional(),
  dispatchToken: DispatchTokenSchema.optional(),
  status: WorkerResponseStatusSchema,
  messages: z.array(z.string()).optional(),
  additionalHeaders: z.record(z.string(), z.string()).optional(),
  content: BytesSchema.nullish(),
});

/** For workers: the message that answers a work item. */
export function buildWorkerResponse(target: WorkerResponseTarget, fields: WorkerResponseFields): OutboundMessage {
  const checked = FieldsSchema.safeParse(fields);
  if (!checked.success) throw new ContractError(`invalid worker response: ${describeZodError(checked.error, fields)}`, { cause: checked.error });
  const response = checked.data;
  const body: WorkerResponseWireBody = {
    status: response.status,
    messages: response.messages ?? [],
    additionalHeaders: response.additionalHeaders ?? {},
    ...(response.content == null ? {} : { content: encodeBase64(response.content) }),
  };
  const headers: OutboundMessage['headers'] = { [Header.tenant]: response.tenant, [Header.requestId]: response.requestId };
  if (response.dispatchAttempt !== undefined) headers[Header.dispatchAttempt] = response.dispatchAttempt;
  if (response.dispatchToken !== undefined) headers[Header.dispatchToken] = response.dispatchToken;
  return {
    exchange: target.exchange,
    routingKey: target.routingKey ?? '',
    headers,
    body: jsonBody(body),
    properties: {
      contentType: 'application/json',
      persistent: true,
      ...(target.appId === undefined ? {} : { appId: target.appId }),
    },
  };
}
