import type { Context } from 'aws-lambda';
import { localContext } from '../../shared/lambda/define-function.js';
import { JobLauncher, type JobRef } from '../../shared/ports/job-launcher.js';
import type { Logger } from '../../shared/kernel/logger.js';

export type JobRunner = (event: JobRef, context: Context) => Promise<unknown>;

/**
 * The local host's stand-in for an asynchronous Lambda invoke of run-bulk-jobs: the run starts in
 * the background of this process and `launch` returns at once. A run that spent its budget
 * launches the next through here, as it re-invokes itself in AWS. On stop, runs are told they have
 * no time left, so each ends at its next page boundary with its progress saved.
 */
export class InProcessJobLauncher extends JobLauncher {
  private runner: JobRunner | undefined;
  private readonly running = new Set<Promise<void>>();
  private stopping = false;

  public constructor(private readonly logger: Logger) {
    super();
  }

  /** The handler runs are given to (it needs this launcher itself, hence set after construction). */
  public bind(runner: JobRunner): void {
    this.runner = runner;
  }

  public async launch(ref: JobRef): Promise<void> {
    const runner = this.runner;
    if (runner === undefined) throw new Error('the in-process job launcher has no runner bound');
    if (this.stopping) {
      this.logger.info('host stopping: the bulk job will go on at the next start (POST /jobs/{id}/resume)', { ...ref });
      return;
    }
    const context: Context = { ...localContext('run-bulk-jobs'), getRemainingTimeInMillis: () => (this.stopping ? 0 : 900_000) };
    const run = (async () => {
      // Never inside the caller's turn: the admin API answers before the job starts, as with Lambda.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        await runner(ref, context);
      } catch (error) {
        this.logger.error('bulk job run failed; resume it with POST /jobs/{id}/resume', { ...ref, error });
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Resolves once no run is in flight, runs launched meanwhile included. */
  public async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  public async stop(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }
}
