import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { applyTopology } from '../../shared/amqp-kit/topology.js';
import { AmqpConnectionProvider } from '../../shared/amqp-kit/connection.js';
import type { Topology } from '../../shared/contract/topology.js';
import { brokerUrl, readBrokerCredentials, resolveAmqpUrl, type ResolveAmqpUrlOptions } from '../../shared/lambda/broker-url.js';
import { jsonEnv, parseEnv } from '../../shared/lambda/env.js';
import { LambdaLogger } from '../../shared/lambda/lambda-logger.js';
import type { Logger } from '../../shared/kernel/logger.js';
import { BrokerTopologyEnvSchema, type BrokerTopologyEnv } from './env.js';
import { ensureVirtualHost, managementUrlOf, type Fetch } from './virtual-host.js';

// CloudFormation custom resource (cdk Provider framework) --> (broker-topology) --> applyTopology

const name = z.string().min(1);

/** The shape of `managerTopology(...)`: what the stack computed from the settings. */
export const TopologySchema = z.object({
  exchanges: z.array(z.object({ name, type: z.enum(['fanout', 'topic', 'direct', 'headers']) })),
  queues: z.array(z.object({ name, type: z.enum(['classic', 'quorum']), arguments: z.record(z.string(), z.union([z.string(), z.number()])) })),
  bindings: z.array(z.object({ exchange: name, queue: name, routingKey: z.string() })),
}) satisfies z.ZodType<Topology>;

/**
 * What the stack passes: the topology itself, `managerTopology(settings.names, topologyOptions(settings))`
 * as the local host declares it, so that a change of the settings or of the topology code changes
 * the resource and CloudFormation applies it again; plus what identifies the broker, so a new
 * broker gets it too.
 */
export const TopologyPropertiesSchema = z.object({
  /** JSON, because CloudFormation hands every nested number to the handler as a string. */
  Topology: jsonEnv(TopologySchema),
  BrokerId: z.string().min(1),
  VirtualHost: z.string().min(1),
});
export type TopologyProperties = z.infer<typeof TopologyPropertiesSchema>;

export const TopologyEventSchema = z.discriminatedUnion('RequestType', [
  z.object({ RequestType: z.literal('Create'), ResourceProperties: TopologyPropertiesSchema }),
  z.object({ RequestType: z.literal('Update'), PhysicalResourceId: z.string().min(1), ResourceProperties: TopologyPropertiesSchema }),
  // The properties of a deleted resource are not read: an old template may not satisfy today's schema.
  z.object({ RequestType: z.literal('Delete'), PhysicalResourceId: z.string().min(1) }),
]);
export type TopologyEvent = z.infer<typeof TopologyEventSchema>;

/** What the Provider framework turns into the CloudFormation response. */
export interface TopologyResult {
  PhysicalResourceId: string;
  Data?: { Exchanges: number; Queues: number; Bindings: number; Warnings: number };
}

export interface TopologyDeps {
  logger: Logger;
  /** A connection to the broker (on the vhost the stack bound); opened only when there is work. */
  connect: () => Promise<AmqpConnectionProvider>;
}

/**
 * Create and Update declare the whole topology (declaring is idempotent; a queue that exists with
 * other arguments is kept as it is and reported). Delete does nothing: the queues may hold
 * requests nobody has processed yet, and a renamed queue is left for the operator to drain.
 */
export async function handleTopologyEvent(event: unknown, deps: TopologyDeps): Promise<TopologyResult> {
  const request = TopologyEventSchema.parse(event);
  if (request.RequestType === 'Delete') {
    deps.logger.info('topology kept on delete', { physicalResourceId: request.PhysicalResourceId });
    return { PhysicalResourceId: request.PhysicalResourceId };
  }
  const properties = request.ResourceProperties;
  const provider = await deps.connect();
  try {
    const report = await applyTopology(provider, properties.Topology, { logger: deps.logger });
    deps.logger.info('topology applied', {
      requestType: request.RequestType,
      exchanges: report.exchanges,
      queues: report.queues,
      bindings: report.bindings,
      warnings: report.warnings.map((warning) => warning.message),
    });
    return {
      PhysicalResourceId: `broker-topology:${properties.BrokerId}:${properties.VirtualHost}`,
      Data: { Exchanges: report.exchanges, Queues: report.queues, Bindings: report.bindings, Warnings: report.warnings.length },
    };
  } finally {
    await provider.close();
  }
}

export interface ConnectOptions extends ResolveAmqpUrlOptions {
  fetch?: Fetch;
}

/**
 * The broker URL from the environment. In AWS a vhost other than `/` is created first through the
 * management API: Amazon MQ brokers start with `/` only.
 */
export async function topologyUrl(env: BrokerTopologyEnv, options: ConnectOptions = {}): Promise<string> {
  const { AMQP_ENDPOINT: endpoint, AMQP_SECRET_ARN: secretArn, AMQP_VHOST: vhost } = env;
  if (env.AMQP_URL !== undefined || endpoint === undefined || secretArn === undefined || vhost === '/') {
    return resolveAmqpUrl(env, options);
  }
  const credentials = await readBrokerCredentials(secretArn, options);
  await ensureVirtualHost(managementUrlOf(endpoint), vhost, credentials, options.fetch);
  return brokerUrl(endpoint, credentials, vhost);
}

export const handler = async (event: unknown, context?: Context): Promise<TopologyResult> => {
  const env = parseEnv(BrokerTopologyEnvSchema, process.env);
  const logger = LambdaLogger.create(env.LOG_LEVEL, { fn: 'broker-topology' });
  if (context !== undefined) logger.addContext(context);
  return handleTopologyEvent(event, {
    logger,
    connect: async () => new AmqpConnectionProvider({ url: await topologyUrl(env), connectionName: 'worker-manager:broker-topology', logger }),
  });
};
