import type { QueuePolicy } from '../contract/topology.js';
import { AppError, describeError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import type { QueuePolicyTarget } from './topology.js';

// topology step --> (RabbitMQ management HTTP API) --> policies, vhosts, users, permissions

export class ManagementApiError extends AppError {
  public override readonly name = 'ManagementApiError';
  public constructor(
    message: string,
    /** The HTTP status the broker answered; undefined when it could not be reached. */
    public readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

export interface ManagementCredentials {
  username: string;
  password: string;
}

/** Where the management API answers and who calls it. */
export interface ManagementAccess {
  url: string;
  credentials: ManagementCredentials;
}

/** The management plugin's default port on a self-hosted broker (Amazon MQ serves it on 443). */
export const MANAGEMENT_PORT = 15672;

/**
 * The management API of a self-hosted broker, from its AMQP URL: same host, port 15672, plain
 * HTTP, the URL's credentials (guest/guest when it has none, as amqplib assumes).
 *
 * @example
 * managementAccessOf('amqp://wm:s%40cret@rabbit:5672/%2F'); // { url: 'http://rabbit:15672', credentials: { username: 'wm', password: 's@cret' } }
 */
export function managementAccessOf(amqpUrl: string): ManagementAccess {
  const parsed = new URL(amqpUrl);
  const scheme = parsed.protocol === 'amqps:' ? 'https' : 'http';
  return {
    url: `${scheme}://${parsed.hostname}:${MANAGEMENT_PORT}`,
    credentials: {
      username: parsed.username === '' ? 'guest' : decodeURIComponent(parsed.username),
      password: parsed.password === '' ? 'guest' : decodeURIComponent(parsed.password),
    },
  };
}

/** The vhost an AMQP URL names: its decoded path, `/` when it has none (as amqplib reads it). */
export function virtualHostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname.replace(/^\//, '');
  return path === '' ? '/' : decodeURIComponent(path);
}

/** Calls the RabbitMQ management HTTP API; every failure names the call and what the broker said. */
export class ManagementClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  public constructor(
    access: ManagementAccess,
    private readonly fetchFn: Fetch = fetch,
  ) {
    this.base = access.url.replace(/\/+$/, '');
    const { username, password } = access.credentials;
    this.headers = { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`, 'content-type': 'application/json' };
  }

  public get url(): string {
    return this.base;
  }

  public async put(path: string, body: unknown): Promise<void> {
    await this.call('PUT', path, JSON.stringify(body));
  }

  public async get(path: string): Promise<unknown> {
    const text = await this.call('GET', path);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  /** Deletes; a 404 (already gone) is not an error. */
  public async delete(path: string): Promise<void> {
    try {
      await this.call('DELETE', path);
    } catch (error) {
      if (!(error instanceof ManagementApiError && error.status === 404)) throw error;
    }
  }

  /** Whether the API answers these credentials at all (the local host's probe). */
  public async answers(): Promise<boolean> {
    try {
      await this.call('GET', '/api/overview');
      return true;
    } catch {
      return false;
    }
  }

  private async call(method: string, path: string, body?: string): Promise<string> {
    let response: Awaited<ReturnType<Fetch>>;
    try {
      response = await this.fetchFn(`${this.base}${path}`, { method, headers: this.headers, ...(body === undefined ? {} : { body }) });
    } catch (error) {
      throw new ManagementApiError(`cannot reach the RabbitMQ management API at ${this.base}: ${describeError(error)}`, undefined, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) throw new ManagementApiError(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`, response.status);
    return text;
  }
}

/** `/api/<what>/<vhost>/<name>` with each part percent-encoded (`/` is `%2F`). */
export function apiPath(kind: string, ...parts: string[]): string {
  return `/api/${kind}/${parts.map(encodeURIComponent).join('/')}`;
}

/**
 * Above Amazon MQ's own default policies (priority 0 on a single instance, 1 in a cluster): only
 * the highest-priority policy matching a queue applies, so ours must win on the queues it names.
 */
export const QUEUE_POLICY_PRIORITY = 10;

/** The name of the policy that holds one queue's settings. */
export function queuePolicyName(queue: string): string {
  return `worker-manager.${queue}`;
}

/** Exactly one queue: the name anchored, every regex character escaped. */
export function exactNamePattern(name: string): string {
  return `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/** Policies through the management API, one per queue, on one vhost. */
export function queuePolicies(client: ManagementClient, vhost: string): QueuePolicyTarget {
  return {
    putQueuePolicy: async (queue: string, definition: QueuePolicy) => {
      await client.put(apiPath('policies', vhost, queuePolicyName(queue)), {
        pattern: exactNamePattern(queue),
        'apply-to': 'queues',
        priority: QUEUE_POLICY_PRIORITY,
        definition,
      });
    },
  };
}

/**
 * The policy target of a host that may run without the management plugin (the local host): the
 * management API next to the broker when it answers, else undefined after one warning that says
 * what falls back to queue arguments and how to get policies.
 */
export async function availableQueuePolicies(amqpUrl: string, logger: Logger, managementUrl?: string): Promise<QueuePolicyTarget | undefined> {
  const access = managementAccessOf(amqpUrl);
  const client = new ManagementClient({ ...access, url: managementUrl ?? access.url });
  if (await client.answers()) return queuePolicies(client, virtualHostOf(amqpUrl));
  logger.warn(
    `RabbitMQ management API not answering at ${client.url}: the queues' delivery limit, dead-letter route and message TTL are ` +
      'declared as queue arguments, right for a new queue, but a later change of them is refused by the broker (406) and the ' +
      'queue keeps its old values. Enable it (rabbitmq-plugins enable rabbitmq_management) to set them as policies.',
  );
  return undefined;
}
