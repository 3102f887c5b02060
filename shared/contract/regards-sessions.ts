import * as z from 'zod';
import { ContractError } from './contract-error.js';
import { Header } from './headers.js';
import { jsonBody } from './json-body.js';
import { formatOffsetDateTime } from './offset-date-time.js';
import type { OutboundMessage } from './outbound-message.js';
import { GSON_CONVERTER, RESPONSE_EVENT_PRIORITY } from './response-event.js';
import { DEFAULT_WIRE_NAMES } from './wire-names.js';

/*
 * The REGARDS session events (the dashboard of rs-admin, "sources and sessions"). Every name
 * below was read in regards-backend, rs-microservice/regards-modules/session/:
 *
 * - session-agent/session-agent-domain/.../agent/domain/events/StepPropertyUpdateRequestEvent.java
 *   (`{date, type: INC|DEC|VALUE, stepProperty}`), .../agent/domain/step/StepProperty.java
 *   (`{stepId, source, session, stepPropertyInfo}`) and StepPropertyInfo.java (`{stepType, state,
 *   property, value (a string), inputRelated, outputRelated}`): what a microservice sends to the
 *   session agent embedded in it (ISessionAgentClient, SessionAgentClient.java).
 * - session-commons/session-commons-domain/.../commons/domain/events/SessionStepEvent.java
 *   (`{sessionStep}`) and SessionStep.java (`{stepId, source, session, type, inputRelated,
 *   outputRelated, state: {errors, waiting, running}, properties: {name: value}, lastUpdateDate}`):
 *   what the agent (AgentSnapshotService.java) sends, after summing the step property events, to
 *   rs-admin's session manager (SessionManagerHandler, which saves the step as received).
 * - SessionDeleteEvent.java (`{source, session}`) and SourceDeleteEvent.java (`{source}`), same
 *   package: what rs-admin sends when an operator deletes a session or a source.
 *
 * All are `@Event(target = ONE_PER_MICROSERVICE_TYPE, converter = GSON)` ISubscribable events, so
 * the framework publishes them on the fanout exchange `regards.broadcast.<event class>` (routing key
 * empty, IAmqpAdmin#getBroadcastExchangeName), with headers `regards.tenant`, `regards.converter`
 * (GSON) and `regards.type` (the class) as every Gson event, and each microservice type reads them
 * from its own queue `regards.broadcast.<type>.<handler class>`.
 */

const SESSION_PACKAGE = 'fr.cnes.regards.framework.modules.session';
export const STEP_PROPERTY_UPDATE_REQUEST_EVENT_CLASS = `${SESSION_PACKAGE}.agent.domain.events.StepPropertyUpdateRequestEvent`;
export const SESSION_STEP_EVENT_CLASS = `${SESSION_PACKAGE}.commons.domain.events.SessionStepEvent`;
export const SESSION_DELETE_EVENT_CLASS = `${SESSION_PACKAGE}.commons.domain.events.SessionDeleteEvent`;
export const SOURCE_DELETE_EVENT_CLASS = `${SESSION_PACKAGE}.commons.domain.events.SourceDeleteEvent`;

/** The exchange the REGARDS framework publishes an ISubscribable event of this class to. */
export function broadcastExchange(eventClass: string): string {
  return `regards.broadcast.${eventClass}`;
}

/** The step rs-worker-manager reports under (SessionService.GLOBAL_SESSION_STEP) and its type. */
export const WORKERS_STEP_ID = 'workers';
export const WORKERS_STEP_TYPE = 'ACQUISITION';

/**
 * What the manager reports to REGARDS' session dashboard (see the README, "Counters"):
 * - `session-step`: one SessionStepEvent per changed session and batch, with the session's
 *   absolute counts, straight to rs-admin's session manager (what a REGARDS session agent sends).
 *   A duplicate or a lost message does no harm: the next one carries the whole state again.
 * - `step-property`: the StepPropertyUpdateRequestEvent deltas rs-worker-manager sends, for the
 *   session agents of the other REGARDS microservices (they all read that exchange). Only useful
 *   where such a microservice runs; a duplicate adds twice and a lost one never comes back.
 * - `off`: nothing; `auto` (default): `session-step` when the REGARDS names are in use, else `off`.
 */
export const SessionEventsModeSchema = z.enum(['auto', 'session-step', 'step-property', 'off']);
export type SessionEventsMode = z.infer<typeof SessionEventsModeSchema>;

export const RegardsIntegrationSchema = z.object({
  sessionEvents: SessionEventsModeSchema.default('auto'),
  /** Publish REGARDS NotificationEvents to the tenant's administrators (role EXPLOIT). */
  notifications: z.boolean().default(true),
  /** The microservice name REGARDS shows as the sender of notifications. */
  microservice: z.string().min(1).default('rs-worker-manager'),
});
export type RegardsIntegration = z.infer<typeof RegardsIntegrationSchema>;

/** The mode in force: `auto` means on exactly when the client request exchange is REGARDS' own. */
export function effectiveSessionEvents(mode: SessionEventsMode, requestExchange: string): Exclude<SessionEventsMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return requestExchange === DEFAULT_WIRE_NAMES.requestExchange ? 'session-step' : 'off';
}

/* What each counter means to the dashboard (reference 9; WorkerStepPropertyEnum of rs-worker-manager). */

export type StepPropertyState = 'SUCCESS' | 'ERROR' | 'WAITING' | 'RUNNING' | 'INFO';

export interface PropertyMeaning {
  state: StepPropertyState;
  inputRelated: boolean;
  outputRelated: boolean;
}

const SUFFIX_MEANING: Record<string, PropertyMeaning> = {
  dispatched: { state: 'RUNNING', inputRelated: false, outputRelated: false },
  running: { state: 'RUNNING', inputRelated: false, outputRelated: false },
  done: { state: 'SUCCESS', inputRelated: false, outputRelated: true },
  error: { state: 'ERROR', inputRelated: false, outputRelated: false },
  invalid: { state: 'ERROR', inputRelated: false, outputRelated: false },
  retry: { state: 'INFO', inputRelated: false, outputRelated: false },
  deletion: { state: 'INFO', inputRelated: false, outputRelated: false },
};

/** The meaning of a counter, or undefined for a name that is not one of the workers step. */
export function propertyMeaning(property: string): PropertyMeaning | undefined {
  if (property === 'workers.requests') return { state: 'INFO', inputRelated: true, outputRelated: false };
  if (property === 'workers.no_worker_available') return { state: 'WAITING', inputRelated: false, outputRelated: false };
  const suffix = property.startsWith('workers.') ? property.slice(property.lastIndexOf('.') + 1) : undefined;
  return suffix === undefined ? undefined : SUFFIX_MEANING[suffix];
}

export interface SessionCountsReport {
  tenant: string;
  source: string;
  session: string;
  /** Counter name to value (absolute for a SessionStep, a delta for step properties). */
  values: Readonly<Record<string, number>>;
}

export interface SessionEventTarget {
  /** WireNames.sessionStepExchange or stepPropertyExchange. */
  exchange: string;
  appId: string;
  date: Date;
}

function sessionEventMessage(eventClass: string, tenant: string, body: unknown, target: SessionEventTarget): OutboundMessage {
  if (tenant.trim() === '') throw new ContractError(`a ${eventClass} needs a tenant`);
  return {
    exchange: target.exchange,
    routingKey: '',
    headers: { [Header.tenant]: tenant, [Header.converter]: GSON_CONVERTER, [Header.type]: eventClass },
    body: jsonBody(body),
    properties: { contentType: 'application/json', priority: RESPONSE_EVENT_PRIORITY, appId: target.appId, persistent: true, timestamp: target.date },
  };
}

/** SessionStep as Gson writes it (registrationDate is null until rs-admin stores it, so left out). */
export interface SessionStep {
  stepId: string;
  source: string;
  session: string;
  type: string;
  inputRelated: number;
  outputRelated: number;
  state: { errors: number; waiting: number; running: number };
  properties: Record<string, string>;
  lastUpdateDate: string;
}

/**
 * The workers step of a session from its absolute counts, summed as the agent sums them
 * (AgentSnapshotService#calculateDifferences): WAITING, RUNNING and ERROR counters make the state,
 * input- and output-related ones the step's inputs and outputs.
 */
export function sessionStepOf(report: SessionCountsReport, date: Date): SessionStep {
  const step: SessionStep = {
    stepId: WORKERS_STEP_ID,
    source: report.source,
    session: report.session,
    type: WORKERS_STEP_TYPE,
    inputRelated: 0,
    outputRelated: 0,
    state: { errors: 0, waiting: 0, running: 0 },
    properties: {},
    lastUpdateDate: formatOffsetDateTime(date),
  };
  for (const [property, value] of Object.entries(report.values).sort(([a], [b]) => a.localeCompare(b))) {
    const meaning = propertyMeaning(property);
    if (meaning === undefined) continue;
    step.properties[property] = String(value);
    if (meaning.inputRelated) step.inputRelated += value;
    if (meaning.outputRelated) step.outputRelated += value;
    if (meaning.state === 'WAITING') step.state.waiting += value;
    if (meaning.state === 'RUNNING') step.state.running += value;
    if (meaning.state === 'ERROR') step.state.errors += value;
  }
  return step;
}

export function buildSessionStepEvent(report: SessionCountsReport, target: SessionEventTarget): OutboundMessage {
  return sessionEventMessage(SESSION_STEP_EVENT_CLASS, report.tenant, { sessionStep: sessionStepOf(report, target.date) }, target);
}

export interface StepPropertyUpdateRequestEvent {
  date: string;
  type: 'INC' | 'DEC' | 'VALUE';
  stepProperty: {
    stepId: string;
    source: string;
    session: string;
    stepPropertyInfo: { stepType: string; state: StepPropertyState; property: string; value: string; inputRelated: boolean; outputRelated: boolean };
  };
}

/**
 * One StepPropertyUpdateRequestEvent per non-zero delta, INC or DEC with the magnitude as value,
 * as rs-worker-manager's SessionService#sendSteps sends them.
 */
export function buildStepPropertyEvents(report: SessionCountsReport, target: SessionEventTarget): OutboundMessage[] {
  const messages: OutboundMessage[] = [];
  for (const [property, delta] of Object.entries(report.values).sort(([a], [b]) => a.localeCompare(b))) {
    const meaning = propertyMeaning(property);
    if (meaning === undefined || delta === 0) continue;
    const body: StepPropertyUpdateRequestEvent = {
      date: formatOffsetDateTime(target.date),
      type: delta > 0 ? 'INC' : 'DEC',
      stepProperty: {
        stepId: WORKERS_STEP_ID,
        source: report.source,
        session: report.session,
        stepPropertyInfo: { stepType: WORKERS_STEP_TYPE, state: meaning.state, property, value: String(Math.abs(delta)), ...pickRelated(meaning) },
      },
    };
    messages.push(sessionEventMessage(STEP_PROPERTY_UPDATE_REQUEST_EVENT_CLASS, report.tenant, body, target));
  }
  return messages;
}

function pickRelated({ inputRelated, outputRelated }: PropertyMeaning): { inputRelated: boolean; outputRelated: boolean } {
  return { inputRelated, outputRelated };
}

/** What a deletion from rs-admin asks: a whole source, or one session of it. */
export type SessionDeletion = { source: string; session?: string };
