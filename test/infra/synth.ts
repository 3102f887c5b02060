import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addEnvironment, type ManagerStacks } from '../../infra/aws/bin/app.js';
import { environmentConfig, type EnvironmentConfig, type EnvironmentConfigInput, type EnvironmentName } from '../../infra/aws/config/environments.js';

/** Bundling takes seconds per function; assertions on templates do not need the bundles. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] as string[] };

export interface SynthesizedEnvironment {
  config: EnvironmentConfig;
  stacks: ManagerStacks;
  stateful: Template;
  stateless: Template;
}

/** Both stacks of one environment, synthesised without bundling. */
export function synthEnvironment(name: EnvironmentName, overrides: Partial<EnvironmentConfigInput> = {}): SynthesizedEnvironment {
  const app = new App({ context: SKIP_BUNDLING });
  const config = environmentConfig(name, overrides);
  const stacks = addEnvironment(app, config);
  return { config, stacks, stateful: Template.fromStack(stacks.stateful), stateless: Template.fromStack(stacks.stateless) };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;

/** The resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The logical id CDK derived from a construct path: `<path without separators><8 hex digits>`. */
export function logicalId(template: Template, type: string, pathId: string): string {
  const pattern = new RegExp(`^${pathId}[0-9A-F]{8}$`);
  const found = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  const [id] = found;
  if (id === undefined || found.length > 1) throw new Error(`expected one ${type} with id ${pathId}…, found ${found.join(', ') || 'none'}`);
  return id;
}
