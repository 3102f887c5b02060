import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  type GetFunctionConfigurationCommandOutput,
  type InvokeCommandOutput,
} from '@aws-sdk/client-lambda';
import * as z from 'zod';
import { EventSourceEmulator, type EventSourceHandler } from '../infra/local/event-source-emulator.js';
import { PrettyLogger } from '../infra/local/pretty-logger.js';
import { ScheduleEmulator } from '../infra/local/schedule-emulator.js';
import { applyTopology } from '../shared/amqp-kit/topology.js';
import { AmqpConnectionProvider } from '../shared/amqp-kit/connection.js';
import { eventSourceMappings, ManagerSettingsSchema, topologyOptions, type ManagerSettings, type MappedFunction } from '../shared/contract/manager-settings.js';
import { deadLetterRouteOf, managerTopology } from '../shared/contract/topology.js';
import { BaseEnvSchema, jsonEnv } from '../shared/lambda/env.js';
import { JsonLogger } from '../shared/lambda/json-logger.js';
import type { Logger } from '../shared/kernel/logger.js';
import { AppError } from '../shared/kernel/errors.js';
import { DEFAULT_FUNCTION_PREFIX, deployedFunctionName, LOCALSTACK_REGION } from './deployment.js';

/*
 * `npx tsx localstack/bridge.ts`: what LocalStack cannot do for the deployed functions. LocalStack
 * has no RabbitMQ event source mapping and its Scheduler never fires, so this process consumes the
 * input queues with the project's EventSourceEmulator and invokes each deployed function through
 * the Lambda API with the exact `aws:rmq` event, and invokes `sweep` every minute. A function
 * error makes the emulator requeue the whole batch, as the real mapping redelivers it.
 */

export type BridgedFunction = MappedFunction | 'sweep';

/** What the bridge reads of an Invoke answer (the SDK's Payload is a Uint8Array subclass). */
export type InvokeResult = Pick<InvokeCommandOutput, 'StatusCode' | 'FunctionError' | 'LogResult'> & {
  Payload?: Uint8Array | undefined;
};

/** The one call of the Lambda API an invocation needs: a LambdaClient, or a fake in tests. */
export interface LambdaInvokeClient {
  send(command: InvokeCommand): Promise<InvokeResult>;
}

export interface LambdaConfigurationClient {
  send(command: GetFunctionConfigurationCommand): Promise<Pick<GetFunctionConfigurationCommandOutput, 'Environment'>>;
}

/** The function ran and failed (Lambda's FunctionError): the batch must be redelivered. */
export class LambdaFunctionError extends AppError {
  public override readonly name = 'LambdaFunctionError';
  public constructor(
    message: string,
    public readonly functionName: string,
    /** `Unhandled` for a thrown error, `Handled` for a callback error. */
    public readonly functionError: string,
    /** The payload Lambda returned: `{ errorType, errorMessage, trace }` for a Node.js function. */
    public readonly payload: unknown,
    /** The last 4 KB of the invocation's log, when Lambda returned it. */
    public readonly logTail: string | undefined,
  ) {
    super(message);
  }
}

/** The invocation itself was refused (status outside 2xx without a FunctionError). */
export class LambdaInvocationError extends AppError {
  public override readonly name = 'LambdaInvocationError';
  public constructor(message: string) {
    super(message);
  }
}

export class BridgeStartError extends AppError {
  public override readonly name = 'BridgeStartError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

function decodePayload(payload: Uint8Array | undefined): unknown {
  if (payload === undefined || payload.byteLength === 0) return undefined;
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeFailure(payload: unknown): string {
  if (typeof payload === 'object' && payload !== null) {
    const { errorType, errorMessage } = payload as { errorType?: unknown; errorMessage?: unknown };
    if (typeof errorMessage === 'string') return typeof errorType === 'string' ? `${errorType}: ${errorMessage}` : errorMessage;
  }
  return typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? 'no payload');
}

/**
 * One synchronous invocation. Lambda answers a function that threw with HTTP 200 and a
 * FunctionError, not with an SDK exception, so that field is what tells a failed batch apart.
 */
export async function invokeFunction(lambda: LambdaInvokeClient, functionName: string, event: unknown): Promise<unknown> {
  const output = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      LogType: 'Tail',
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  const payload = decodePayload(output.Payload);
  if (output.FunctionError !== undefined && output.FunctionError !== '') {
    const logTail = output.LogResult === undefined ? undefined : Buffer.from(output.LogResult, 'base64').toString('utf8');
    throw new LambdaFunctionError(
      `${functionName} failed (${output.FunctionError}): ${describeFailure(payload)}`,
      functionName,
      output.FunctionError,
      payload,
      logTail,
    );
  }
  const status = output.StatusCode;
  if (status !== undefined && (status < 200 || status >= 300)) {
    throw new LambdaInvocationError(`${functionName} invocation answered status ${status}`);
  }
  return payload;
}

/** The event source handler of one mapping: the deployed function, through the Lambda API. */
export function lambdaEventSourceHandler(lambda: LambdaInvokeClient, functionName: string, logger?: Logger): EventSourceHandler {
  return async (event) => {
    try {
      return await invokeFunction(lambda, functionName, event);
    } catch (error) {
      // The emulator logs only the error's message; the function's own log says why.
      if (error instanceof LambdaFunctionError && error.logTail !== undefined) {
        logger?.warn('function failed; the end of its log follows', { function: functionName, log: error.logTail });
      }
      throw error;
    }
  };
}

/** The deployed name of every function the bridge drives. */
export function bridgedFunctionNames(prefix: string): Record<BridgedFunction, string> {
  const names = {} as Record<BridgedFunction, string>;
  for (const fn of ['register-requests', 'handle-worker-responses', 'record-heartbeats', 'handle-worker-dead-letters', 'sweep'] as const) {
    names[fn] = deployedFunctionName(prefix, fn);
  }
  return names;
}

const SettingsVariableSchema = jsonEnv(ManagerSettingsSchema);

/**
 * The settings the deployed functions run with (their WM_SETTINGS), so the bridge consumes the
 * queues those functions expect. It also proves every function is deployed before any message is
 * taken: a missing one would fail and requeue its batches forever.
 */
export async function deployedSettings(lambda: LambdaConfigurationClient, functionNames: readonly string[]): Promise<ManagerSettings> {
  let first: { functionName: string; settings: ManagerSettings; json: string } | undefined;
  for (const functionName of functionNames) {
    let output: Pick<GetFunctionConfigurationCommandOutput, 'Environment'>;
    try {
      output = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new BridgeStartError(`cannot read the configuration of ${functionName} (${reason}); deploy with localstack/scripts/deploy.sh`, {
        cause: error,
      });
    }
    const parsed = SettingsVariableSchema.safeParse(output.Environment?.Variables?.['WM_SETTINGS']);
    if (!parsed.success) {
      throw new BridgeStartError(`${functionName} has an invalid WM_SETTINGS:\n${z.prettifyError(parsed.error)}`);
    }
    const json = JSON.stringify(parsed.data);
    if (first === undefined) {
      first = { functionName, settings: parsed.data, json };
    } else if (json !== first.json) {
      throw new BridgeStartError(`${functionName} and ${first.functionName} run with different WM_SETTINGS; redeploy them from one build`);
    }
  }
  if (first === undefined) throw new BridgeStartError('no function to read the settings from');
  return first.settings;
}

export interface BridgeOptions {
  lambda: LambdaInvokeClient;
  /** The broker as this process reaches it (the functions reach the same one by its compose name). */
  amqpUrl: string;
  settings: ManagerSettings;
  functionNames: Record<BridgedFunction, string>;
  /** Every minute, as EventBridge Scheduler would; false leaves the sweep to the caller. */
  sweepIntervalMs: number | false;
  logger: Logger;
}

export interface Bridge {
  /** By queue: one per mapping, so one per shard of a sharded queue. */
  readonly emulators: ReadonlyMap<string, EventSourceEmulator>;
  readonly sweeper: ScheduleEmulator | undefined;
  /** Stops the sweep, lets the invocations in flight finish and settle, requeues the rest. */
  stop(): Promise<void>;
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const { settings, logger, lambda, functionNames } = options;
  const provider = new AmqpConnectionProvider({ url: options.amqpUrl, connectionName: `worker-manager-localstack-bridge:${process.pid}`, logger });
  const emulators = new Map<string, EventSourceEmulator>();
  try {
    // In AWS the broker-topology custom resource declares the queues before the mappings exist.
    await applyTopology(provider, managerTopology(settings.names, topologyOptions(settings)), {
      onWarning: (warning) => logger.warn('broker topology differs from ours; kept as is', { ...warning }),
    });
    for (const mapping of eventSourceMappings(settings)) {
      const functionName = functionNames[mapping.functionName];
      const fnLogger = logger.child({ fn: mapping.functionName });
      emulators.set(
        mapping.queue,
        EventSourceEmulator.forMapping(mapping, provider, lambdaEventSourceHandler(lambda, functionName, fnLogger), {
          logger: fnLogger,
          deadLetterTo: deadLetterRouteOf(settings.names, mapping.queue),
        }),
      );
    }
    await Promise.all([...emulators.values()].map((emulator) => emulator.start()));
  } catch (error) {
    await Promise.all([...emulators.values()].map((emulator) => emulator.stop().catch(() => undefined)));
    await provider.close().catch(() => undefined);
    throw error;
  }

  let sweeper: ScheduleEmulator | undefined;
  if (options.sweepIntervalMs !== false) {
    const sweepLogger = logger.child({ fn: 'sweep' });
    // Synchronous, unlike Scheduler's asynchronous invoke, so a failed sweep shows in this log;
    // the schedule has retryAttempts 0, so in neither case is a failed run retried.
    sweeper = new ScheduleEmulator({
      name: 'sweep',
      intervalMs: options.sweepIntervalMs,
      run: () => invokeFunction(lambda, functionNames.sweep, {}),
      logger: sweepLogger,
    });
    sweeper.start();
  }

  return {
    emulators,
    sweeper,
    async stop() {
      await sweeper?.stop();
      await Promise.all([...emulators.values()].map((emulator) => emulator.stop()));
      await provider.close();
    },
  };
}

export const BridgeConfigSchema = z.object({
  /** LocalStack's edge port as the host sees it (docker-compose.yml publishes it on 127.0.0.1). */
  LOCALSTACK_ENDPOINT: z.url().default('http://127.0.0.1:4566'),
  /** The compose RabbitMQ as the host sees it; the functions use the compose name instead. */
  AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
    .default('amqp://worker-manager:worker-manager@127.0.0.1:5672'),
  WM_FUNCTION_PREFIX: z.string().default(DEFAULT_FUNCTION_PREFIX),
  /** EventBridge Scheduler's rate in the stack; lower it to watch deadlines without waiting. */
  SWEEP_INTERVAL_SECONDS: z.coerce.number().min(1).default(60),
  LOG_LEVEL: BaseEnvSchema.shape.LOG_LEVEL,
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
});
export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;

/**
 * A client for LocalStack only. Fixed test credentials: a developer's real AWS credentials are
 * never picked up, and LocalStack maps them to account 000000000000, where the hooks deployed.
 * One attempt: a failed invocation is requeued by the emulator and redelivered, as Lambda does.
 */
export function localstackLambdaClient(endpoint: string): LambdaClient {
  return new LambdaClient({
    endpoint,
    region: LOCALSTACK_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

async function main(): Promise<number> {
  const parsed = BridgeConfigSchema.safeParse(process.env);
  if (!parsed.success) throw new BridgeStartError(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  const format = config.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const logger: Logger = format === 'pretty' ? new PrettyLogger(config.LOG_LEVEL, { fn: 'bridge' }) : new JsonLogger(config.LOG_LEVEL, { fn: 'bridge' });

  const lambda = localstackLambdaClient(config.LOCALSTACK_ENDPOINT);
  const functionNames = bridgedFunctionNames(config.WM_FUNCTION_PREFIX);
  const settings = await deployedSettings(lambda, Object.values(functionNames));
  const bridge = await startBridge({
    lambda,
    amqpUrl: config.AMQP_URL,
    settings,
    functionNames,
    sweepIntervalMs: config.SWEEP_INTERVAL_SECONDS * 1000,
    logger,
  });
  process.stdout.write(
    [
      '',
      `bridge running: RabbitMQ ${new AmqpConnectionProvider(config.AMQP_URL).redactedUrl} -> Lambda at ${config.LOCALSTACK_ENDPOINT}`,
      ...eventSourceMappings(settings).map((mapping) => `  queue ${mapping.queue} -> ${functionNames[mapping.functionName]} (batch ${mapping.batchSize})`),
      `  every ${config.SWEEP_INTERVAL_SECONDS} s -> ${functionNames.sweep}`,
      'Stop with Ctrl-C: invocations in flight finish first.',
      '',
    ].join('\n'),
  );

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        resolveExit(1);
        return;
      }
      stopping = true;
      logger.info('stopping: letting invocations in flight finish', { signal });
      bridge.stop().then(
        () => {
          lambda.destroy();
          resolveExit(0);
        },
        (error: unknown) => {
          logger.error('stop failed', { error });
          resolveExit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function isMain(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href;
}

if (isMain()) {
  // The SDK's Node 22 notice says nothing about this run; other warnings still show.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'NodeVersionSupportWarning') process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      process.stderr.write(`\nlocalstack bridge cannot run: ${message}\n\n`);
      process.exit(1);
    },
  );
}
