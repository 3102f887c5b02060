import { documentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoHealthProbe } from '../../shared/adapters/dynamodb/dynamo-health-probe.js';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/dynamo-job-store.js';
import { LambdaJobLauncher } from '../../shared/adapters/lambda/lambda-job-launcher.js';
import { AmqpDeadLetters } from '../../shared/adapters/rabbitmq/amqp-dead-letters.js';
import { AmqpHealthProbe } from '../../shared/adapters/rabbitmq/amqp-health-probe.js';
import { JwtVerifier, type AuthSettings } from '../../shared/lambda/auth.js';
import { resolveAmqpUrl } from '../../shared/lambda/broker-url.js';
import { apiGatewaySource } from '../../shared/lambda/api-gateway-source.js';
import { defineFunction } from '../../shared/lambda/define-function.js';
import { resolveAuthSettings } from '../../shared/lambda/jwt-secret.js';
import { servicesFromEnv, sharedConnection } from '../../shared/lambda/services.js';
import { AdminApiEnvSchema } from './env.js';
import { adminRoutes, type AdminApiDeps } from './routes.js';

// API Gateway REST (proxy) | local HTTP server --> (admin-api) --> router --> one use case per route

export interface AdminApiFunctionDeps extends AdminApiDeps {
  auth: AuthSettings;
  maxBodyBytes: number;
  corsOrigins?: readonly string[];
  /** PUBLIC_BASE_URL; absent: relative links. */
  publicBaseUrl?: string | undefined;
}

/**
 * ONE function routes the whole admin API (API Gateway REST, proxy integration): a warm instance
 * keeps the tenant-config and liveness caches, the DynamoDB client, the broker connection and the
 * JWKS keys for every route; an operator pays one cold start, not one per route; and each route is
 * small (parse, one use case, shape), so splitting them would buy nothing but cold starts.
 */
export const adminApiFunction = defineFunction({
  name: 'admin-api',
  envSchema: AdminApiEnvSchema,
  compose: async (env): Promise<AdminApiFunctionDeps> => {
    const services = await servicesFromEnv(env, 'admin-api');
    const client = documentClient({ endpoint: env.DYNAMODB_ENDPOINT, region: env.AWS_REGION });
    // The same provider servicesFromEnv opened (one per URL per process): the probe checks the connection in use.
    const provider = sharedConnection(await resolveAmqpUrl(env), services.logger);
    return {
      ...services,
      jobs: new DynamoJobStore(client, env.TABLE_NAME),
      launcher: new LambdaJobLauncher(env.BULK_JOBS_FUNCTION_NAME),
      probes: [new DynamoHealthProbe(client, env.TABLE_NAME), new AmqpHealthProbe(provider)],
      deadLetters: new AmqpDeadLetters(provider),
      auth: await resolveAuthSettings(env),
      maxBodyBytes: env.MAX_BODY_BYTES,
      corsOrigins: env.CORS_ALLOW_ORIGINS,
      publicBaseUrl: env.PUBLIC_BASE_URL,
    };
  },
  ...apiGatewaySource((deps: AdminApiFunctionDeps) => ({
    routes: adminRoutes(deps),
    verifier: new JwtVerifier(deps.auth, () => deps.clock.now().getTime()),
    logger: deps.logger,
    maxBodyBytes: deps.maxBodyBytes,
    corsOrigins: deps.corsOrigins ?? [],
    publicBaseUrl: deps.publicBaseUrl,
  })),
});

export const handler = adminApiFunction.handler;
