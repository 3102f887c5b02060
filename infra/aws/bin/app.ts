import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Tags } from 'aws-cdk-lib';
import { environmentConfig, selectEnvironments, type EnvironmentConfig } from '../config/environments.js';
import { StatefulStack } from '../stacks/stateful-stack.js';
import { StatelessStack } from '../stacks/stateless-stack.js';

// cdk (-c env=dev | -c env=prod | nothing for every environment) --> two stacks per environment

export interface ManagerStacks {
  stateful: StatefulStack;
  stateless: StatelessStack;
}

/** The stacks of one environment: data in one, code in the other, so a code deploy never touches the data. */
export function addEnvironment(app: App, config: EnvironmentConfig): ManagerStacks {
  const env = {
    account: config.account ?? process.env['CDK_DEFAULT_ACCOUNT'],
    region: config.region ?? process.env['CDK_DEFAULT_REGION'],
  };
  const prefix = `WorkerManager-${config.name}`;
  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    env,
    config,
    description: `Worker manager (${config.name}): table, broker, broker credentials`,
    terminationProtection: config.removalPolicy === 'retain',
  });
  const stateless = new StatelessStack(app, `${prefix}-Stateless`, {
    env,
    config,
    table: stateful.table,
    brokerSecrets: { admin: stateful.brokerSecret, users: stateful.brokerUsers },
    description: `Worker manager (${config.name}): functions, event sources, schedule, broker topology, alarms`,
  });
  // The broker's values reach the stateless stack through SSM parameters, not references: the order is explicit.
  stateless.addStackDependency(stateful);
  for (const stack of [stateful, stateless]) {
    Tags.of(stack).add('app', 'worker-manager');
    Tags.of(stack).add('environment', config.name);
  }
  return { stateful, stateless };
}

export function buildApp(app: App = new App()): App {
  for (const name of selectEnvironments(app.node.tryGetContext('env'))) addEnvironment(app, environmentConfig(name));
  return app;
}

// Run by the CDK CLI (cdk.json) and importable by tests without synthesising.
const script = process.argv[1];
if (script !== undefined && import.meta.url === pathToFileURL(path.resolve(script)).href) {
  buildApp().synth();
}
