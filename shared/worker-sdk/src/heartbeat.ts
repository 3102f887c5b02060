import type { ConfirmPublisher } from '../../amqp-kit/confirm-publisher.js';
import { buildHeartbeat } from '../../contract/heartbeat.js';
import { describeError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';

export interface HeartbeatOptions {
  exchange: string;
  instanceId: string;
  workerType: string;
  tenant: string | undefined;
  intervalMs: number;
  /** Whether the worker may look alive now: running and subscribed to its queue. */
  alive: () => boolean;
  /** Counts each beat the broker confirmed (true) or did not (false). */
  onResult: (confirmed: boolean) => void;
}

/**
 * The worker's heartbeats: one at start, then one per interval, and one after each
 * resubscription. Published on a channel of their own: a heartbeat to a missing exchange closes
 * the channel it was sent on, which must not be the one answers go through.
 */
export class Heartbeats {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  public constructor(
    private readonly publisher: ConfirmPublisher,
    private readonly options: HeartbeatOptions,
    private readonly log: Logger,
  ) {}

  /** Beats at once (the manager re-dispatches waiting requests when a type comes alive), then on every tick. */
  public async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.intervalMs);
    // The consumer's socket keeps the process alive, not the heartbeat.
    this.timer.unref();
  }

  /** Never rejects: a missed heartbeat is logged and the next tick tries again. */
  public beat(): Promise<void> {
    // A worker that cannot consume must not look alive, or work would be routed to nobody.
    if (this.inFlight !== undefined || !this.options.alive()) return this.inFlight ?? Promise.resolve();
    const { exchange, instanceId, workerType, tenant } = this.options;
    const heartbeat = buildHeartbeat({ exchange }, { instanceId, workerType, reportedAt: new Date(), ...(tenant === undefined ? {} : { tenant }) });
    const sending = this.publisher.publish([heartbeat]).then(
      () => this.options.onResult(true),
      (error: unknown) => {
        this.options.onResult(false);
        this.log.warn('heartbeat not confirmed', { exchange: heartbeat.exchange, error: describeError(error) });
      },
    );
    this.inFlight = sending.finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Stops the ticks and waits for a beat still on its way. */
  public async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }
}
