import { startWorker, type Job, type JobOutcome, type Worker } from '../src/index.js';
import { isMainModule, runFromCommandLine, type ExampleWorkerOptions } from './example-options.js';

/*
 * Example worker "sip": wraps its JSON input into `{"sip": <input>}` and answers SUCCESS; an input
 * without a `file` field (or not JSON at all) is INVALID_CONTENT. Chained after "extract" it turns
 * `{"file":"a.dat","extracted":true,"size":16}` into `{"sip":{"file":"a.dat",...}}`.
 *
 *   AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npx tsx shared/worker-sdk/examples/sip-worker.ts
 */

export const SIP_WORKER_TYPE = 'sip';

export type SipResult = { ok: true; content: { sip: unknown } } | { ok: false; reason: string };

export function wrapIntoSip(input: unknown): SipResult {
  const hasFile = typeof input === 'object' && input !== null && !Array.isArray(input) && 'file' in input;
  if (!hasFile) return { ok: false, reason: 'the input has no "file" field' };
  return { ok: true, content: { sip: input } };
}

export function handleSip(job: Job): JobOutcome {
  const result = wrapIntoSip(job.json());
  return result.ok ? job.success(result.content) : job.invalid(result.reason);
}

export function startSipWorker(options: ExampleWorkerOptions): Promise<Worker> {
  return startWorker({ ...options, workerType: options.workerType ?? SIP_WORKER_TYPE, handle: handleSip });
}

if (isMainModule(import.meta.url)) await runFromCommandLine('sip-worker', startSipWorker);
