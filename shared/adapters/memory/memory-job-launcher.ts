import { JobLauncher, type JobRef } from '../../ports/job-launcher.js';

/** Records what was launched; a test runs the jobs itself (or passes `run` to have them run at once). */
export class MemoryJobLauncher extends JobLauncher {
  public readonly launched: JobRef[] = [];
  public failing = false;

  public constructor(private readonly run?: (ref: JobRef) => Promise<unknown>) {
    super();
  }

  public async launch(ref: JobRef): Promise<void> {
    if (this.failing) throw new Error('launcher marked failing');
    this.launched.push({ ...ref });
    if (this.run !== undefined) await this.run(ref);
  }
}
