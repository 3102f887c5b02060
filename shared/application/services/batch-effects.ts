import type { InboundMessage } from '../../contract/amazon-mq-event.js';
import { toOutboundHeaders } from '../../contract/headers.js';
import { buildResponseEvent, grantedMessage, type ResponseEventFields } from '../../contract/response-event.js';
import { workerTopology } from '../../contract/topology.js';
import { buildWorkItem } from '../../contract/work-item.js';
import { dedicatedDeadLetterQueue, type WireNames } from '../../contract/wire-names.js';
import type { CounterDelta, CounterStore } from '../../ports/counter-store.js';
import type { OutboundMessage } from '../../contract/outbound-message.js';
import type { MessageBus } from '../../ports/message-bus.js';
import { NO_METRICS, type Metrics } from '../../ports/metrics.js';
import type { RequestStore, RequestUpdate } from '../../ports/request-store.js';
import type { AfterConfirm } from '../../domain/request/outcomes.js';
import type { RequestAnswer } from '../../domain/request/answers.js';
import type { Request } from '../../domain/request/request.js';
import { counterDeltas, type CountedChange } from '../../domain/request/session-counters.js';
import type { ResponseState } from '../../contract/status.js';
import { Header } from '../../contract/headers.js';
import { NoticeTitle } from '../../contract/regards-notifications.js';
import { NoticeTally, notificationEvents, publishReports, sessionEvents, type ReportDeps } from './regards-reports.js';

/** The reason header carried by a message the manager dead-letters itself. */
export const REJECTION_REASON_HEADER = 'x-wm-rejection-reason';

/**
 * What one batch must send and count once its store writes are done. Collecting it lets a batch
 * end with one counter write per session and one publish burst with a single confirm wait,
 * instead of a round trip per message.
 */
export class BatchEffects {
  private readonly messages: OutboundMessage[] = [];
  private readonly deltas: CounterDelta[] = [];
  private readonly workerTypes = new Set<string>();
  private readonly deletes: { stored: Request; counted: readonly CountedChange[] }[] = [];
  private readonly settles: RequestUpdate[] = [];
  /** What the metrics count once the burst is confirmed. */
  private readonly sent: Sent = { answers: [], workerTypes: [], deadLetters: [] };
  private readonly notices = new NoticeTally();

  public constructor(
    private readonly names: WireNames,
    private readonly now: Date,
    /** false: the sessions this batch changes are not reported to REGARDS (a deletion rs-admin asked for). */
    private readonly reportSessions = true,
  ) {}

  /** The work item of a DISPATCHED request, to its worker type's exchange. */
  public workItem(request: Request): void {
    const { workerType, message } = workItemOf(this.names, request);
    this.workerTypes.add(workerType);
    this.messages.push(message);
    this.sent.workerTypes.push(workerType);
  }

  public respond(fields: ResponseEventFields): void {
    this.sent.answers.push({ state: fields.state });
    this.messages.push(buildResponseEvent({ exchange: this.names.responseExchange, appId: this.names.appId, timestamp: this.now }, fields));
  }

  /** The client response about a stored request, addressed from the request's own fields. */
  public respondAbout(request: Request, fields: RequestAnswer): void {
    this.sent.answers.push({ state: fields.state, request });
    this.messages.push(answerAbout(this.names, this.now, request, fields));
  }

  public publish(message: OutboundMessage): void {
    this.messages.push(message);
  }

  /**
   * Sends a message the manager cannot act on to its input queue's dead-letter queue, with the
   * reason in a header, so nothing a client or worker sent disappears without a trace.
   */
  public deadLetter(message: InboundMessage, reason: string, notice: string = NoticeTitle.invalidMessage): void {
    const tenant = message.headers[Header.tenant];
    this.notify(typeof tenant === 'string' ? tenant : undefined, notice);
    this.sent.deadLetters.push(message.queue);
    this.messages.push({
      exchange: this.names.deadLetterExchange,
      routingKey: dedicatedDeadLetterQueue(message.queue),
      headers: { ...toOutboundHeaders(message.headers), [REJECTION_REASON_HEADER]: reason },
      body: message.body,
      // The timestamp dates the dead letter for `wm dlq` (our dead letters carry no x-death).
      properties: { ...(message.properties.contentType ? { contentType: message.properties.contentType } : {}), appId: this.names.appId, timestamp: this.now },
    });
  }

  /** Tells the tenant's administrators (REGARDS NotificationEvent, one per tenant per batch) that a message was dropped or set aside. */
  public notify(tenant: string | undefined, title: string): void {
    this.notices.add(tenant, title);
  }

  public count(request: Pick<Request, 'tenant' | 'source' | 'session'>, change: CountedChange): void {
    this.deltas.push(...deltasOf(request, change));
  }

  /** A kept finished request, settled once this batch's answers are confirmed (see AfterConfirm). */
  public afterConfirm(request: Request, then: AfterConfirm): void {
    this.settles.push({ previous: request, next: settled(request, then.keepUntil) });
  }

  /**
   * A finished request that is not kept: its row, as stored, is deleted once this batch's answers
   * are confirmed, and its counted changes are added only if that delete wins, so that a replay of
   * the same answer (the row was never written) counts it once. The store keeps a trace of it, so
   * that a late replay of its intake is not registered again (RequestStore.deleteAll).
   */
  public deleteAfterAnswer(stored: Request, counted: readonly CountedChange[]): void {
    this.deletes.push({ stored, counted });
  }

  public get pendingMessages(): number {
    return this.messages.length;
  }

  /**
   * Declares the worker queues addressed, adds the counters of the writes already made, publishes
   * everything in one burst, then deletes or settles the finished rows whose final answers were in
   * it, and adds the counters of the deletes that won. A row whose delete or settle loses a race (it
   * changed meanwhile) or is refused stays as it is: a redelivery applies its answer again, or its
   * deadline brings it back to the sweeper. Last, the reports to REGARDS (see regards-reports.ts).
   */
  public async flush(deps: { bus: MessageBus; counters: CounterStore; requests: RequestStore; metrics?: Metrics } & ReportDeps): Promise<void> {
    const { bus, counters, requests, metrics } = deps;
    await Promise.all([...this.workerTypes].map((type) => bus.ensureTopology(workerTopology(this.names, type))));
    const changed = this.deltas.length > 0 ? await counters.apply(this.deltas) : [];
    if (this.messages.length > 0) await bus.publish(this.messages);
    recordSent(metrics ?? NO_METRICS, this.sent, this.now);
    const [deleted] = await Promise.all([
      this.deletes.length > 0 ? requests.deleteAll(this.deletes.map((entry) => entry.stored)) : Promise.resolve([]),
      this.settles.length > 0 ? requests.updateAll(this.settles) : undefined,
    ]);
    const late = this.deletes.flatMap(({ stored, counted }, index) => (deleted[index]?.written ? counted.flatMap((change) => deltasOf(stored, change)) : []));
    if (late.length > 0) changed.push(...(await counters.apply(late)));
    if (deps.settings === undefined) return;
    const reports = this.reportSessions ? sessionEvents(deps.settings, { counters: changed, deltas: [...this.deltas, ...late] }, this.now) : [];
    await publishReports(deps, [...reports, ...notificationEvents(deps.settings, this.notices, this.now)]);
  }
}

/** The answers, work items and dead letters of a confirmed publish burst, as the metrics count them. */
interface Sent {
  answers: { state: ResponseState; request?: Request }[];
  workerTypes: string[];
  /** The queue each dead-lettered message came from. */
  deadLetters: string[];
}

/** The answers that end a request for its client: the end-to-end latency is measured at them. */
const FINAL_STATES: ReadonlySet<ResponseState> = new Set(['SUCCESS', 'ERROR', 'INVALID_CONTENT']);

function recordSent(metrics: Metrics, sent: Sent, now: Date): void {
  for (const { state, request } of sent.answers) {
    metrics.count('answers', { State: state });
    if (request === undefined) continue;
    const sinceCreation = Math.max(0, now.getTime() - Date.parse(request.creationDate));
    if (state === 'GRANTED') metrics.observe('dispatchLatency', {}, sinceCreation);
    else if (FINAL_STATES.has(state)) metrics.observe('endToEndLatency', {}, sinceCreation);
  }
  for (const workerType of sent.workerTypes) metrics.count('dispatched', { WorkerType: workerType });
  for (const queue of sent.deadLetters) metrics.count('deadLetters', { Queue: queue });
}

function deltasOf(request: Pick<Request, 'tenant' | 'source' | 'session'>, change: CountedChange): CounterDelta[] {
  return counterDeltas(change).map(({ property, delta }) => ({ tenant: request.tenant, source: request.source, session: request.session, property, delta }));
}

/** The row of a finished request once its final answer is confirmed: kept until `deadline`, nothing pending. */
function settled(request: Request, deadline: string | null): Request {
  const { answerUnconfirmed: _confirmed, ...rest } = request;
  return { ...rest, deadline, version: request.version + 1 };
}

function workItemOf(names: WireNames, request: Request): { workerType: string; message: OutboundMessage } {
  const workerType = request.dispatchedWorkerType;
  if (workerType === null) throw new Error(`request ${request.requestId} has no dispatched worker type`);
  return {
    workerType,
    message: buildWorkItem(names, workerType, {
      tenant: request.tenant,
      requestId: request.requestId,
      owner: request.source,
      session: request.session,
      contentType: request.contentType,
      dispatchAttempt: request.attempt,
      ...(request.dispatchToken === undefined ? {} : { dispatchToken: request.dispatchToken }),
      additionalHeaders: request.additionalHeaders,
      ...(request.priority === undefined ? {} : { priority: request.priority }),
      body: request.content,
    }),
  };
}

/** The client response about a stored request, addressed from the request's own fields. */
function answerAbout(names: WireNames, now: Date, request: Request, fields: RequestAnswer): OutboundMessage {
  return buildResponseEvent(
    { exchange: names.responseExchange, appId: names.appId, timestamp: now },
    {
      tenant: request.tenant,
      requestId: request.requestId,
      owner: request.source,
      session: request.session,
      contentType: request.contentType,
      ...(request.dispatchedWorkerType === null ? {} : { workerType: request.dispatchedWorkerType }),
      ...fields,
    },
  );
}

/**
 * Sends the work items of requests about to be written DISPATCHED, before the write, each after
 * its GRANTED answer in the same burst. For dispatches a timer makes (the sweeper, a worker coming
 * alive, a bulk retry) no message will be redelivered to replay them, so the work item goes first:
 * if it cannot be sent, nothing is written and the next run tries again; if the write then loses a
 * race, the worker's answer names an attempt the request never reached and is recorded, not
 * applied. The GRANTED goes first so that a client never hears of a worker's answer before it (a
 * fast worker would otherwise answer before a GRANTED sent after the write); the price is a
 * second GRANTED when the write loses its race.
 */
export async function sendWorkItemsFirst(
  names: WireNames,
  bus: MessageBus,
  requests: readonly Request[],
  now: Date,
  metrics: Metrics = NO_METRICS,
): Promise<void> {
  if (requests.length === 0) return;
  const items = requests.map((request) => workItemOf(names, request));
  await Promise.all([...new Set(items.map((item) => item.workerType))].map((type) => bus.ensureTopology(workerTopology(names, type))));
  const granted = requests.map((request) => answerAbout(names, now, request, { state: 'GRANTED', messages: [grantedMessage()] }));
  await bus.publish([...granted, ...items.map((item) => item.message)]);
  const answers = requests.map((request) => ({ state: 'GRANTED' as const, request }));
  recordSent(metrics, { answers, workerTypes: items.map((item) => item.workerType), deadLetters: [] }, now);
}
