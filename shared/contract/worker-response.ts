import { z } from 'zod';
import type { OutboundMessage } from './outbound-message.js';
import { WorkerResponseStatusSchema, type WorkerResponseStatus } from './status.js';
import { Base64Schema, BytesSchema, encodeBase64 } from './base64.js';
import { ContractError } from './contract-error.js';
import { Header, type Headers } from './headers.js';
import { describeZodError, parsed, rejected, type ParseResult } from './parse-result.js';
import { jsonBody, parseJsonBody } from './json-body.js';
import { readRequestReference, type RequestReference } from './request-reference.js';

/* What a worker answers about a work item (reference 3.6). */

/**
 * The JSON body. Gson leaves null fields out, but a worker serialising nulls is tolerated by
 * reading null as absent; unknown fields are ignored so newer workers do not break older managers.
 */
export const WorkerResponseBodySchema = z.object({
  status: WorkerResponseStatusSchema,
  messages: z
    .array(z.string())
    .nullish()
    .transform((messages) => messages ?? []),
  additionalHeaders: z
    .record(z.string(), z.string())
    .nullish()
    .transform((headers) => headers ?? {}),
  content: Base64Schema.nullish().transform((content) => (content == null ? null : Buffer.from(content, 'base64'))),
});
export type WorkerResponseBody = z.infer<typeof WorkerResponseBodySchema>;
/** The body as it travels: `content` still Base64. */
export type WorkerResponseWireBody = z.input<typeof WorkerResponseBodySchema>;

export type WorkerResponse = RequestReference & WorkerResponseBody;

export function parseWorkerResponse(headers: Headers, body: Uint8Array): ParseResult<WorkerResponse> {
  const reference = readRequestReference(headers);
  if (!reference.ok) return reference;
  const json = parseJsonBody(body);
  if (!json.ok) return json;
  const checked = WorkerResponseBodySchema.safeParse(json.value);
  if (!checked.success) return rejected(describeZodError(checked.error, json.value));
  return parsed({ ...reference.value, ...checked.data });
}

export interface WorkerResponseFields {
  tenant: string;
  requestId: string;
  /** Echo the work item's attempt so a late answer cannot be mistaken for a current one. */
  dispatchAttempt?: number;
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
