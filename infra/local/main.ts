import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createDocumentClient, ensureTable } from '../../shared/adapters/dynamodb/client.js';
import { AmqpConnectionProvider, BrokerUnreachableError } from '../../shared/amqp-kit/connection.js';
import { workerRequestName } from '../../shared/contract/wire-names.js';
import { signToken } from '../../shared/lambda/auth.js';
import { JsonLogger } from '../../shared/lambda/json-logger.js';
import type { Logger } from '../../shared/kernel/logger.js';
import { startEmbeddedStore, type EmbeddedStore } from './embedded-store.js';
import { readLocalConfig, LocalConfigError, type LocalConfig } from './local-config.js';
import { ManagerHost } from './manager-host.js';
import { PrettyLogger } from './pretty-logger.js';
import { AppError } from '../../shared/kernel/errors.js';
import { DashboardBuildError, ensureDashboardBuilt } from '../dashboard/build.js';
import { DASHBOARD_PATH } from './admin-api-host.js';

/*
 * `npm start`: every function of the manager in one process, on the machine's RabbitMQ and an
 * embedded DynamoDB-compatible store, as a self-hosted service: it says where everything is, it
 * refuses to start with one clear message when something is missing, and on SIGINT/SIGTERM it lets
 * in-flight batches finish before it exits.
 */

// The AWS SDK warns at its first client that its 2027 releases will need Node 22; that changes
// nothing for the pinned version we run, so it stays out of the service's output.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

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

class StartError extends AppError {
  public override readonly name = 'StartError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The token secret: from JWT_SECRET, or generated once and kept with the data so tokens survive restarts. */
async function jwtSecret(config: LocalConfig): Promise<string> {
  if (config.JWT_SECRET !== undefined) return config.JWT_SECRET;
  const file = join(config.DATA_DIR, 'jwt-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('hex');
    await writeFile(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}

/** Development token files: where the demo and the `wm` CLI find them. */
export const DEV_TOKEN_FILE = 'dev-token';

function banner(config: LocalConfig, storeDescription: string, apiUrl: string, token: string): string {
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
    '  admin API                     ' + apiUrl + '   (OpenAPI: ' + apiUrl + '/openapi.json)',
    '  dashboard                     ' + apiUrl + DASHBOARD_PATH + '/   (sign in with the development token)',
    '  development token             (instance admin, default tenant ' + config.DEV_TENANT + '; also in ' + join(config.DATA_DIR, DEV_TOKEN_FILE) + ')',
    '    ' + token,
    '  try                           curl -H "Authorization: Bearer $(cat ' + join(config.DATA_DIR, DEV_TOKEN_FILE) + ')" ' + apiUrl + '/workers',
    '',
    'Stop with Ctrl-C: in-flight batches finish first.',
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const config = readLocalConfig(process.env);
  const logger = loggerFor(config);
  await checkBroker(config, logger);

  await mkdir(config.DATA_DIR, { recursive: true });
  const secret = await jwtSecret(config);
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
  // A fresh clone has no built dashboard: build it (about a second) rather than serve nothing.
  try {
    ensureDashboardBuilt();
  } catch (error) {
    if (!(error instanceof DashboardBuildError)) throw error;
    logger.warn('the dashboard is not served', { reason: error.message });
  }
  const client = createDocumentClient({ endpoint });
  await ensureTable(client, config.TABLE_NAME);

  const host = await ManagerHost.start({
    settings: config.WM_SETTINGS,
    amqpUrl: config.AMQP_URL,
    dynamo: { client, tableName: config.TABLE_NAME },
    logger,
    sweeper: { intervalMs: config.SWEEP_INTERVAL_SECONDS * 1000 },
    // Only the embedded store lacks TTL: DynamoDB (and LocalStack) expire items themselves, and a
    // scan of a real table every few minutes would be read units spent for nothing.
    ttl: store === undefined ? false : {},
    http: { port: config.HTTP_PORT, host: config.HTTP_HOST, auth: { secret }, corsOrigins: config.CORS_ALLOW_ORIGINS },
  });
  // A development convenience, never a production credential: valid 30 days, on this machine's secret.
  const token = signToken(secret, { sub: 'local-developer', tenant: config.DEV_TENANT, role: 'INSTANCE_ADMIN' }, { expiresInSeconds: 30 * 24 * 3600 });
  await writeFile(join(config.DATA_DIR, DEV_TOKEN_FILE), `${token}\n`, { mode: 0o600 });
  const apiUrl = host.adminApi?.url ?? '(not started)';
  process.stdout.write(banner(config, storeDescription, apiUrl, token));

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
