import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { applyTopology, type QueuePolicyTarget } from '../../shared/amqp-kit/topology.js';
import { AmqpConnectionProvider } from '../../shared/amqp-kit/connection.js';
import { ManagementClient, managementAccessOf, queuePolicies, virtualHostOf, type Fetch } from '../../shared/amqp-kit/management.js';
import type { Topology } from '../../shared/contract/topology.js';
import { brokerUrl, readBrokerCredentials, resolveAmqpUrl, type BrokerCredentials, type ResolveAmqpUrlOptions } from '../../shared/lambda/broker-url.js';
import { jsonEnv, parseEnv } from '../../shared/lambda/env.js';
import { LambdaLogger } from '../../shared/lambda/lambda-logger.js';
import type { Logger } from '../../shared/kernel/logger.js';
import { BrokerTopologyEnvSchema, type BrokerTopologyEnv } from './env.js';
import { ensureVirtualHost, managementUrlOf } from './virtual-host.js';
import { ensureBrokerUsers, type BrokerUser } from './broker-users.js';

// CloudFormation custom resource (cdk Provider framework) --> (broker-topology) --> applyTopology

const name = z.string().min(1);
const binding = z.object({ exchange: name, queue: name, routingKey: z.string() });
const exchangeBinding = z.object({ source: name, destination: name, routingKey: z.string() });

/** The shape of `managerTopology(...)`: what the stack computed from the settings. */
export const TopologySchema = z.object({
  exchanges: z.array(
    z.object({
      name,
      type: z.enum(['fanout', 'topic', 'direct', 'headers', 'x-consistent-hash']),
      arguments: z.record(z.string(), z.string()).optional(),
    }),
  ),
  queues: z.array(
    z.object({
      name,
      type: z.enum(['classic', 'quorum']),
      arguments: z.record(z.string(), z.union([z.string(), z.number()])),
      policy: z
        .object({
          'delivery-limit': z.number().int().positive().optional(),
          'dead-letter-exchange': z.string().optional(),
          'dead-letter-routing-key': z.string().optional(),
          'message-ttl': z.number().int().nonnegative().optional(),
        })
        .strict()
        .optional(),
    }),
  ),
  bindings: z.array(binding),
  exchangeBindings: z.array(exchangeBinding).optional(),
  obsolete: z.object({ bindings: z.array(binding), exchangeBindings: z.array(exchangeBinding) }).optional(),
}) satisfies z.ZodType<Topology>;

/**
 * What the stack passes: the topology itself, `managerTopology(settings.names, topologyOptions(settings))`
 * as the local host declares it, so that a change of the settings or of the topology code changes
 * the resource and CloudFormation applies it again; plus what identifies the broker, so a new
 * broker gets it too.
 */
const permission = z.string().min(1);

/** One RabbitMQ user the step keeps: its credentials' secret and its permissions on the vhost. */
export const BrokerUserPropertySchema = z.object({
  Role: z.enum(['manager', 'clients', 'workers']),
  SecretArn: z.string().startsWith('arn:'),
  Configure: permission,
  Write: permission,
  Read: permission,
});

export const TopologyPropertiesSchema = z.object({
  /** JSON, because CloudFormation hands every nested number to the handler as a string. */
  Topology: jsonEnv(TopologySchema),
  /** The users besides the administrator; none when left out (the local tests' topology). */
  Users: z.array(BrokerUserPropertySchema).default([]),
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
  /** The broker (on the vhost the stack bound): a connection and its management API; opened only when there is work. */
  connect: () => Promise<BrokerAccess>;
}

/** What the handler reaches the broker with. */
export interface BrokerAccess {
  amqp: AmqpConnectionProvider;
  /** Where the queues' changeable settings go: never missing here, a deploy cannot fall back to arguments. */
  policies: QueuePolicyTarget;
  /** Creates or updates the users and their permissions (management API). */
  users: (users: readonly BrokerUser[]) => Promise<void>;
  /** The credentials a user's secret holds. */
  credentialsOf: (secretArn: string) => Promise<BrokerCredentials>;
}

/**
 * Create and Update set each queue's policy and declare the whole topology (idempotent). A
 * declaration the broker refuses (406: the entity exists with settings that cannot change, such as
 * another queue type) fails the resource with the broker's reason, so CloudFormation reports it
 * and rolls back instead of reporting success. Delete does nothing: the queues may hold requests
 * nobody has processed yet, and a renamed queue is left for the operator to drain.
 */
export async function handleTopologyEvent(event: unknown, deps: TopologyDeps): Promise<TopologyResult> {
  const request = TopologyEventSchema.parse(event);
  if (request.RequestType === 'Delete') {
    deps.logger.info('topology kept on delete', { physicalResourceId: request.PhysicalResourceId });
    return { PhysicalResourceId: request.PhysicalResourceId };
  }
  const properties = request.ResourceProperties;
  const access = await deps.connect();
  try {
    const report = await applyTopology(access.amqp, properties.Topology, { logger: deps.logger, policies: access.policies, onConflict: 'fail' });
    const users = await Promise.all(
      properties.Users.map(async (user): Promise<BrokerUser> => ({
        ...(await access.credentialsOf(user.SecretArn)),
        permissions: { configure: user.Configure, write: user.Write, read: user.Read },
      })),
    );
    await access.users(users);
    deps.logger.info('topology applied', {
      requestType: request.RequestType,
      exchanges: report.exchanges,
      queues: report.queues,
      bindings: report.bindings,
      users: users.map((user) => user.username),
    });
    return {
      PhysicalResourceId: `broker-topology:${properties.BrokerId}:${properties.VirtualHost}`,
      Data: { Exchanges: report.exchanges, Queues: report.queues, Bindings: report.bindings, Warnings: report.warnings.length },
    };
  } finally {
    await access.amqp.close();
  }
}

export interface ConnectOptions extends ResolveAmqpUrlOptions {
  fetch?: Fetch;
}

/** The AMQP URL and the management API of the broker, from the environment. */
export interface BrokerEndpoints {
  amqpUrl: string;
  management: ManagementClient;
  vhost: string;
  /** Who the step logs in as (the broker's administrator in AWS). */
  username: string;
}

/**
 * In AWS: the endpoint with the secret's credentials, the management API on the endpoint's host
 * (https, port 443), and a vhost other than `/` created first (Amazon MQ brokers start with `/`
 * only and AMQP cannot create one). Locally: AMQP_URL (or the local broker), its management API on
 * port 15672, or RABBITMQ_MANAGEMENT_URL.
 */
export async function brokerEndpoints(env: BrokerTopologyEnv, options: ConnectOptions = {}): Promise<BrokerEndpoints> {
  const { AMQP_ENDPOINT: endpoint, AMQP_SECRET_ARN: secretArn } = env;
  if (env.AMQP_URL !== undefined || endpoint === undefined || secretArn === undefined) {
    const amqpUrl = await resolveAmqpUrl(env, options);
    const access = managementAccessOf(amqpUrl);
    const url = env.RABBITMQ_MANAGEMENT_URL ?? access.url;
    return {
      amqpUrl,
      management: new ManagementClient({ ...access, url }, options.fetch),
      vhost: virtualHostOf(amqpUrl),
      username: access.credentials.username,
    };
  }
  const vhost = env.AMQP_VHOST;
  const credentials = await readBrokerCredentials(secretArn, options);
  const management = new ManagementClient({ url: managementUrlOf(endpoint), credentials }, options.fetch);
  if (vhost !== '/') await ensureVirtualHost(management, vhost, credentials.username);
  return { amqpUrl: brokerUrl(endpoint, credentials, vhost), management, vhost, username: credentials.username };
}

export const handler = async (event: unknown, context?: Context): Promise<TopologyResult> => {
  const env = parseEnv(BrokerTopologyEnvSchema, process.env);
  const logger = LambdaLogger.create(env.LOG_LEVEL, { fn: 'broker-topology' });
  if (context !== undefined) logger.addContext(context);
  return handleTopologyEvent(event, {
    logger,
    connect: async () => {
      const endpoints = await brokerEndpoints(env);
      return {
        amqp: new AmqpConnectionProvider({ url: endpoints.amqpUrl, connectionName: 'worker-manager:broker-topology', logger }),
        policies: queuePolicies(endpoints.management, endpoints.vhost),
        users: (users) => ensureBrokerUsers(endpoints.management, endpoints.vhost, users, endpoints.username),
        credentialsOf: (secretArn) => readBrokerCredentials(secretArn),
      };
    },
  });
};
