import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WireNamesSchema } from '../../contract/wire-names.js';
import { BaseLogger, type EmittedLevel, type LogFields, type Logger, type Worker, type WorkerBaseOptions, type WorkerConnectionOptions } from '../src/index.js';

/** What an example's start function takes: any worker option but the handler; the type has a default. */
export type ExampleWorkerOptions = Omit<WorkerBaseOptions, 'handle' | 'workerType'> & { workerType?: string } & WorkerConnectionOptions;

export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** True when the module is the script node (or tsx) was started with, not an import. */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && resolve(script) === fileURLToPath(moduleUrl);
}

/**
 * Runs an example as a process: options from the environment, logs to the console, a clean stop
 * on SIGINT/SIGTERM (running jobs finish; a second signal exits at once).
 *
 * AMQP_URL, WORKER_TYPE, PREFETCH, HEARTBEAT_INTERVAL_MS, HEARTBEAT_TENANT, INSTANCE_ID,
 * STOP_TIMEOUT_MS, WIRE_NAMES (JSON object of wire names to override).
 */
export async function runFromCommandLine(label: string, start: (options: ExampleWorkerOptions) => Promise<Worker>): Promise<void> {
  const env = process.env;
  const numberFrom = (name: string): number | undefined => (env[name] === undefined || env[name] === '' ? undefined : Number(env[name]));
  const prefetch = numberFrom('PREFETCH');
  const heartbeatIntervalMs = numberFrom('HEARTBEAT_INTERVAL_MS');
  const stopTimeoutMs = numberFrom('STOP_TIMEOUT_MS');
  const names = env['WIRE_NAMES'] ? WireNamesSchema.partial().parse(JSON.parse(env['WIRE_NAMES'])) : undefined;
  const logger = new LineLogger(label);
  const log = (level: 'INFO' | 'ERROR') => (level === 'INFO' ? logger.info.bind(logger) : logger.error.bind(logger));
  const worker = await start({
    url: env['AMQP_URL'] ?? DEFAULT_AMQP_URL,
    ...(env['WORKER_TYPE'] ? { workerType: env['WORKER_TYPE'] } : {}),
    ...(prefetch === undefined ? {} : { prefetch }),
    ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
    ...(stopTimeoutMs === undefined ? {} : { stopTimeoutMs }),
    ...(env['HEARTBEAT_TENANT'] ? { heartbeatTenant: env['HEARTBEAT_TENANT'] } : {}),
    ...(env['INSTANCE_ID'] ? { instanceId: env['INSTANCE_ID'] } : {}),
    ...(names === undefined ? {} : { names }),
    logger,
  });
  log('INFO')('consuming', { queue: worker.queue, workerType: worker.workerType, instanceId: worker.instanceId });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(130);
    log('INFO')(`${signal}: stopping`, { inFlight: worker.inFlight });
    void worker.stop().then(
      (result) => {
        log('INFO')('stopped', { ...result, stats: worker.stats });
        process.exit(0);
      },
      (error: unknown) => {
        log('ERROR')('stop failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** One line per entry on stdout, for people watching an example run; no debug. */
class LineLogger extends BaseLogger {
  public constructor(
    private readonly label: string,
    fields: LogFields = {},
  ) {
    super('info', fields);
  }

  public child(fields: LogFields): Logger {
    return new LineLogger(this.label, { ...this.fields, ...fields });
  }

  protected emit(level: EmittedLevel, message: string, fields: LogFields): void {
    const suffix = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    console.log(`${new Date().toISOString()} ${level.toUpperCase()} [${this.label}] ${message}${suffix}`);
  }
}
