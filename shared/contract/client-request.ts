import * as z from 'zod';
import { Header, readHeaderText, type Headers } from './headers.js';
import { MAX_REQUEST_ID_LENGTH, MAX_TENANT_LENGTH } from './limits.js';

/*
 * The headers of a client request (reference 3.3). The body is opaque and never read here.
 * Limits follow the reference's columns: tenant and worker names are 128 long, the rest 255.
 */

export const CLIENT_REQUEST_LIMITS = {
  tenant: MAX_TENANT_LENGTH,
  requestId: MAX_REQUEST_ID_LENGTH,
  owner: 255,
  session: 255,
  contentType: 255,
} as const;

const text = (max: number) => z.string().trim().min(1).max(max);

export const ClientRequestSchema = z.object({
  tenant: text(CLIENT_REQUEST_LIMITS.tenant),
  requestId: text(CLIENT_REQUEST_LIMITS.requestId),
  owner: text(CLIENT_REQUEST_LIMITS.owner),
  session: text(CLIENT_REQUEST_LIMITS.session),
  contentType: text(CLIENT_REQUEST_LIMITS.contentType),
});
export type ClientRequest = z.infer<typeof ClientRequestSchema>;
type Field = keyof ClientRequest;

const HEADER_OF: Record<Field, string> = {
  tenant: Header.tenant,
  requestId: Header.requestId,
  owner: Header.owner,
  session: Header.session,
  contentType: Header.contentType,
};
const FIELDS = Object.keys(HEADER_OF) as Field[];

export type HeaderProblemKind = 'missing' | 'wrong-type' | 'too-long';

export interface HeaderProblem {
  header: string;
  kind: HeaderProblemKind;
  message: string;
}

/**
 * - `valid`: every header is usable.
 * - `invalid`: the client can be told why (a SKIPPED response carrying every message).
 * - `unanswerable`: no usable tenant or request id, so no response can reach the client; the
 *   caller can only report it (reference: "denied, no response").
 */
export type ClientRequestReading =
  | { kind: 'valid'; request: ClientRequest }
  | ({ kind: 'invalid'; tenant: string; requestId: string; problems: HeaderProblem[] } & Partial<Pick<ClientRequest, 'owner' | 'session' | 'contentType'>>)
  | { kind: 'unanswerable'; tenant?: string; requestId?: string; problems: HeaderProblem[] };

/** The reference's text, word for word: clients may match on it. */
export function missingHeaderMessage(header: string): string {
  return `<${header}> property is missing from request message headers`;
}

export function wrongTypeHeaderMessage(header: string, got: string): string {
  return `<${header}> property of request message headers must be a string, not ${got}`;
}

export function tooLongHeaderMessage(header: string, length: number, max: number): string {
  return `<${header}> property is too long (${length} characters, at most ${max} allowed)`;
}

type FieldReading = { value: string; problem?: HeaderProblem } | { value?: undefined; problem: HeaderProblem };

function readField(headers: Headers, field: Field): FieldReading {
  const header = HEADER_OF[field];
  const read = readHeaderText(headers, header);
  if (read.kind === 'missing') return { problem: { header, kind: 'missing', message: missingHeaderMessage(header) } };
  if (read.kind === 'wrong-type') {
    return { problem: { header, kind: 'wrong-type', message: wrongTypeHeaderMessage(header, read.got) } };
  }
  const max = CLIENT_REQUEST_LIMITS[field];
  if (read.value.length > max) {
    // The value is still returned: an over-long request id is echoed so the client can correlate.
    return { value: read.value, problem: { header, kind: 'too-long', message: tooLongHeaderMessage(header, read.value.length, max) } };
  }
  return { value: read.value };
}

/** Reads every request header and reports every problem at once, as the reference does. */
export function readClientRequestHeaders(headers: Headers): ClientRequestReading {
  const values: Partial<ClientRequest> = {};
  const problems: HeaderProblem[] = [];
  for (const field of FIELDS) {
    const reading = readField(headers, field);
    if (reading.value !== undefined) values[field] = reading.value;
    if (reading.problem) problems.push(reading.problem);
  }
  const { tenant, requestId, owner, session, contentType } = values;
  // A tenant that breaks its limit cannot be one we serve, so it is not answered either.
  const tenantUsable = tenant !== undefined && tenant.length <= CLIENT_REQUEST_LIMITS.tenant;
  if (!tenantUsable || requestId === undefined) {
    return { kind: 'unanswerable', ...(tenantUsable ? { tenant } : {}), ...(requestId === undefined ? {} : { requestId }), problems };
  }
  if (problems.length > 0 || owner === undefined || session === undefined || contentType === undefined) {
    return { kind: 'invalid', tenant, requestId, problems, ...pickDefined({ owner, session, contentType }) };
  }
  return { kind: 'valid', request: { tenant, requestId, owner, session, contentType } };
}

function pickDefined<T extends Record<string, string | undefined>>(record: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Partial<Record<keyof T, string>>;
}
