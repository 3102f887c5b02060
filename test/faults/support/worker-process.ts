import { startWorker } from '../../../shared/worker-sdk/src/index.js';
import { handleExtract } from '../../../shared/worker-sdk/examples/extract-worker.js';
import { WireNamesSchema } from '../../../shared/contract/wire-names.js';

/*
 * A worker as its own process, so a test can SIGKILL it in the middle of its jobs: each job takes
 * DELAY_MS before it answers, so with PREFETCH jobs held there is always work in flight.
 */

const env = process.env;
const delayMs = Number(env['DELAY_MS'] ?? '50');
await startWorker({
  url: env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
  names: WireNamesSchema.parse(JSON.parse(env['WIRE_NAMES'] ?? '{}')),
  workerType: env['WORKER_TYPE'] ?? 'extract',
  prefetch: Number(env['PREFETCH'] ?? '20'),
  heartbeatIntervalMs: 500,
  ...(env['HEARTBEAT_TENANT'] ? { heartbeatTenant: env['HEARTBEAT_TENANT'] } : {}),
  connectionName: env['CONNECTION_NAME'] ?? 'fault-worker-process',
  handle: async (job) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return handleExtract(job);
  },
});
process.stdout.write('worker started\n');
