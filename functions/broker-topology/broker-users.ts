import { apiPath, type ManagementClient } from '../../shared/amqp-kit/management.js';
import type { BrokerPermissions } from '../../shared/contract/topology.js';
import { AppError } from '../../shared/kernel/errors.js';

// broker-topology --> (RabbitMQ management HTTP API) --> the manager, client and worker users and their permissions

export class BrokerUserError extends AppError {
  public override readonly name = 'BrokerUserError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export interface BrokerUser {
  username: string;
  password: string;
  permissions: BrokerPermissions;
}

/**
 * Creates or updates each user (its password from its secret, no management tag: none of them may
 * use the management API) and sets its permissions on the vhost, replacing whatever they were.
 * Idempotent, so every deploy puts the users back as the stack describes them. The user the step
 * itself logs in with (the broker's administrator) is never one of them.
 */
export async function ensureBrokerUsers(client: ManagementClient, vhost: string, users: readonly BrokerUser[], administrator: string): Promise<void> {
  const seen = new Set<string>();
  for (const user of users) {
    if (user.username === administrator) throw new BrokerUserError(`user "${user.username}" is the broker administrator; give the role a user of its own`);
    if (seen.has(user.username)) throw new BrokerUserError(`user "${user.username}" is given to two roles; each role needs its own`);
    seen.add(user.username);
  }
  for (const user of users) {
    await client.put(apiPath('users', user.username), { password: user.password, tags: '' });
    await client.put(apiPath('permissions', vhost, user.username), user.permissions);
  }
}
