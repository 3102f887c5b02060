import { startWorker, type Job, type JobOutcome, type Worker } from '../src/index.js';
import { isMainModule, runFromCommandLine, type ExampleWorkerOptions } from './example-options.js';

/*
 * Example worker "extract": reads `{"file": "a.dat"}` and answers SUCCESS with
 * `{"file": "a.dat", "extracted": true, "size": <bytes of the work item>}` and the additional
 * header `extract.file: a.dat`, after a RUNNING update. Anything else is INVALID_CONTENT.
 *
 *   AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npx tsx shared/worker-sdk/examples/extract-worker.ts
 */

export const EXTRACT_WORKER_TYPE = 'extract';
/** Additional header of the answer; not `x-`/`regards.`/`wm.`, which the manager keeps to itself. */
export const EXTRACT_FILE_HEADER = 'extract.file';

export interface Extracted {
  file: string;
  extracted: true;
  size: number;
}

export type ExtractResult = { ok: true; content: Extracted; headers: Record<string, string> } | { ok: false; reason: string };

/** The whole "work", separate from the AMQP plumbing so it can be tested alone. */
export function extract(input: unknown, bodySize: number): ExtractResult {
  const file = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>)['file'] : undefined;
  if (typeof file !== 'string' || file.trim() === '') return { ok: false, reason: 'the work item needs a "file" text field' };
  return { ok: true, content: { file, extracted: true, size: bodySize }, headers: { [EXTRACT_FILE_HEADER]: file } };
}

export async function handleExtract(job: Job): Promise<JobOutcome> {
  const result = extract(job.json(), job.body.length);
  if (!result.ok) return job.invalid(result.reason);
  await job.running(`extracting ${result.content.file}`);
  return job.success(result.content, result.headers);
}

export function startExtractWorker(options: ExampleWorkerOptions): Promise<Worker> {
  return startWorker({ ...options, workerType: options.workerType ?? EXTRACT_WORKER_TYPE, handle: handleExtract });
}

if (isMainModule(import.meta.url)) await runFromCommandLine('extract-worker', startExtractWorker);
