import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import amqp, { type ChannelModel } from 'amqplib';
import { deadLetterQueues } from '../../../functions/sweep/metrics.js';
import { apiPath, ManagementClient } from '../../../shared/amqp-kit/management.js';
import { Header } from '../../../shared/contract/headers.js';
import { brokerUrl, BrokerCredentialsSchema, type BrokerCredentials } from '../../../shared/lambda/broker-url.js';
import { signToken } from '../../../shared/lambda/auth.js';
import { startWorker } from '../../../shared/worker-sdk/src/index.js';
import { managementUrlOf } from '../../../functions/broker-topology/virtual-host.js';
import { environmentConfig } from '../config/environments.js';
import {
  EventSourceMappingAnswerSchema,
  judge,
  SmokeSetupError,
  smokeTargets,
  stackOutputs,
  type EventSourceMappingAnswer,
  type RequestOutcome,
  type SmokeTargets,
} from './verdict.js';

/*
 * `npm run smoke -- -c env=dev [--requests 20]`, for someone who has just run `cdk deploy`: reads
 * the stack outputs, configures a throwaway worker type through the admin API, runs a test worker
 * (the worker SDK) as the workers' user, publishes N requests as the clients' user, forces one work
 * item to fail (the worker rejects it: dead-lettered, its request must end in ERROR), then reads
 * every request's final state, each event source mapping's state and last processing result, the
 * dead-letter depths and the input queue types, and prints one verdict line (exit code 1 on FAIL).
 * Needs the AWS CLI with credentials for the account, and a network that reaches the broker (a
 * private broker: run it from inside its VPC). Not run here: no account (see infra/aws/README.md).
 */

const execFileAsync = promisify(execFile);
const TIMEOUT_MS = 180_000;

async function aws(...args: string[]): Promise<unknown> {
  const { stdout } = await execFileAsync('aws', [...args, '--output', 'json'], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as unknown;
}

async function secretString(secretId: string): Promise<string> {
  const answer = (await aws('secretsmanager', 'get-secret-value', '--secret-id', secretId)) as { SecretString?: string };
  if (answer.SecretString === undefined) throw new SmokeSetupError(`secret ${secretId} has no string value`);
  return answer.SecretString;
}

async function credentials(secretId: string): Promise<BrokerCredentials> {
  return BrokerCredentialsSchema.parse(JSON.parse(await secretString(secretId)));
}

export function parseArguments(argv: readonly string[]): { environment: string; requests: number } {
  let environment: string | undefined;
  let requests = 20;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    const value = argv[index + 1];
    if (argument === '-c' && value?.startsWith('env=')) {
      environment = value.slice('env='.length);
      index += 1;
    } else if (argument === '--requests' && value !== undefined) {
      requests = Number(value);
      index += 1;
    }
  }
  if (environment === undefined) throw new SmokeSetupError('usage: npm run smoke -- -c env=<dev|prod> [--requests N]');
  if (!Number.isInteger(requests) || requests < 2 || requests > 1_000) throw new SmokeSetupError('--requests takes 2 to 1000 (one of them is forced to fail)');
  return { environment, requests };
}

async function main(): Promise<void> {
  const { environment, requests: count } = parseArguments(process.argv.slice(2));
  const config = environmentConfig(environment);
  const prefix = `WorkerManager-${config.name}`;
  const stacks = await aws('cloudformation', 'describe-stacks');
  const targets = smokeTargets(stackOutputs(stacks, `${prefix}-Stateful`), stackOutputs(stacks, `${prefix}-Stateless`));
  const run = `smoke-${randomBytes(4).toString('hex')}`;
  const { names } = config.settings;

  const admin = await credentials(targets.adminSecretArn);
  const adminModel = await amqp.connect(brokerUrl(targets.amqpEndpoint, admin, targets.virtualHost));
  adminModel.on('error', () => undefined);
  const depths = () => Promise.all(deadLetterQueues(config.settings).map(async (queue) => ({ queue, depth: await depthOf(adminModel, queue) })));
  const before = await depths();

  const api = await adminApi(targets, run);
  await api('PUT', '/configuration/native', {
    format: 'worker-manager/v1',
    resetBeforeImport: false,
    workers: [{ workerType: run, contentTypeInputs: [run] }],
    workflows: [],
  });

  const failing = `${run}-0`;
  const worker = await startWorker({
    url: brokerUrl(targets.amqpEndpoint, await credentials(targets.workerSecretArn), targets.virtualHost),
    workerType: run,
    names,
    heartbeatIntervalMs: 5_000,
    handle: (job) => (job.requestId === failing ? job.reject('smoke test: forced failure') : job.success({ smoke: run })),
  });

  const client = await amqp.connect(brokerUrl(targets.amqpEndpoint, await credentials(targets.clientSecretArn), targets.virtualHost));
  client.on('error', () => undefined);
  const channel = await client.createConfirmChannel();
  // A queue of the clients' own, named as REGARDS' framework names a subscriber's queue.
  const { queue } = await channel.assertQueue(`regards.broadcast.${run}.ResponseHandler`, { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, names.responseExchange, '');
  const answered = new Map<string, string>();
  await channel.consume(
    queue,
    (message) => {
      if (message === null || message.properties.headers?.[Header.session] !== run) return;
      const body = JSON.parse(message.content.toString()) as { state?: string; requestId?: string };
      if (body.requestId !== undefined && body.state !== undefined) answered.set(body.requestId, body.state);
    },
    { noAck: true },
  );
  const plan = Array.from({ length: count }, (_, n): { id: string; expected: RequestOutcome } => ({
    id: `${run}-${n}`,
    expected: n === 0 ? 'ERROR' : 'SUCCESS',
  }));
  for (const request of plan) {
    channel.publish(names.requestExchange, '', Buffer.from(JSON.stringify({ n: request.id })), {
      persistent: true,
      contentType: 'application/json',
      headers: { [Header.tenant]: 'smoke', [Header.requestId]: request.id, [Header.owner]: 'smoke', [Header.session]: run, [Header.contentType]: run },
    });
  }
  await channel.waitForConfirms();

  // SUCCESS answers arrive on the client's queue; a dead-lettered request gets no answer (as REGARDS), so its state is read from the API.
  const started = Date.now();
  const states = new Map<string, string>();
  while (Date.now() - started < TIMEOUT_MS) {
    for (const [id, state] of answered) states.set(id, state);
    const found = (await api('POST', `/requests?size=${count}`, { session: run })) as { content: { content: { requestId: string; status: string } }[] };
    for (const { content } of found.content) if (content.status === 'ERROR' || !states.has(content.requestId)) states.set(content.requestId, content.status);
    if (plan.every((request) => states.get(request.id) === request.expected)) break;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
  await worker.stop();
  await client.close().catch(() => undefined);

  const mappings = await Promise.all(targets.mappings.map(async (expected) => ({ expected, answer: await mappingAnswer(expected.uuid) })));
  const after = await depths();
  const management = new ManagementClient({ url: managementUrlOf(targets.amqpEndpoint), credentials: admin });
  const inputQueues = await Promise.all(
    [...new Set(targets.mappings.map((mapping) => mapping.queue))].map(async (name) => ({
      queue: name,
      expected: config.settings.inputQueueType,
      observed: await queueType(management, targets.virtualHost, name),
    })),
  );
  await adminModel.close().catch(() => undefined);

  const verdict = judge({
    environment: config.name,
    requests: plan.map((request) => ({ ...request, observed: states.get(request.id) })),
    mappings,
    deadLetters: before.map((queue, index) => ({ queue: queue.queue, before: queue.depth, after: after[index]?.depth ?? queue.depth })),
    inputQueues,
  });
  console.log(verdict.line);
  if (!verdict.ok) process.exitCode = 1;
}

async function depthOf(model: ChannelModel, queue: string): Promise<number> {
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

async function mappingAnswer(uuid: string): Promise<EventSourceMappingAnswer | undefined> {
  try {
    return EventSourceMappingAnswerSchema.parse(await aws('lambda', 'get-event-source-mapping', '--uuid', uuid));
  } catch {
    return undefined;
  }
}

async function queueType(management: ManagementClient, vhost: string, queue: string): Promise<string | undefined> {
  const info = (await management.get(apiPath('queues', vhost, queue)).catch(() => undefined)) as { type?: string } | undefined;
  return info?.type;
}

/** The admin API as an ADMIN of the smoke tenant, with a token signed by the stack's HMAC secret. */
async function adminApi(targets: SmokeTargets, run: string): Promise<(method: string, route: string, body?: unknown) => Promise<unknown>> {
  const token = signToken(await secretString(targets.jwtSecretArn), { tenant: 'smoke', role: 'ADMIN', sub: run }, { expiresInSeconds: 900 });
  const base = targets.apiUrl.replace(/\/+$/, '');
  return async (method, route, body) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new SmokeSetupError(`${method} ${route} answered ${response.status}: ${text.slice(0, 300)}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
}

const script = process.argv[1];
if (script !== undefined && import.meta.url === pathToFileURL(path.resolve(script)).href) {
  main().catch((error: unknown) => {
    console.log(`SMOKE FAIL: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
