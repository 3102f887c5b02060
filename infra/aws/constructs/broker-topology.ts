import { CustomResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { BrokerTopologyEnvSchema } from '../../../functions/broker-topology/env.js';
import { topologyOptions, type ManagerSettings } from '../../../shared/contract/manager-settings.js';
import { brokerPermissions, managerTopology, type BrokerRole } from '../../../shared/contract/topology.js';
import type { LogLevel } from '../../../shared/lambda/json-logger.js';
import type { BrokerReference } from '../stacks/stateful-stack.js';
import { ManagerFunction } from './manager-function.js';
import { TOPOLOGY_HANDLER } from '../config/function-settings.js';

// deploy --> (Custom::BrokerTopology) --> functions/broker-topology --> managerTopology(...) on the broker

export interface BrokerTopologyProps {
  broker: BrokerReference;
  settings: ManagerSettings;
  logLevel: LogLevel;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * Declares the manager's exchanges, queues, bindings and dead-letter routes on the broker before
 * anything consumes from it; the event source mappings depend on this resource. The cdk Provider
 * framework answers CloudFormation, so the handler only returns a result or throws.
 */
export class BrokerTopology extends Construct {
  public readonly handler: ManagerFunction<typeof BrokerTopologyEnvSchema>;
  public readonly resource: CustomResource;

  public constructor(scope: Construct, id: string, props: BrokerTopologyProps) {
    super(scope, id);
    this.handler = new ManagerFunction(this, 'Handler', {
      entry: 'broker-topology',
      envSchema: BrokerTopologyEnvSchema,
      environment: { LOG_LEVEL: props.logLevel },
      description: 'Declares the worker manager topology on the broker (CloudFormation custom resource)',
      memorySizeMb: TOPOLOGY_HANDLER.memorySizeMb,
      timeout: Duration.seconds(TOPOLOGY_HANDLER.timeoutSeconds),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    })
      // The administrator: creating users and policies needs its administrator tag.
      .bindBroker({ ...props.broker, secret: props.broker.adminSecret });
    const users = Object.entries(props.broker.users) as [BrokerRole, secretsmanager.ISecret][];
    this.handler.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: users.map(([, secret]) => secret.secretArn) }),
    );
    const permissions = brokerPermissions(props.settings.names);

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy }),
    });

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::BrokerTopology',
      properties: {
        // The topology the local host declares too; a change in it (settings or code) is an Update.
        Topology: JSON.stringify(managerTopology(props.settings.names, topologyOptions(props.settings))),
        // The users it keeps (a change of their permissions is an Update too); their passwords stay in their secrets.
        Users: users.map(([role, secret]) => ({
          Role: role,
          SecretArn: secret.secretArn,
          Configure: permissions[role].configure,
          Write: permissions[role].write,
          Read: permissions[role].read,
        })),
        // A replaced broker is empty: a new id makes CloudFormation update the resource, which applies it again.
        BrokerId: props.broker.id,
        VirtualHost: props.broker.virtualHost,
      },
    });
  }
}
