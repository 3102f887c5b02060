import * as z from 'zod';
import { Header } from './headers.js';
import { parseJsonBody } from './json-body.js';
import { describeZodError, parsed, rejected, type ParseResult } from './parse-result.js';
import { SESSION_DELETE_EVENT_CLASS, SOURCE_DELETE_EVENT_CLASS, type SessionDeletion } from './regards-sessions.js';

/*
 * The REGARDS session events as schemas (sources in regards-sessions.ts): what rs-admin sends and
 * this manager reads (deletions), and what it sends, for the tests that check its bodies. Apart
 * from regards-sessions.ts so that the functions that only send pay no bytes for them.
 */

export const StepStateSchema = z.object({ errors: z.number().int(), waiting: z.number().int(), running: z.number().int() });

/** SessionStep as Gson writes it (registrationDate is null until rs-admin stores it, so left out). */
export const SessionStepSchema = z.object({
  stepId: z.string(),
  source: z.string(),
  session: z.string(),
  type: z.string(),
  inputRelated: z.number().int(),
  outputRelated: z.number().int(),
  state: StepStateSchema,
  properties: z.record(z.string(), z.string()),
  lastUpdateDate: z.string(),
});
export type SessionStep = z.infer<typeof SessionStepSchema>;

export const StepPropertyUpdateRequestEventSchema = z.object({
  date: z.string(),
  type: z.enum(['INC', 'DEC', 'VALUE']),
  stepProperty: z.object({
    stepId: z.string(),
    source: z.string(),
    session: z.string(),
    stepPropertyInfo: z.object({
      stepType: z.string(),
      state: z.enum(['SUCCESS', 'ERROR', 'WAITING', 'RUNNING', 'INFO']),
      property: z.string(),
      value: z.string(),
      inputRelated: z.boolean(),
      outputRelated: z.boolean(),
    }),
  }),
});
export type StepPropertyUpdateRequestEvent = z.infer<typeof StepPropertyUpdateRequestEventSchema>;

/* Deletions sent by rs-admin. */

const MAX_NAME = 1024;

export const SessionDeleteEventSchema = z.object({ source: z.string().min(1).max(MAX_NAME), session: z.string().min(1).max(MAX_NAME) });
export const SourceDeleteEventSchema = z.object({ source: z.string().min(1).max(MAX_NAME) });

/**
 * Reads a deletion from rs-admin: the `regards.type` header names the event when present (the
 * queue is bound to both exchanges); without it, a body with a session is a session deletion.
 * Only an exact source (and session) is accepted: an empty one would match everything.
 */
export function parseSessionDeletion(headers: Readonly<Record<string, unknown>>, body: Uint8Array): ParseResult<{ tenant: string; deletion: SessionDeletion }> {
  const tenant = headers[Header.tenant];
  if (typeof tenant !== 'string' || tenant.trim() === '') return rejected(`${Header.tenant} header is missing`);
  const json = parseJsonBody(body);
  if (!json.ok) return json;
  const type = headers[Header.type];
  const wantsSession = type === SESSION_DELETE_EVENT_CLASS || (type !== SOURCE_DELETE_EVENT_CLASS && isObjectWith(json.value, 'session'));
  if (wantsSession) {
    const session = SessionDeleteEventSchema.safeParse(json.value);
    if (!session.success) return rejected(`not a SessionDeleteEvent: ${describeZodError(session.error, json.value)}`);
    return parsed({ tenant, deletion: session.data });
  }
  const source = SourceDeleteEventSchema.safeParse(json.value);
  if (!source.success) return rejected(`not a SourceDeleteEvent: ${describeZodError(source.error, json.value)}`);
  return parsed({ tenant, deletion: { source: source.data.source } });
}

function isObjectWith(value: unknown, key: string): boolean {
  return typeof value === 'object' && value !== null && key in value && (value as Record<string, unknown>)[key] !== null;
}

/** NotificationEvent as regards-notifications.ts writes it. */
export const NotificationEventBodySchema = z.object({
  notification: z.object({
    message: z.string(),
    roleRecipients: z.array(z.string()),
    sender: z.string(),
    title: z.string(),
    level: z.enum(['INFO', 'WARNING', 'ERROR', 'FATAL']),
    mimeType: z.string(),
  }),
});
