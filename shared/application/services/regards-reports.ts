import type { ManagerSettings } from '../../contract/manager-settings.js';
import type { OutboundMessage } from '../../contract/outbound-message.js';
import { buildBatchFailureNotification } from '../../contract/regards-notifications.js';
import { buildSessionStepEvent, buildStepPropertyEvents, effectiveSessionEvents, type SessionCountsReport } from '../../contract/regards-sessions.js';
import type { Logger } from '../../kernel/logger.js';
import type { CounterDelta, SessionCounters } from '../../ports/counter-store.js';
import type { MessageBus } from '../../ports/message-bus.js';

/*
 * What a batch tells REGARDS' rs-admin after its own work is done: the session counters it
 * changed (the dashboard) and one notification per tenant about the messages it could not
 * handle. Both are reports, not work: they are published after the batch's answers and work
 * items are confirmed, and a failure to publish them is logged, never thrown, so it can neither
 * fail the batch (whose redelivery would not send them again: its writes are already made) nor
 * cost a request anything.
 */

export interface ReportDeps {
  bus: MessageBus;
  settings?: Pick<ManagerSettings, 'names' | 'regards'>;
  logger?: Logger;
}

/** Messages per tenant this batch dropped or set aside, by REGARDS error title. */
export class NoticeTally {
  private readonly byTenant = new Map<string, Map<string, number>>();
  /**
   * Notices with no tenant: REGARDS tells its instance administrators (another virtual host, which
   * this manager's connection does not reach); here the dead letter and its log line are all.
   */
  public withoutTenant = 0;

  public add(tenant: string | undefined, title: string): void {
    if (tenant === undefined || tenant.trim() === '') {
      this.withoutTenant += 1;
      return;
    }
    const counts = this.byTenant.get(tenant) ?? new Map<string, number>();
    counts.set(title, (counts.get(title) ?? 0) + 1);
    this.byTenant.set(tenant, counts);
  }

  public get size(): number {
    return this.byTenant.size + this.withoutTenant;
  }

  public entries(): [string, ReadonlyMap<string, number>][] {
    return [...this.byTenant];
  }
}

/**
 * Sums the deltas per session and property, dropping zero sums: what rs-worker-manager's
 * SessionService sends (one StepPropertyUpdateRequestEvent per property that moved).
 */
export function summedDeltas(deltas: readonly CounterDelta[]): SessionCountsReport[] {
  const sessions = new Map<string, { tenant: string; source: string; session: string; values: Record<string, number> }>();
  for (const { tenant, source, session, property, delta } of deltas) {
    const id = JSON.stringify([tenant, source, session]);
    const sum = sessions.get(id) ?? { tenant, source, session, values: {} };
    sum.values[property] = (sum.values[property] ?? 0) + delta;
    sessions.set(id, sum);
  }
  const reports: SessionCountsReport[] = [];
  for (const sum of sessions.values()) {
    const values = Object.fromEntries(Object.entries(sum.values).filter(([, value]) => value !== 0));
    if (Object.keys(values).length > 0) reports.push({ ...sum, values });
  }
  return reports;
}

/** The latest counters of each session: a session written twice in one flush keeps its second state. */
export function latestPerSession(changed: readonly SessionCounters[]): SessionCounters[] {
  const latest = new Map<string, SessionCounters>();
  for (const counters of changed) latest.set(JSON.stringify([counters.tenant, counters.source, counters.session]), counters);
  return [...latest.values()];
}

/** The session events a flush sends, by the mode in force: absolute steps, summed deltas, or none. */
export function sessionEvents(
  settings: Pick<ManagerSettings, 'names' | 'regards'>,
  changes: { counters: readonly SessionCounters[]; deltas: readonly CounterDelta[] },
  date: Date,
): OutboundMessage[] {
  const { names } = settings;
  switch (effectiveSessionEvents(settings.regards.sessionEvents, names.requestExchange)) {
    case 'session-step':
      return latestPerSession(changes.counters).map((report) =>
        buildSessionStepEvent(report, { exchange: names.sessionStepExchange, appId: names.appId, date }),
      );
    case 'step-property':
      return summedDeltas(changes.deltas).flatMap((report) =>
        buildStepPropertyEvents(report, { exchange: names.stepPropertyExchange, appId: names.appId, date }),
      );
    case 'off':
      return [];
  }
}

/** One NotificationEvent per tenant, counts by type, as REGARDS' BatchMessageErrorHandler sends per batch. */
export function notificationEvents(settings: Pick<ManagerSettings, 'names' | 'regards'>, notices: NoticeTally, date: Date): OutboundMessage[] {
  if (!settings.regards.notifications) return [];
  const target = { exchange: settings.names.notificationExchange, microservice: settings.regards.microservice, appId: settings.names.appId, date };
  return notices.entries().map(([tenant, countsByTitle]) => buildBatchFailureNotification({ tenant, countsByTitle }, target));
}

/** Publishes the reports of one flush; a failure is logged with what was lost, never thrown. */
export async function publishReports(deps: ReportDeps, messages: readonly OutboundMessage[]): Promise<void> {
  if (messages.length === 0) return;
  try {
    await deps.bus.publish(messages);
  } catch (error) {
    // The counters are stored and GET /sessions/counters has them; the next change of a session
    // sends its whole state again (session-step mode).
    deps.logger?.warn('REGARDS session events or notifications not sent', { count: messages.length, error });
  }
}
