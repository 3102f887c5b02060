import type { Channel, ConsumeMessage } from 'amqplib';
import { ConfirmPublisher } from '../../amqp-kit/confirm-publisher.js';
import { AmqpConnectionProvider } from '../../amqp-kit/connection.js';
import { decodeDeliveryHeaders } from '../../amqp-kit/delivery-headers.js';
import { applyTopology } from '../../amqp-kit/topology.js';
import type { Headers } from '../../contract/headers.js';
import type { OutboundMessage } from '../../contract/outbound-message.js';
import { workerTopology } from '../../contract/topology.js';
import { readWorkItemHeaders } from '../../contract/work-item.js';
import { backoffDelay } from '../../kernel/backoff.js';
import { describeError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { malformedItemAnswer, publishUntilConfirmed } from './answers.js';
import { ConsoleWarnings } from './console-logger.js';
import { JobClosedError, WorkerOptionsError, WorkerStartError } from './errors.js';
import { Heartbeats } from './heartbeat.js';
import { JobRun, describeThrown, runHandler, type FinalStatus } from './job.js';
import { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './options.js';
import { RunningJobs } from './running-jobs.js';

export interface WorkerStats {
  /** Work items delivered to this instance, redeliveries included. */
  received: number;
  /** Of which the broker had delivered before. */
  redelivered: number;
  /** Final answers confirmed by the broker and acknowledged, by status. */
  answered: Record<FinalStatus, number>;
  /** RUNNING updates confirmed by the broker. */
  running: number;
  /** Work items dead-lettered (job.reject, rejectOn, or headers too broken to answer). */
  rejected: number;
  /** Work items handed back unanswered (connection lost, stop timed out): the broker redelivers them. */
  givenBack: number;
  heartbeats: number;
  heartbeatFailures: number;
  /** Successful resubscriptions after a lost channel or connection. */
  reconnections: number;
}

export interface StopOptions {
  /** Overrides the worker's stopTimeoutMs for this call. */
  timeoutMs?: number;
}

export interface StopResult {
  /** Jobs still running when the timeout hit: their work items went back to the queue. */
  abandoned: number;
}

export interface Worker {
  readonly workerType: string;
  readonly instanceId: string;
  /** The queue this worker consumes (`regards.worker.<type lower-cased>.request`). */
  readonly queue: string;
  /** Jobs whose work item this instance still holds. */
  readonly inFlight: number;
  /** True while subscribed to the queue; false during a reconnection and after stop(). */
  readonly connected: boolean;
  readonly stats: WorkerStats;
  /**
   * Cancels the consumer, waits for running jobs (up to the timeout), then closes everything.
   * Idempotent: every call returns the same promise.
   */
  stop(options?: StopOptions): Promise<StopResult>;
}

/** Connects, declares the worker queue, subscribes, sends the first heartbeat, then keeps beating. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const resolved = resolveWorkerOptions(options);
  const logger = options.logger ?? new ConsoleWarnings();
  let provider: AmqpConnectionProvider;
  let ownsProvider: boolean;
  if (options.connection !== undefined) {
    provider = options.connection;
    ownsProvider = false;
  } else if (typeof options.url === 'string' && options.url !== '') {
    provider = new AmqpConnectionProvider({
      url: options.url,
      connectionName: options.connectionName ?? `worker:${resolved.workerType}:${resolved.instanceId}`,
      logger,
    });
    ownsProvider = true;
  } else {
    throw new WorkerOptionsError('either url or connection is required');
  }
  const runtime = new WorkerRuntime({ ...resolved, logger }, provider, ownsProvider);
  await runtime.start();
  return runtime;
}

/** One consumer channel; replaced by a new one after the broker or the network closed it. */
class Subscription {
  public closed = false;
  public consumerTag: string | undefined;
  public readonly jobs = new Set<AbortController>();

  public constructor(public readonly channel: Channel) {}
}

type State = 'starting' | 'running' | 'stopping' | 'stopped';

class WorkerRuntime implements Worker {
  private state: State = 'starting';
  private subscription: Subscription | undefined;
  private readonly running = new RunningJobs();
  private readonly responses: ConfirmPublisher;
  private readonly heartbeatPublisher: ConfirmPublisher;
  private readonly heartbeats: Heartbeats;
  private readonly log: Logger;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private resubscribing: Promise<void> | undefined;
  private stopping: Promise<StopResult> | undefined;
  private readonly counters: WorkerStats = {
    received: 0,
    redelivered: 0,
    answered: { SUCCESS: 0, ERROR: 0, INVALID_CONTENT: 0 },
    running: 0,
    rejected: 0,
    givenBack: 0,
    heartbeats: 0,
    heartbeatFailures: 0,
    reconnections: 0,
  };

  public constructor(
    private readonly options: ResolvedWorkerOptions & { logger: Logger },
    private readonly provider: AmqpConnectionProvider,
    private readonly ownsProvider: boolean,
  ) {
    this.log = options.logger;
    this.responses = new ConfirmPublisher(provider, { logger: this.log });
    this.heartbeatPublisher = new ConfirmPublisher(provider, { logger: this.log });
    this.heartbeats = new Heartbeats(
      this.heartbeatPublisher,
      {
        exchange: options.names.heartbeatExchange,
        instanceId: options.instanceId,
        workerType: options.workerType,
        tenant: options.heartbeatTenant,
        intervalMs: options.heartbeatIntervalMs,
        alive: () => this.state === 'running' && this.connected,
        onResult: (confirmed) => {
          if (confirmed) this.counters.heartbeats += 1;
          else this.counters.heartbeatFailures += 1;
        },
      },
      this.log,
    );
  }

  public get workerType(): string {
    return this.options.workerType;
  }

  public get instanceId(): string {
    return this.options.instanceId;
  }

  public get queue(): string {
    return this.options.queue;
  }

  public get inFlight(): number {
    return this.running.size;
  }

  public get connected(): boolean {
    return this.subscription !== undefined && !this.subscription.closed;
  }

  public get stats(): WorkerStats {
    return { ...this.counters, answered: { ...this.counters.answered } };
  }

  public async start(): Promise<void> {
    try {
      await this.subscribe();
    } catch (error) {
      this.state = 'stopped';
      await this.release();
      throw new WorkerStartError(`cannot start worker "${this.workerType}" on queue "${this.queue}": ${describeError(error)}`, { cause: error });
    }
    this.state = 'running';
    this.log.info('worker started', { workerType: this.workerType, instanceId: this.instanceId, queue: this.queue });
    await this.heartbeats.start();
  }

  public stop(options: StopOptions = {}): Promise<StopResult> {
    this.stopping ??= this.shutdown(options.timeoutMs ?? this.options.stopTimeoutMs);
    return this.stopping;
  }

  private async subscribe(): Promise<void> {
    const model = await this.provider.get();
    // Declared like a REGARDS worker declares it; a differing existing queue is used as it is.
    await applyTopology(model, workerTopology(this.options.names, this.workerType), { logger: this.log });
    const channel = await model.createChannel();
    const subscription = new Subscription(channel);
    channel.on('error', (error: Error) => {
      this.log.warn('the broker closed the consumer channel', { queue: this.queue, error: describeError(error) });
    });
    channel.on('close', () => this.onSubscriptionClosed(subscription));
    this.subscription = subscription;
    try {
      await channel.prefetch(this.options.prefetch);
      const reply = await channel.consume(
        this.queue,
        (message) => (message === null ? this.onCancelledByBroker(subscription) : this.onDelivery(subscription, message)),
        { noAck: false },
      );
      subscription.consumerTag = reply.consumerTag;
    } catch (error) {
      if (this.subscription === subscription) this.subscription = undefined;
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  private onDelivery(subscription: Subscription, message: ConsumeMessage): void {
    if (this.state === 'stopping' || this.state === 'stopped' || subscription.closed) {
      // Arrived between our cancel and the broker's cancel-ok: not started, so handed back at once.
      this.settle(subscription, message, 'requeue');
      return;
    }
    this.counters.received += 1;
    if (message.fields.redelivered) this.counters.redelivered += 1;
    const controller = new AbortController();
    subscription.jobs.add(controller);
    const task = this.process(subscription, message, controller.signal)
      .catch((error: unknown) => {
        // process() handles every expected failure; this is a bug, and the item is redelivered on reconnect.
        this.log.error('unexpected failure while handling a work item', { queue: this.queue, error: describeError(error) });
      })
      .finally(() => subscription.jobs.delete(controller));
    this.running.track(controller, task);
  }

  private async process(subscription: Subscription, message: ConsumeMessage, signal: AbortSignal): Promise<void> {
    const headers = decodeDeliveryHeaders(message.properties.headers);
    const item = readWorkItemHeaders(headers);
    if (!item.ok) {
      await this.handleMalformed(subscription, message, headers, item.reason, signal);
      return;
    }
    const job = new JobRun({
      item: item.value,
      headers,
      body: message.content,
      redelivered: message.fields.redelivered,
      responseExchange: this.options.names.workerResponse,
      signal,
      publish: async (update) => {
        await this.responses.publish([update]);
        this.counters.running += 1;
      },
    });
    const outcome = await runHandler(job, this.options.handle, this.options.rejectOn);
    if (outcome.kind === 'reject' || outcome.answer === undefined || outcome.status === 'REJECTED') {
      this.log.warn('work item rejected: dead-lettered to the worker DLQ', {
        requestId: job.requestId,
        tenant: job.tenant,
        reason: outcome.messages.join(', '),
      });
      if (this.settle(subscription, message, 'dead-letter')) this.counters.rejected += 1;
      else this.givenBack(job.requestId, signal);
      return;
    }
    const status = outcome.status;
    if (!(await this.answer(outcome.answer, signal))) {
      this.givenBack(job.requestId, signal);
      return;
    }
    if (this.settle(subscription, message, 'ack')) this.counters.answered[status] += 1;
    else this.givenBack(job.requestId, signal);
  }

  /**
   * A work item whose headers the contract refuses. With a tenant and a request id the manager can
   * be told why (ERROR); without them nobody can be answered, so the broker dead-letters it.
   */
  private async handleMalformed(subscription: Subscription, message: ConsumeMessage, headers: Headers, reason: string, signal: AbortSignal): Promise<void> {
    const malformed = malformedItemAnswer(headers, reason, this.options.names.workerResponse);
    if (malformed === undefined) {
      this.log.warn('work item without a usable tenant or request id: dead-lettered', { queue: this.queue, reason });
      if (this.settle(subscription, message, 'dead-letter')) this.counters.rejected += 1;
      return;
    }
    if (!(await this.answer(malformed.answer, signal))) {
      this.givenBack(malformed.requestId, signal);
      return;
    }
    if (this.settle(subscription, message, 'ack')) this.counters.answered.ERROR += 1;
  }

  private answer(message: OutboundMessage, signal: AbortSignal): Promise<boolean> {
    return publishUntilConfirmed(this.responses, message, signal, this.options.reconnect, this.log);
  }

  /** Acks, nacks or requeues on the channel that delivered the item; false when that channel is gone. */
  private settle(subscription: Subscription, message: ConsumeMessage, how: 'ack' | 'dead-letter' | 'requeue'): boolean {
    if (subscription.closed) return false;
    try {
      if (how === 'ack') subscription.channel.ack(message);
      else subscription.channel.nack(message, false, how === 'requeue');
      return true;
    } catch (error) {
      // A delivery tag is only valid on its own channel: once closed, the broker requeued the item.
      this.log.debug('could not settle a work item on a closed channel', { how, error: describeError(error) });
      return false;
    }
  }

  private givenBack(requestId: string, signal: AbortSignal): void {
    this.counters.givenBack += 1;
    this.log.warn('work item handed back unanswered; the broker will redeliver it', {
      requestId,
      reason: signal.aborted ? describeThrown(signal.reason) : 'its channel closed',
    });
  }

  private onCancelledByBroker(subscription: Subscription): void {
    // The queue was deleted or the node holding it went away: subscribe again, declaring it anew.
    this.log.warn('the broker cancelled the consumer', { queue: this.queue });
    void subscription.channel.close().catch(() => undefined);
  }

  private onSubscriptionClosed(subscription: Subscription): void {
    subscription.closed = true;
    for (const controller of subscription.jobs) {
      controller.abort(new JobClosedError('the channel that delivered the work item closed; the broker will redeliver it'));
    }
    if (this.subscription !== subscription) return;
    this.subscription = undefined;
    if (this.state !== 'running') return;
    this.log.warn('lost the consumer channel; resubscribing', { queue: this.queue });
    this.scheduleResubscribe();
  }

  private scheduleResubscribe(): void {
    if (this.state !== 'running' || this.reconnectTimer !== undefined || this.resubscribing !== undefined) return;
    this.reconnectAttempt += 1;
    const delayMs = backoffDelay(this.reconnectAttempt, this.options.reconnect);
    // Not unref'd: while disconnected this timer is what keeps a worker process alive.
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.resubscribing = this.resubscribe().finally(() => {
        this.resubscribing = undefined;
        if (this.state === 'running' && !this.connected) this.scheduleResubscribe();
      });
    }, delayMs);
  }

  private async resubscribe(): Promise<void> {
    try {
      await this.subscribe();
    } catch (error) {
      this.log.warn('resubscription failed; will retry', { queue: this.queue, attempt: this.reconnectAttempt, error: describeError(error) });
      return;
    }
    this.reconnectAttempt = 0;
    this.counters.reconnections += 1;
    this.log.info('resubscribed', { queue: this.queue });
    if (this.state === 'running') void this.heartbeats.beat();
  }

  private async shutdown(timeoutMs: number): Promise<StopResult> {
    this.state = 'stopping';
    const heartbeatsStopped = this.heartbeats.stop();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await this.resubscribing;
    const subscription = this.subscription;
    if (subscription !== undefined && !subscription.closed && subscription.consumerTag !== undefined) {
      await subscription.channel.cancel(subscription.consumerTag).catch(() => undefined);
    }
    const abandoned = await this.running.finishWithin(
      timeoutMs,
      () => new JobClosedError('the worker stopped before the job ended; its work item goes back to the queue'),
    );
    if (abandoned > 0) this.log.warn('stop timed out; running jobs abandoned', { queue: this.queue, abandoned, timeoutMs });
    this.subscription = undefined;
    if (subscription !== undefined && !subscription.closed) await subscription.channel.close().catch(() => undefined);
    await heartbeatsStopped;
    await this.release();
    this.state = 'stopped';
    return { abandoned };
  }

  private async release(): Promise<void> {
    await this.responses.close();
    await this.heartbeatPublisher.close();
    if (this.ownsProvider) await this.provider.close();
  }
}
