import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import type { Logger } from '../kernel/logger.js';
import type { Metrics } from '../ports/metrics.js';
import { parseEnv } from './env.js';
import { LambdaLogger } from './lambda-logger.js';

// Lambda runtime | local host | tests --> (defineFunction) --> decode --> one use case --> shape

/** What every composition carries: the logger the wrapper and the use case write to. */
export interface Composed {
  logger: Logger;
  /** Where the invocation's metrics go; the wrapper flushes them once per invocation, failed or not. */
  metrics?: Metrics;
}

/** The Lambda context as a function sees it: the `before` middleware puts the composed dependencies and the invocation's logger on it. */
export interface InvocationContext<Deps extends Composed = Composed> extends Context {
  /** The composed dependencies: one object for every invocation of a warm process. */
  deps: Deps;
  /** The function's name in the manager (register-requests, sweep, ...): a metric dimension, unlike Lambda's physical `functionName`. */
  name: string;
  /**
   * `deps.logger` for this invocation, naming the function and its request id. In Lambda the
   * Lambda logger puts the request id on every line of the process already, so only `fn` is added.
   */
  logger: Logger;
}

export interface ErrorPath<Result> {
  /** Logged at error level with the error, by the invocation's logger. */
  message: string;
  /**
   * Turns the error into the answer. Without it the error is rethrown: the invocation fails, so
   * the event source redelivers the batch, or Lambda retries the asynchronous event.
   */
  answer?: (error: unknown) => Result;
}

export interface FunctionDefinition<Env, Deps extends Composed, Event, Input, Output, Result> {
  /** The function's name in the manager (register-requests, sweep, ...), on every line the wrapper writes. */
  name: string;
  envSchema: z.ZodType<Env>;
  /**
   * The composition root: builds the ports from the validated environment, once per warm process
   * (it may be async, e.g. to read the broker credentials from Secrets Manager).
   */
  compose: (env: Env) => Deps | Promise<Deps>;
  /** Reads the event; what it throws takes the error path like any other failure. */
  decode: (event: Event, context: InvocationContext<Deps>) => Input;
  /** The use case. */
  run: (input: Input, deps: Deps, context: InvocationContext<Deps>) => Promise<Output>;
  /** What the invocation returns; without it, the use case's output. */
  shape?: (output: Output) => Result;
  onError: ErrorPath<Result>;
}

export type FunctionHandler<Event, Result> = (event: Event, context?: Context) => Promise<Result>;

export interface LambdaFunction<Deps, Event, Result> {
  name: string;
  /** The Lambda entry point, composed from process.env. */
  handler: FunctionHandler<Event, Result>;
  /** The same handler over given dependencies: what tests and the local host's in-process wiring use. */
  withDeps: (deps: Deps) => FunctionHandler<Event, Result>;
}

/**
 * One Lambda function: environment, composition, decoding, use case, shaping, error path. The
 * Lambda `handler` composes once per warm process; a failed composition (bad environment,
 * unreadable secret) is not kept, so the next event tries again.
 */
export function defineFunction<Env, Deps extends Composed, Event, Input, Output, Result = Output>(
  definition: FunctionDefinition<Env, Deps, Event, Input, Output, Result>,
): LambdaFunction<Deps, Event, Result> {
  const { name, decode, run, shape, onError } = definition;
  const withDeps = (deps: Deps): FunctionHandler<Event, Result> => {
    const base = async (event: Event, context: InvocationContext<Deps>): Promise<Result> => {
      const output = await run(decode(event, context), context.deps, context);
      // Without `shape`, Result is Output (its default): the output is the answer as it is.
      return shape === undefined ? (output as unknown as Result) : shape(output);
    };
    // No early timeout: the use cases watch the remaining time themselves (run-bulk-jobs) or are bounded.
    const wrapped = middy<Event, Result, Error, InvocationContext<Deps>>(base, { timeoutEarlyInMillis: 0 });
    const logger = deps.logger;
    if (logger instanceof LambdaLogger) wrapped.use({ name: 'lambda-context', before: ({ context }) => logger.addContext(context) });
    // Registered before the error path: middy runs `after` and `onError` in reverse, so metrics are flushed last.
    wrapped.use(flushMetrics(deps)).use(invocationContext(name, deps)).use(errorPath<Event, Deps, Result>(deps, onError));
    // The context is completed by the `before` middleware.
    return (event, context) => wrapped(event, (context ?? localContext(name)) as InvocationContext<Deps>);
  };
  let composed: Promise<FunctionHandler<Event, Result>> | undefined;
  const compose = async () => withDeps(await definition.compose(parseEnv(definition.envSchema, process.env)));
  const handler: FunctionHandler<Event, Result> = async (event, context) => {
    if (composed === undefined) {
      composed = compose();
      composed.catch(() => {
        composed = undefined;
      });
    }
    return (await composed)(event, context);
  };
  return { name, handler, withDeps };
}

function invocationContext<Deps extends Composed>(name: string, deps: Deps): MiddlewareObj<unknown, unknown, Error, InvocationContext<Deps>> {
  return {
    name: 'invocation-context',
    before: ({ context }) => {
      context.deps = deps;
      context.name = name;
      context.logger = deps.logger instanceof LambdaLogger ? deps.logger.child({ fn: name }) : deps.logger.child({ fn: name, requestId: context.awsRequestId });
    },
  };
}

/** One flush per invocation, after a success or a failure: a metric's own failure is logged, never the invocation's. */
function flushMetrics<Deps extends Composed>(deps: Deps): MiddlewareObj<unknown, unknown, Error, InvocationContext<Deps>> {
  const flush = () => {
    try {
      deps.metrics?.flush();
    } catch (error) {
      deps.logger.warn('metrics could not be flushed', { error });
    }
  };
  return { name: 'flush-metrics', after: flush, onError: flush };
}

function errorPath<Event, Deps extends Composed, Result>(deps: Deps, path: ErrorPath<Result>): MiddlewareObj<Event, Result, Error, InvocationContext<Deps>> {
  return {
    name: 'error-path',
    onError: (request) => {
      // The context's logger is missing only if a `before` middleware failed before it was set.
      const logger = (request.context.logger as Logger | undefined) ?? deps.logger;
      logger.error(path.message, { error: request.error });
      // middy rethrows the error when no middleware set a response.
      if (path.answer !== undefined) request.response = path.answer(request.error);
    },
  };
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
