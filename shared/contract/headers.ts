import * as z from 'zod';

/** AMQP header names of the REGARDS wire contract, plus the `wm.` headers this project adds. */
export const Header = {
  tenant: 'regards.tenant',
  requestId: 'regards.request.id',
  owner: 'regards.request.owner',
  session: 'regards.request.session',
  contentType: 'regards.request.content_type',
  workerId: 'regards.worker_id',
  converter: 'regards.converter',
  type: 'regards.type',
  /** Ours: the dispatch attempt a work item belongs to. Workers echo it so a late answer from an
   * older attempt can be told apart from the current one (REGARDS workers simply omit it). */
  dispatchAttempt: 'wm.dispatch.attempt',
  /** Ours: an unguessable value drawn anew at every dispatch. Our workers echo it next to the
   * attempt, so an answer is applied only when it comes from someone who received the work item:
   * the attempt alone is predictable (0, 1, 2...) and proves nothing. Reserved (`wm.`), so no
   * workflow step's additional headers can set it. */
  dispatchToken: 'wm.dispatch.token',
  /** Set by Spring/RabbitMQ on a worker's dead-lettered work item. */
  exceptionStacktrace: 'x-exception-stacktrace',
  /** Set by RabbitMQ when a message is dead-lettered. */
  death: 'x-death',
} as const;

/**
 * Headers no worker-supplied value may set: the contract's own (`regards.*`, `wm.*`) and those the
 * broker or Spring write to explain a dead letter, which must stay truthful. Other `x-` headers
 * are ordinary application headers and pass.
 */
export const RESERVED_HEADER_PREFIXES = ['regards.', 'wm.', 'x-death', 'x-first-death-', 'x-last-death-', 'x-exception-', 'x-delay', 'x-wm-'] as const;

export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * A decoded AMQP header value. Amazon MQ delivers strings as `{bytes:[...]}`; the normalizer turns
 * them back into strings, so code past the contract only ever sees these shapes.
 */
export type HeaderValue = string | number | boolean | null | HeaderValue[] | { [key: string]: HeaderValue };
export type Headers = Record<string, HeaderValue>;

export const HeaderValueSchema: z.ZodType<HeaderValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(HeaderValueSchema), z.record(z.string(), HeaderValueSchema)]),
);
export const HeadersSchema = z.record(z.string(), HeaderValueSchema);

/** The header as a trimmed, non-empty string, or undefined (numbers are accepted as their text). */
export function headerString(headers: Headers, name: string): string | undefined {
  const read = readHeaderText(headers, name);
  return read.kind === 'text' ? read.value : undefined;
}

/** A text header read so that "absent" and "present but not text" can be told apart. */
export type HeaderText = { kind: 'text'; value: string } | { kind: 'missing' } | { kind: 'wrong-type'; got: string };

/**
 * Reads a header meant to be text. Senders in other languages put ids in numeric headers, so a
 * finite number counts as its text; blank text counts as absent, as REGARDS' `StringUtils.isBlank`.
 */
export function readHeaderText(headers: Headers, name: string): HeaderText {
  const value = headers[name];
  if (value === undefined || value === null) return { kind: 'missing' };
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { kind: 'text', value: String(value) } : { kind: 'wrong-type', got: String(value) };
  }
  if (typeof value !== 'string') return { kind: 'wrong-type', got: Array.isArray(value) ? 'array' : typeof value };
  const trimmed = value.trim();
  return trimmed === '' ? { kind: 'missing' } : { kind: 'text', value: trimmed };
}

/** The header as a non-negative integer, or undefined when absent or not an integer. */
export function headerInteger(headers: Headers, name: string): number | undefined {
  const value = headers[name];
  const parsed = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  return typeof parsed === 'number' && Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : undefined;
}

/**
 * Decoded headers as they can be published again: nested tables and arrays (such as x-death)
 * become their JSON text, nulls are left out.
 */
export function toOutboundHeaders(headers: Headers): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === null) continue;
    out[name] = typeof value === 'object' ? JSON.stringify(value) : value;
  }
  return out;
}
