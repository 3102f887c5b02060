import { GetFunctionConfigurationCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import {
  BridgeConfigSchema,
  bridgedFunctionNames,
  BridgeStartError,
  deployedSettings,
  invokeFunction,
  LambdaFunctionError,
  LambdaInvocationError,
  lambdaEventSourceHandler,
  type InvokeResult,
  type LambdaConfigurationClient,
  type LambdaInvokeClient,
} from '../../../localstack/bridge.js';
import type { AmazonMqEvent } from '../../../shared/contract/amazon-mq-event.js';
import { DEFAULT_MANAGER_SETTINGS, eventSourceMappings, ManagerSettingsSchema } from '../../../shared/contract/manager-settings.js';
import { CapturingLogger } from '../../support/capturing-logger.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** A Lambda API stand-in: records what it was sent and answers what the test says. */
function fakeLambda(answer: InvokeResult | Error): LambdaInvokeClient & { sent: InvokeCommand[] } {
  const sent: InvokeCommand[] = [];
  return {
    sent,
    async send(command) {
      sent.push(command);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const EVENT: AmazonMqEvent = {
  eventSource: 'aws:rmq',
  eventSourceArn: 'arn:aws:mq:us-east-1:000000000000:broker:local:b-1',
  rmqMessagesByQueue: { 'requests::/': [] },
};

/** What the Node.js runtime returns for a handler that threw. */
const UNHANDLED: InvokeResult = {
  StatusCode: 200,
  FunctionError: 'Unhandled',
  Payload: bytes(JSON.stringify({ errorType: 'StoreUnavailableError', errorMessage: 'store unreachable', trace: ['at x'] })),
  LogResult: Buffer.from('ERROR batch failed, it will be redelivered\n').toString('base64'),
};

describe('LocalStack bridge: invokeFunction', () => {
  it('turns a FunctionError answer into a thrown LambdaFunctionError carrying the error and the log tail', async () => {
    // Prepare
    const lambda = fakeLambda(UNHANDLED);
    // Act
    const invocation = invokeFunction(lambda, 'worker-manager-register-requests', EVENT);
    // Assess
    const error = await invocation.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(LambdaFunctionError);
    expect(error).toMatchObject({
      functionName: 'worker-manager-register-requests',
      functionError: 'Unhandled',
      payload: { errorType: 'StoreUnavailableError', errorMessage: 'store unreachable' },
      logTail: 'ERROR batch failed, it will be redelivered\n',
    });
    expect((error as Error).message).toContain('StoreUnavailableError: store unreachable');
  });

  it('sends one synchronous invocation with the event as its JSON payload, and returns the parsed answer', async () => {
    // Prepare
    const lambda = fakeLambda({ StatusCode: 200, Payload: bytes('{"swept":3}') });
    // Act
    const result = await invokeFunction(lambda, 'worker-manager-sweep', EVENT);
    // Assess
    expect(result).toEqual({ swept: 3 });
    expect(lambda.sent).toHaveLength(1);
    const input = lambda.sent[0]?.input;
    expect(input).toMatchObject({ FunctionName: 'worker-manager-sweep', InvocationType: 'RequestResponse', LogType: 'Tail' });
    expect(JSON.parse(Buffer.from(input?.Payload as Uint8Array).toString('utf8'))).toEqual(EVENT);
  });

  it('returns undefined for a handler that returned nothing (an empty or null payload)', async () => {
    // Act
    const empty = await invokeFunction(fakeLambda({ StatusCode: 200, Payload: new Uint8Array() }), 'f', EVENT);
    const nothing = await invokeFunction(fakeLambda({ StatusCode: 200 }), 'f', EVENT);
    // Assess
    expect(empty).toBeUndefined();
    expect(nothing).toBeUndefined();
  });

  it('fails on an answer outside 2xx even without a FunctionError', async () => {
    // Act
    const invocation = invokeFunction(fakeLambda({ StatusCode: 500 }), 'f', EVENT);
    // Assess
    await expect(invocation).rejects.toBeInstanceOf(LambdaInvocationError);
  });

  it('keeps the message of a FunctionError whose payload is not JSON', async () => {
    // Act
    const invocation = invokeFunction(
      fakeLambda({ StatusCode: 200, FunctionError: 'Unhandled', Payload: bytes('Task timed out after 60.00 seconds') }),
      'f',
      EVENT,
    );
    // Assess
    await expect(invocation).rejects.toThrow('f failed (Unhandled): Task timed out after 60.00 seconds');
  });

  it('lets an error of the Lambda API itself through (the batch is requeued by the emulator)', async () => {
    // Prepare
    const refused = Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' });
    // Act
    const invocation = invokeFunction(fakeLambda(refused), 'f', EVENT);
    // Assess
    await expect(invocation).rejects.toBe(refused);
  });
});

describe('LocalStack bridge: lambdaEventSourceHandler', () => {
  it('rejects on a FunctionError, so the emulator requeues the whole batch, and logs the function log tail', async () => {
    // Prepare
    const logger = new CapturingLogger();
    const handler = lambdaEventSourceHandler(fakeLambda(UNHANDLED), 'worker-manager-record-heartbeats', logger);
    // Act
    const handled = handler(EVENT);
    // Assess
    await expect(handled).rejects.toBeInstanceOf(LambdaFunctionError);
    expect(logger.entries).toEqual([
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ function: 'worker-manager-record-heartbeats', log: 'ERROR batch failed, it will be redelivered\n' }),
      }),
    ]);
  });

  it('resolves when the function succeeded, so the emulator acks the batch', async () => {
    // Prepare
    const lambda = fakeLambda({ StatusCode: 200, Payload: bytes('null') });
    const handler = lambdaEventSourceHandler(lambda, 'worker-manager-register-requests');
    // Act
    const handled = handler(EVENT);
    // Assess
    await expect(handled).resolves.toBeNull();
    expect(lambda.sent[0]?.input.FunctionName).toBe('worker-manager-register-requests');
  });
});

describe('LocalStack bridge: deployedSettings', () => {
  function fakeConfigurations(variables: Record<string, Record<string, string> | Error>): LambdaConfigurationClient {
    return {
      async send(command: GetFunctionConfigurationCommand) {
        const found = variables[command.input.FunctionName ?? ''];
        if (found === undefined) throw Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' });
        if (found instanceof Error) throw found;
        return { Environment: { Variables: found } };
      },
    };
  }
  const custom = ManagerSettingsSchema.parse({ names: { requestQueue: 'custom.requests' }, deliveryLimit: 7 });

  it('returns the settings every deployed function runs with', async () => {
    // Prepare
    const lambda = fakeConfigurations({ a: { WM_SETTINGS: JSON.stringify(custom) }, b: { WM_SETTINGS: JSON.stringify(custom), OTHER: 'x' } });
    // Act
    const settings = await deployedSettings(lambda, ['a', 'b']);
    // Assess
    expect(settings).toEqual(custom);
    expect(eventSourceMappings(settings)[0]?.queue).toBe('custom.requests');
  });

  it('reads a function without WM_SETTINGS as the defaults, as the function itself does', async () => {
    // Act
    const settings = await deployedSettings(fakeConfigurations({ a: {} }), ['a']);
    // Assess
    expect(settings).toEqual(DEFAULT_MANAGER_SETTINGS);
  });

  it('refuses functions that disagree on their settings', async () => {
    // Prepare
    const lambda = fakeConfigurations({ a: { WM_SETTINGS: JSON.stringify(custom) }, b: { WM_SETTINGS: '{}' } });
    // Act
    const read = deployedSettings(lambda, ['a', 'b']);
    // Assess
    await expect(read).rejects.toThrow(BridgeStartError);
    await expect(read).rejects.toThrow('different WM_SETTINGS');
  });

  it('refuses to start when a function is not deployed, naming it and the deploy script', async () => {
    // Act
    const read = deployedSettings(fakeConfigurations({ a: {} }), ['a', 'worker-manager-sweep']);
    // Assess
    await expect(read).rejects.toThrow(/worker-manager-sweep.*ResourceNotFoundException.*deploy\.sh/);
  });

  it('refuses a WM_SETTINGS that is not valid settings', async () => {
    // Act
    const read = deployedSettings(fakeConfigurations({ a: { WM_SETTINGS: '{"deliveryLimit":0}' } }), ['a']);
    // Assess
    await expect(read).rejects.toThrow('invalid WM_SETTINGS');
  });
});

describe('LocalStack bridge: configuration', () => {
  it('names one deployed function per event source mapping, plus the sweep', () => {
    // Act
    const names = bridgedFunctionNames('wm-');
    // Assess
    for (const mapping of eventSourceMappings(DEFAULT_MANAGER_SETTINGS)) expect(names[mapping.functionName]).toBe(`wm-${mapping.functionName}`);
    expect(names.sweep).toBe('wm-sweep');
  });

  it('defaults to the compose services as the host reaches them and to a one-minute sweep', () => {
    // Act
    const config = BridgeConfigSchema.parse({});
    // Assess
    expect(config).toMatchObject({
      LOCALSTACK_ENDPOINT: 'http://127.0.0.1:4566',
      AMQP_URL: 'amqp://worker-manager:worker-manager@127.0.0.1:5672',
      WM_FUNCTION_PREFIX: 'worker-manager-',
      SWEEP_INTERVAL_SECONDS: 60,
    });
  });
});
