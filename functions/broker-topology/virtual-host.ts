import type { BrokerCredentials } from '../../shared/lambda/broker-url.js';
import { AppError } from '../../shared/kernel/errors.js';

// broker-topology --> (RabbitMQ management HTTP API) --> the vhost exists and the broker user may use it

export class VirtualHostError extends AppError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

/**
 * Amazon MQ serves the RabbitMQ management API on https://<the AMQP endpoint's host> (port 443).
 * AMQP cannot create a virtual host, so this is the only way to have one without a manual step.
 */
export function managementUrlOf(amqpEndpoint: string): string {
  return `https://${new URL(amqpEndpoint).hostname}`;
}

/**
 * Creates the virtual host (idempotent: PUT on an existing vhost changes nothing) and gives the
 * broker user full rights on it, as it has on `/`.
 */
export async function ensureVirtualHost(managementUrl: string, vhost: string, credentials: BrokerCredentials, fetchFn: Fetch = fetch): Promise<void> {
  const base = managementUrl.replace(/\/+$/, '');
  const headers = {
    authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
    'content-type': 'application/json',
  };
  const put = async (path: string, body: unknown): Promise<void> => {
    let response: Awaited<ReturnType<Fetch>>;
    try {
      response = await fetchFn(`${base}${path}`, { method: 'PUT', headers, body: JSON.stringify(body) });
    } catch (error) {
      throw new VirtualHostError(`cannot reach the RabbitMQ management API at ${base}: ${String(error)}`, { cause: error });
    }
    if (!response.ok) {
      throw new VirtualHostError(`PUT ${path} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    }
  };
  const encodedVhost = encodeURIComponent(vhost);
  await put(`/api/vhosts/${encodedVhost}`, { description: 'worker manager' });
  await put(`/api/permissions/${encodedVhost}/${encodeURIComponent(credentials.username)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
}
