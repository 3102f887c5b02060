import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { JobLauncher, type JobRef } from '../../ports/job-launcher.js';

/**
 * Starts run-bulk-jobs with an asynchronous invoke: Lambda queues the event and answers at once
 * (202), retries a failed run twice, and the job item carries the progress between runs.
 */
export class LambdaJobLauncher extends JobLauncher {
  public constructor(
    private readonly functionName: string,
    private readonly client: Pick<LambdaClient, 'send'> = new LambdaClient({}),
  ) {
    super();
  }

  public async launch(ref: JobRef): Promise<void> {
    const output = await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify({ tenant: ref.tenant, jobId: ref.jobId })),
      }),
    );
    if (output.StatusCode !== 202) throw new Error(`Lambda did not accept the job run (status ${output.StatusCode ?? 'none'})`);
  }
}
