interface RunningJob {
  readonly controller: AbortController;
  readonly task: Promise<void>;
}

/** The jobs this instance is running: what `inFlight` counts and what stop() waits for. */
export class RunningJobs {
  private readonly jobs = new Set<RunningJob>();

  public get size(): number {
    return this.jobs.size;
  }

  /** Tracks a job until its task settles; `controller` gives its work item back when aborted. */
  public track(controller: AbortController, task: Promise<void>): void {
    const entry: RunningJob = { controller, task: task.finally(() => this.jobs.delete(entry)) };
    this.jobs.add(entry);
  }

  /**
   * Waits for the jobs whose work item is still held, up to `timeoutMs`, then aborts those still
   * running with `abandon()`. Jobs already given back (their channel was lost) are not waited for:
   * their answer would be dropped anyway. Resolves how many were abandoned.
   */
  public async finishWithin(timeoutMs: number, abandon: () => Error): Promise<number> {
    const held = () => [...this.jobs].filter((job) => !job.controller.signal.aborted);
    const deadline = Date.now() + timeoutMs;
    let pending = held();
    while (pending.length > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, remaining);
      });
      await Promise.race([Promise.allSettled(pending.map((job) => job.task)), timedOut]);
      clearTimeout(timer);
      pending = held();
    }
    for (const job of pending) job.controller.abort(abandon());
    return pending.length;
  }
}
