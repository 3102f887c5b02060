import { apiPath, type ManagementClient } from '../../shared/amqp-kit/management.js';

// broker-topology --> (RabbitMQ management HTTP API) --> the vhost exists and the broker user may use it

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
export async function ensureVirtualHost(client: ManagementClient, vhost: string, username: string): Promise<void> {
  await client.put(apiPath('vhosts', vhost), { description: 'worker manager' });
  await client.put(apiPath('permissions', vhost, username), { configure: '.*', write: '.*', read: '.*' });
}
