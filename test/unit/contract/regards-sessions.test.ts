import { describe, expect, it } from 'vitest';
import { DEFAULT_MANAGER_SETTINGS, ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { batchFailureMessage, buildBatchFailureNotification, NOTIFICATION_EVENT_CLASS } from '../../../shared/contract/regards-notifications.js';
import {
  NotificationEventBodySchema,
  parseSessionDeletion,
  SessionStepSchema,
  StepPropertyUpdateRequestEventSchema,
} from '../../../shared/contract/regards-session-schemas.js';
import {
  broadcastExchange,
  buildSessionStepEvent,
  buildStepPropertyEvents,
  effectiveSessionEvents,
  SESSION_DELETE_EVENT_CLASS,
  SESSION_STEP_EVENT_CLASS,
  SOURCE_DELETE_EVENT_CLASS,
  STEP_PROPERTY_UPDATE_REQUEST_EVENT_CLASS,
} from '../../../shared/contract/regards-sessions.js';
import { DEFAULT_WIRE_NAMES } from '../../../shared/contract/wire-names.js';
import { NoticeTally, notificationEvents, sessionEvents, summedDeltas } from '../../../shared/application/services/regards-reports.js';

const date = new Date('2026-03-01T10:00:00.123Z');
const target = { exchange: 'x', appId: 'REGARDS', date };
const json = (body: Uint8Array) => JSON.parse(Buffer.from(body).toString('utf8')) as unknown;

describe('REGARDS session event names', () => {
  it('are the fanout exchanges REGARDS names after the event classes', () => {
    expect(DEFAULT_WIRE_NAMES.sessionStepExchange).toBe(broadcastExchange(SESSION_STEP_EVENT_CLASS));
    expect(DEFAULT_WIRE_NAMES.stepPropertyExchange).toBe(broadcastExchange(STEP_PROPERTY_UPDATE_REQUEST_EVENT_CLASS));
    expect(DEFAULT_WIRE_NAMES.sessionDeleteExchange).toBe(broadcastExchange(SESSION_DELETE_EVENT_CLASS));
    expect(DEFAULT_WIRE_NAMES.sourceDeleteExchange).toBe(broadcastExchange(SOURCE_DELETE_EVENT_CLASS));
    expect(DEFAULT_WIRE_NAMES.notificationExchange).toBe(broadcastExchange(NOTIFICATION_EVENT_CLASS));
    expect(SESSION_STEP_EVENT_CLASS).toBe('fr.cnes.regards.framework.modules.session.commons.domain.events.SessionStepEvent');
  });

  it('are on by default with the REGARDS names only (auto)', () => {
    expect(effectiveSessionEvents('auto', DEFAULT_WIRE_NAMES.requestExchange)).toBe('session-step');
    expect(effectiveSessionEvents('auto', 't.prefix.request.exchange')).toBe('off');
    expect(effectiveSessionEvents('step-property', 't.prefix.request.exchange')).toBe('step-property');
    expect(DEFAULT_MANAGER_SETTINGS.regards).toEqual({ sessionEvents: 'auto', notifications: true, microservice: 'rs-worker-manager' });
  });
});

describe('SessionStepEvent', () => {
  it('carries the absolute workers step, summed into state, inputs and outputs as the session agent sums them', () => {
    const message = buildSessionStepEvent(
      {
        tenant: 'project1',
        source: 'src',
        session: 's1',
        values: {
          'workers.requests': 10,
          'workers.no_worker_available': 1,
          'workers.extract.dispatched': 2,
          'workers.extract.running': 3,
          'workers.extract.done': 2,
          'workers.extract.error': 1,
          'workers.extract.invalid': 1,
          'workers.extract.retry': 4,
        },
      },
      { ...target, exchange: DEFAULT_WIRE_NAMES.sessionStepExchange },
    );
    expect(message.exchange).toBe(DEFAULT_WIRE_NAMES.sessionStepExchange);
    expect(message.routingKey).toBe('');
    expect(message.headers).toEqual({ 'regards.tenant': 'project1', 'regards.converter': 'GSON', 'regards.type': SESSION_STEP_EVENT_CLASS });
    const body = json(message.body) as { sessionStep: unknown };
    const step = SessionStepSchema.strict().parse(body.sessionStep);
    expect(step).toMatchObject({
      stepId: 'workers',
      source: 'src',
      session: 's1',
      type: 'ACQUISITION',
      inputRelated: 10,
      outputRelated: 2,
      state: { waiting: 1, running: 5, errors: 2 },
      lastUpdateDate: '2026-03-01T10:00:00.123000Z',
    });
    expect(step.properties).toEqual({
      'workers.requests': '10',
      'workers.no_worker_available': '1',
      'workers.extract.dispatched': '2',
      'workers.extract.running': '3',
      'workers.extract.done': '2',
      'workers.extract.error': '1',
      'workers.extract.invalid': '1',
      'workers.extract.retry': '4',
    });
  });
});

describe('StepPropertyUpdateRequestEvent', () => {
  it('is one INC or DEC per non-zero property, value the magnitude, as SessionService#sendSteps sends them', () => {
    const messages = buildStepPropertyEvents(
      { tenant: 'p', source: 'src', session: 's1', values: { 'workers.requests': 3, 'workers.extract.dispatched': -2, 'workers.extract.done': 0 } },
      target,
    );
    const bodies = messages.map((message) => StepPropertyUpdateRequestEventSchema.parse(json(message.body)));
    expect(bodies).toEqual([
      {
        date: '2026-03-01T10:00:00.123000Z',
        type: 'DEC',
        stepProperty: {
          stepId: 'workers',
          source: 'src',
          session: 's1',
          stepPropertyInfo: {
            stepType: 'ACQUISITION',
            state: 'RUNNING',
            property: 'workers.extract.dispatched',
            value: '2',
            inputRelated: false,
            outputRelated: false,
          },
        },
      },
      {
        date: '2026-03-01T10:00:00.123000Z',
        type: 'INC',
        stepProperty: {
          stepId: 'workers',
          source: 'src',
          session: 's1',
          stepPropertyInfo: { stepType: 'ACQUISITION', state: 'INFO', property: 'workers.requests', value: '3', inputRelated: true, outputRelated: false },
        },
      },
    ]);
    expect(messages[0]?.headers['regards.type']).toBe(STEP_PROPERTY_UPDATE_REQUEST_EVENT_CLASS);
  });
});

describe('per-batch aggregation', () => {
  it('sums deltas per session and property and drops what sums to zero', () => {
    const d = (session: string, property: string, delta: number) => ({ tenant: 't', source: 'src', session, property, delta });
    expect(
      summedDeltas([
        d('a', 'workers.requests', 1),
        d('a', 'workers.x.dispatched', 1),
        d('a', 'workers.x.dispatched', -1),
        d('a', 'workers.requests', 1),
        d('b', 'workers.x.done', 0),
      ]),
    ).toEqual([{ tenant: 't', source: 'src', session: 'a', values: { 'workers.requests': 2 } }]);
  });

  it('sends one SessionStepEvent per session, its latest state, in session-step mode', () => {
    const settings = ManagerSettingsSchema.parse({ regards: { sessionEvents: 'session-step' } });
    const first = { tenant: 't', source: 'src', session: 'a', values: { 'workers.requests': 1 } };
    const second = { ...first, values: { 'workers.requests': 2 } };
    const messages = sessionEvents(settings, { counters: [first, second], deltas: [] }, date);
    expect(messages).toHaveLength(1);
    expect((json(messages[0]!.body) as { sessionStep: { properties: unknown } }).sessionStep.properties).toEqual({ 'workers.requests': '2' });
    expect(sessionEvents(ManagerSettingsSchema.parse({ regards: { sessionEvents: 'off' } }), { counters: [first], deltas: [] }, date)).toEqual([]);
  });
});

describe('NotificationEvent', () => {
  it('summarises a batch per tenant with counts by type, as BatchMessageErrorHandler does', () => {
    const notices = new NoticeTally();
    notices.add('p1', 'Invalid AMQP message.');
    notices.add('p1', 'Invalid AMQP message.');
    notices.add('p1', 'Unknown tenant.');
    notices.add('p2', 'Worker request dead-lettered.');
    notices.add(undefined, 'Missing tenant in AMQP message header.');
    expect(notices.withoutTenant).toBe(1);
    const messages = notificationEvents(DEFAULT_MANAGER_SETTINGS, notices, date);
    expect(messages.map((message) => message.headers['regards.tenant'])).toEqual(['p1', 'p2']);
    const body = NotificationEventBodySchema.parse(json(messages[0]!.body));
    expect(body.notification).toEqual({
      title: 'AMQP batch processing failure.',
      message:
        "Got a total of 3 errors with the following types, for more information on the errors refer to the 'rs-worker-manager' microservice logs : [''Invalid AMQP message.' : 2 errors, 'Unknown tenant.' : 1 errors].",
      level: 'ERROR',
      sender: 'rs-worker-manager',
      roleRecipients: ['EXPLOIT'],
      mimeType: 'text/plain',
    });
    expect(messages[0]?.exchange).toBe(DEFAULT_WIRE_NAMES.notificationExchange);
    expect(notificationEvents(ManagerSettingsSchema.parse({ regards: { notifications: false } }), notices, date)).toEqual([]);
  });

  it('words the message like the reference', () => {
    expect(batchFailureMessage('ms', new Map([['A.', 1]]))).toBe(
      "Got a total of 1 errors with the following types, for more information on the errors refer to the 'ms' microservice logs : [''A.' : 1 errors].",
    );
    expect(buildBatchFailureNotification({ tenant: 't', countsByTitle: new Map() }, { ...target, microservice: 'ms' }).headers['regards.type']).toBe(
      NOTIFICATION_EVENT_CLASS,
    );
  });
});

describe('session and source deletions', () => {
  const body = (value: unknown) => Buffer.from(JSON.stringify(value));
  it('reads a SessionDeleteEvent and a SourceDeleteEvent, by type header or by shape', () => {
    expect(parseSessionDeletion({ 'regards.tenant': 't', 'regards.type': SESSION_DELETE_EVENT_CLASS }, body({ source: 'a', session: 'b' }))).toEqual({
      ok: true,
      value: { tenant: 't', deletion: { source: 'a', session: 'b' } },
    });
    expect(parseSessionDeletion({ 'regards.tenant': 't' }, body({ source: 'a' }))).toEqual({ ok: true, value: { tenant: 't', deletion: { source: 'a' } } });
    expect(parseSessionDeletion({ 'regards.tenant': 't', 'regards.type': SOURCE_DELETE_EVENT_CLASS }, body({ source: 'a', session: 'b' }))).toEqual({
      ok: true,
      value: { tenant: 't', deletion: { source: 'a' } },
    });
  });

  it('refuses what could delete more than asked: no tenant, an empty source, a session event without a session', () => {
    expect(parseSessionDeletion({}, body({ source: 'a' })).ok).toBe(false);
    expect(parseSessionDeletion({ 'regards.tenant': 't' }, body({ source: '' })).ok).toBe(false);
    expect(parseSessionDeletion({ 'regards.tenant': 't', 'regards.type': SESSION_DELETE_EVENT_CLASS }, body({ source: 'a' })).ok).toBe(false);
    expect(parseSessionDeletion({ 'regards.tenant': 't' }, Buffer.from('not json')).ok).toBe(false);
  });
});
