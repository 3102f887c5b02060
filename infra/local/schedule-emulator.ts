import type { Logger } from '../../shared/kernel/logger.js';

/*
 * A local stand-in for an EventBridge Scheduler schedule: it invokes a handler every interval,
 * measured from the end of the previous run (fixed delay), so two runs never overlap however long
 * one takes. A failed run is logged and the schedule goes on, as the next minute's run would in AWS.
 */

export interface ScheduleEmulatorOptions {
  name: string;
  intervalMs: number;
  run: () => Promise<unknown>;
  logger: Logger;
}

export class ScheduleEmulator {
  public readonly stats = { runs: 0, failures: 0 };
  private timer: NodeJS.Timeout | undefined;
  /** Every run is chained on the previous one: one at a time, whoever asks. */
  private chain: Promise<void> = Promise.resolve();
  private stopped = true;

  public constructor(private readonly options: ScheduleEmulatorOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${options.intervalMs}`);
  }

  public start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** Runs once as soon as the run in flight (if any) ends; resolves when this run is over. */
  public runNow(): Promise<void> {
    this.chain = this.chain.then(() => this.invoke());
    return this.chain;
  }

  /** Stops scheduling and waits for the run in flight. */
  public async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runNow().then(() => {
        if (!this.stopped) this.schedule();
      });
    }, this.options.intervalMs);
    // A pending schedule alone must not keep the process alive.
    this.timer.unref();
  }

  private async invoke(): Promise<void> {
    this.stats.runs += 1;
    try {
      await this.options.run();
    } catch (error) {
      this.stats.failures += 1;
      this.options.logger.error('scheduled run failed', { schedule: this.options.name, error });
    }
  }
}
