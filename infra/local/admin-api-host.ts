import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AdminApiFunctionDeps } from '../../functions/admin-api/handler.js';
import { DynamoHealthProbe } from '../../shared/adapters/dynamodb/dynamo-health-probe.js';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/dynamo-job-store.js';
import { AmqpDeadLetters } from '../../shared/adapters/rabbitmq/amqp-dead-letters.js';
import { AmqpHealthProbe } from '../../shared/adapters/rabbitmq/amqp-health-probe.js';
import type { AmqpConnectionProvider } from '../../shared/amqp-kit/connection.js';
import type { ManagerSettings } from '../../shared/contract/manager-settings.js';
import { AuthSettingsSchema, type AuthSettingsInput } from '../../shared/lambda/auth.js';
import type { PrometheusRegistry } from '../../shared/adapters/metrics/prometheus-registry.js';
import { createServices } from '../../shared/lambda/services.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { Logger } from '../../shared/kernel/logger.js';
import { adminApiHandler, bulkJobsHandler } from './functions.js';
import { startHttpServer } from './http-server.js';
import type { StaticSite } from './static-files.js';
import { InProcessJobLauncher } from './in-process-job-launcher.js';
import { DASHBOARD_DIST, staleness } from '../dashboard/build.js';

/*
 * The admin API of the local host: the admin-api handler behind the local HTTP server, and
 * run-bulk-jobs started in process by the job launcher, each with its own services as two
 * Lambda functions would have, on the host's broker connection and table.
 */

export interface LocalAdminApiOptions {
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  auth: AuthSettingsInput;
  maxBodyBytes?: number;
  /** Browser origins allowed to call the API (the dashboard); none by default. */
  corsOrigins?: readonly string[];
  /** What links start with (PUBLIC_BASE_URL); default: this server's own URL (`http://HTTP_HOST:HTTP_PORT`). */
  publicBaseUrl?: string;
  /**
   * The dashboard's built folder, served at /ui; default: infra/dashboard/dist when it is built
   * (main.ts builds it first), false to serve none.
   */
  dashboard?: string | false;
  settings: ManagerSettings;
  provider: AmqpConnectionProvider;
  dynamo: { client: DynamoDBDocumentClient; tableName: string };
  logger: Logger;
  clock?: Clock;
  /**
   * The host's metrics: run-bulk-jobs records into it (the admin API records none, as in Lambda),
   * and it is served at GET /metrics, outside the API's router and without a token, like any
   * Prometheus exporter: the server listens on 127.0.0.1 unless told otherwise, and no metric
   * carries a tenant, a session or a request id.
   */
  metrics?: PrometheusRegistry;
}

export interface LocalAdminApi {
  url: string;
  /** The bulk jobs running in this process; `idle()` waits for them. */
  jobs: InProcessJobLauncher;
  jobStore: DynamoJobStore;
  /** The admin API's services, for tests that need to look inside. */
  services: AdminApiFunctionDeps;
  close(): Promise<void>;
}

/** The admin API's default body limit: a configuration file is a few KB; Lambda's own limit is 6 MB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Where the dashboard is served, beside the API: its calls are same-origin, so no CORS is needed. */
export const DASHBOARD_PATH = '/ui';

function dashboardSite(directory: string | undefined): StaticSite {
  if (directory !== undefined) return { prefix: DASHBOARD_PATH, directory };
  const reason = staleness();
  return reason === 'not built'
    ? { prefix: DASHBOARD_PATH, directory: undefined, missingReason: 'it is not built (npm run build:dashboard)' }
    : { prefix: DASHBOARD_PATH, directory: DASHBOARD_DIST };
}

export async function startLocalAdminApi(options: LocalAdminApiOptions): Promise<LocalAdminApi> {
  const { settings, provider, dynamo } = options;
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const jobStore = new DynamoJobStore(dynamo.client, dynamo.tableName);
  const jobs = new InProcessJobLauncher(options.logger.child({ fn: 'run-bulk-jobs' }));
  const runner = bulkJobsHandler({
    ...createServices({
      ...dynamo,
      settings,
      provider,
      logger: options.logger.child({ fn: 'run-bulk-jobs' }),
      ...clock,
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    }),
    jobs: jobStore,
    launcher: jobs,
    maxPages: 50,
  });
  jobs.bind((ref, context) => runner(ref, context));
  const apiLogger = options.logger.child({ fn: 'admin-api' });
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const services: AdminApiFunctionDeps = {
    ...createServices({ ...dynamo, settings, provider, logger: apiLogger, ...clock }),
    jobs: jobStore,
    launcher: jobs,
    probes: [new DynamoHealthProbe(dynamo.client, dynamo.tableName), new AmqpHealthProbe(provider)],
    deadLetters: new AmqpDeadLetters(provider),
    auth: AuthSettingsSchema.parse(options.auth),
    maxBodyBytes,
    corsOrigins: options.corsOrigins ?? [],
  };
  const handler = adminApiHandler(services);
  const server = await startHttpServer({
    // The API (and so its links' base) is built on the first request, after the URL is known below.
    handler: (event) => handler(event),
    port: options.port,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.dashboard === false ? {} : { staticSite: dashboardSite(options.dashboard) }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    logger: apiLogger,
  });
  // Known only once listening (port 0 picks one); set before the listening promise's continuation yields to any request.
  services.publicBaseUrl = options.publicBaseUrl ?? server.url;
  return {
    url: server.url,
    jobs,
    jobStore,
    services,
    async close() {
      await server.close();
      await jobs.stop();
    },
  };
}
