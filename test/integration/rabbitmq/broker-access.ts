import type { BrokerAccess } from '../../../functions/broker-topology/handler.js';
import { ensureBrokerUsers } from '../../../functions/broker-topology/broker-users.js';
import { ManagementClient, managementAccessOf, queuePolicies, virtualHostOf } from '../../../shared/amqp-kit/management.js';
import type { BrokerCredentials } from '../../../shared/lambda/broker-url.js';
import type { RabbitFixture } from '../../support/rabbitmq.js';

/**
 * What the broker-topology handler reaches the machine's broker with, as in AWS but with the
 * management API on port 15672 and the users' secrets given here instead of Secrets Manager.
 */
export function localBrokerAccess(rabbit: RabbitFixture, secrets: Record<string, BrokerCredentials> = {}): () => Promise<BrokerAccess> {
  const access = managementAccessOf(rabbit.url);
  const management = new ManagementClient(access);
  const vhost = virtualHostOf(rabbit.url);
  return async () => ({
    amqp: rabbit.provider(),
    policies: queuePolicies(management, vhost),
    users: (users) => ensureBrokerUsers(management, vhost, users, access.credentials.username),
    credentialsOf: async (secretArn) => {
      const credentials = secrets[secretArn];
      if (credentials === undefined) throw new Error(`no secret ${secretArn}`);
      return credentials;
    },
  });
}
