import type { ConfigureTenantDeps } from '../../shared/application/use-cases/configure-tenant.js';
import type { Route } from '../../shared/lambda/http/router.js';
import type { ManagerServices } from '../../shared/lambda/services.js';
import type { DeadLetterQueues } from '../../shared/ports/dead-letter-queues.js';
import type { HealthProbe } from '../../shared/ports/health-probe.js';
import type { JobLauncher } from '../../shared/ports/job-launcher.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import { configurationRoutes } from './routes/configuration.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { jobRoutes } from './routes/jobs.js';
import { requestRoutes } from './routes/requests.js';
import { serviceRoutes } from './routes/service.js';
import { sessionRoutes } from './routes/sessions.js';
import { settingRoutes } from './routes/settings.js';
import { tenantRoutes } from './routes/tenants.js';
import { workerRoutes } from './routes/workers.js';

// API Gateway (proxy) --> router --> (these thin handlers) --> one use case each --> shaped result

export interface AdminApiDeps extends ManagerServices, ConfigureTenantDeps {
  jobs: JobStore;
  launcher: JobLauncher;
  probes: readonly HealthProbe[];
  deadLetters: DeadLetterQueues;
}

export const API_INFO = {
  title: 'Worker manager admin API',
  version: '1.0.0',
  description:
    'REGARDS rs-worker-manager compatible administration API (requests, workers, configuration, settings), plus tenant declaration, bulk jobs, counters and health.',
};

export function adminRoutes(deps: AdminApiDeps): Route[] {
  // The order is the OpenAPI document's.
  const routes: Route[] = [
    ...requestRoutes(deps),
    ...workerRoutes(deps),
    ...sessionRoutes(deps),
    ...jobRoutes(deps),
    ...configurationRoutes(deps),
    ...settingRoutes(deps),
    ...tenantRoutes(deps),
    ...deadLetterRoutes(deps),
    ...serviceRoutes(deps, { info: API_INFO, routes: () => routes }),
  ];
  return routes;
}
