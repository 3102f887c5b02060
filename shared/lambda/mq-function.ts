import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { normalizeAmazonMqEvent, type NormalizedBatch } from '../contract/amazon-mq-event.js';
import type { Logger } from '../kernel/logger.js';
import { parseEnv } from './env.js';

// Amazon MQ event source --> (mq function) --> one use case

export interface MqFunctionDefinition<Env, Deps extends { logger: Logger }> {
  name: string;
  envSchema: z.ZodType<Env>;
  /**
   * The composition root: builds the ports from the validated environment, once per warm process
   * (it may be async, e.g. to read the broker credentials from Secrets Manager).
   */
  compose: (env: Env) => Deps | Promise<Deps>;
  /** The use case; it throws only on infrastructure failure, which makes the event source redeliver the batch. */
  run: (batch: NormalizedBatch, deps: Deps) => Promise<unknown>;
}

export type MqHandler = (event: unknown, context?: Context) => Promise<void>;

export interface MqFunction<Deps> {
  /** The Lambda entry point, composed from process.env. */
  handler: MqHandler;
  /** The same handler over given ports: what tests and the local host's in-process wiring use. */
  withDeps: (deps: Deps) => MqHandler;
}

export function defineMqFunction<Env, Deps extends { logger: Logger }>(
  definition: MqFunctionDefinition<Env, Deps>,
): MqFunction<Deps> {
  const withDeps = (deps: Deps): MqHandler => {
    const base = async (event: unknown): Promise<void> => {
      const batch = normalizeAmazonMqEvent(event);
      for (const bad of batch.unreadable) {
        deps.logger.error('unreadable message skipped', { fn: definition.name, queue: bad.queue, reason: bad.reason });
      }
      await definition.run(batch, deps);
    };
    const wrapped = middy<unknown, void>(base, { timeoutEarlyInMillis: 0 }).onError((request) => {
      deps.logger.error('batch failed, it will be redelivered', { fn: definition.name, error: request.error });
    });
    return (event, context) => wrapped(event, context ?? localContext(definition.name));
  };
  let composed: Promise<MqHandler> | undefined;
  const handler: MqHandler = async (event, context) => {
    composed ??= Promise.resolve(definition.compose(parseEnv(definition.envSchema, process.env))).then(withDeps);
    // A failed composition (bad environment, unreadable secret) is retried at the next event.
    composed.catch(() => {
      composed = undefined;
    });
    return (await composed)(event, context);
  };
  return { handler, withDeps };
}

/** The context a local invocation gets: no deadline, as the local host has none. */
export function localContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 900_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
