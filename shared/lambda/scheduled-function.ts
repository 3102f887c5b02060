import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import type { Logger } from '../kernel/logger.js';
import { parseEnv } from './env.js';
import { localContext } from './mq-function.js';

// EventBridge Scheduler (local: the schedule emulator) --> (scheduled function) --> one use case

export interface ScheduledFunctionDefinition<Env, Deps extends { logger: Logger }> {
  name: string;
  envSchema: z.ZodType<Env>;
  /** The composition root: builds the ports from the validated environment, once per warm process (may be async: secrets). */
  compose: (env: Env) => Deps | Promise<Deps>;
  /** The use case. The schedule's payload carries nothing it needs, so it is not passed. */
  run: (deps: Deps) => Promise<unknown>;
}

export type ScheduledHandler = (event?: unknown, context?: Context) => Promise<unknown>;

export interface ScheduledFunction<Deps> {
  /** The Lambda entry point, composed from process.env. */
  handler: ScheduledHandler;
  /** The same handler over given ports: what tests and the local host use. */
  withDeps: (deps: Deps) => ScheduledHandler;
}

export function defineScheduledFunction<Env, Deps extends { logger: Logger }>(
  definition: ScheduledFunctionDefinition<Env, Deps>,
): ScheduledFunction<Deps> {
  const withDeps = (deps: Deps): ScheduledHandler => {
    const wrapped = middy<unknown, unknown>(() => definition.run(deps), { timeoutEarlyInMillis: 0 }).onError((request) => {
      deps.logger.error('scheduled run failed', { fn: definition.name, error: request.error });
    });
    return (event, context) => wrapped(event ?? {}, context ?? localContext(definition.name));
  };
  let composed: Promise<ScheduledHandler> | undefined;
  const handler: ScheduledHandler = async (event, context) => {
    composed ??= Promise.resolve(definition.compose(parseEnv(definition.envSchema, process.env))).then(withDeps);
    // A failed composition (bad environment, unreadable secret) is retried at the next run.
    composed.catch(() => {
      composed = undefined;
    });
    return (await composed)(event, context);
  };
  return { handler, withDeps };
}
