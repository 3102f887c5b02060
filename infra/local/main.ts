import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createDocumentClient, ensureTable } from '../../shared/adapters/dynamodb/client.js';
import { AmqpConnectionProvider, BrokerUnreachableError } from '../../shared/adapters/rabbitmq/connection.js';
import { workerRequestName } from '../../shared/contract/wire-names.js';
import { JsonLogger } from '../../shared/lambda/json-logger.js';
import type { Logger } from '../../shared/ports/logger.js';
import { startEmbeddedStore, type EmbeddedStore } from './embedded-store.js';
import { readLocalConfig, LocalConfigError, type LocalConfig } from './local-config.js';
import { ManagerHost } from './manager-host.js';
import { PrettyLogger } from './pretty-logger.js';

/*
 * `npm start`: every function of the manager in one process, on the machine's RabbitMQ and an
 * embedded DynamoDB-compatible store, as a self-hosted service: it says where everything is, it
 * refuses to start with one clear message when something is missing, and on SIGINT/SIGTERM it lets
 * in-flight batches finish before it exits.
 */

// The AWS SDK warns on every start that its 2027 releases will need Node 22; it changes nothing
// for the pinned version we run, so it is kept out of the service's output.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'NodeVersionSupportWarning') process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

function loggerFor(config: LocalConfig): Logger {
  const format = config.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  return format === 'pretty' ? new PrettyLogger(config.LOG_LEVEL) : new JsonLogger(config.LOG_LEVEL);
}

async function checkBroker(config: LocalConfig, logger: Logger): Promise<void> {
  const probe = new AmqpConnectionProvider({ url: config.AMQP_URL, connectionName: 'worker-manager-local:probe', connectTimeoutMs: 5_000 });
  try {
    await probe.get();
  } catch (error) {
    const reason = error instanceof BrokerUnreachableError && error.cause instanceof Error ? error.cause.message : (error as Error).message;
    throw new StartError(
      `Cannot reach RabbitMQ at ${probe.redactedUrl} (${reason}).\n` +
        `Start it with \`rabbitmq-server -detached\` (or \`sudo systemctl start rabbitmq-server\`), or point AMQP_URL at a running broker.`,
    );
  } finally {
    await probe.close().catch(() => undefined);
  }
  logger.debug('broker reachable', { url: probe.redactedUrl });
}

class StartError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StartError';
  }
}

function banner(config: LocalConfig, storeDescription: string): string {
  const names = config.WM_SETTINGS.names;
  return [
    '',
    'worker manager is running (local host)',
    '',
    '  clients publish requests to   exchange ' + names.requestExchange + ' (fanout)',
    '  clients read answers from     exchange ' + names.responseExchange + ' (fanout, bind your own queue)',
    '  workers consume               queue    ' + workerRequestName(names, '<worker type>'),
    '  workers answer to             exchange ' + names.workerResponse + ' (topic)',
    '  workers send heartbeats to    exchange ' + names.heartbeatExchange + ' (topic)',
    '  broker                        ' + new AmqpConnectionProvider(config.AMQP_URL).redactedUrl,
    '  store                         ' + storeDescription,
    '',
    'Stop with Ctrl-C: in-flight batches finish first.',
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const config = readLocalConfig(process.env);
  const logger = loggerFor(config);
  await checkBroker(config, logger);

  let store: EmbeddedStore | undefined;
  let endpoint = config.DYNAMODB_ENDPOINT;
  let storeDescription = `${endpoint} table ${config.TABLE_NAME}`;
  if (endpoint === undefined) {
    const path = resolve(config.DATA_DIR, 'dynamodb');
    await mkdir(path, { recursive: true });
    store = await startEmbeddedStore({ path });
    endpoint = store.endpoint;
    storeDescription = `embedded dynalite, data in ${path} (table ${config.TABLE_NAME})`;
  }
  const client = createDocumentClient({ endpoint });
  await ensureTable(client, config.TABLE_NAME);

  const host = await ManagerHost.start({
    settings: config.WM_SETTINGS,
    amqpUrl: config.AMQP_URL,
    dynamo: { client, tableName: config.TABLE_NAME },
    logger,
    sweeper: { intervalMs: config.SWEEP_INTERVAL_SECONDS * 1000 },
  });
  process.stdout.write(banner(config, storeDescription));

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn('second signal: exiting without waiting', { signal });
        resolveExit(1);
        return;
      }
      stopping = true;
      logger.info('stopping: letting in-flight batches finish', { signal });
      void (async () => {
        try {
          await host.stop();
          client.destroy();
          await store?.close();
          logger.info('stopped');
          resolveExit(0);
        } catch (error) {
          logger.error('stop failed', { error });
          resolveExit(1);
        }
      })();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof StartError || error instanceof LocalConfigError) {
      process.stderr.write(`\nworker manager cannot start: ${error.message}\n\n`);
      process.exit(1);
    }
    process.stderr.write(`\nworker manager failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    process.exit(1);
  },
);
