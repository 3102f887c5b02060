// use case --> (port) --> adapters/lambda (async invoke) | local host (in process) | adapters/memory

/** What run-bulk-jobs is started with: the job to carry on. */
export interface JobRef {
  tenant: string;
  jobId: string;
}

export abstract class JobLauncher {
  /** Starts (or continues) a job in the background and returns at once; the job item says how it goes. */
  public abstract launch(ref: JobRef): Promise<void>;
}
