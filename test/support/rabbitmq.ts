import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { AmqpConnectionProvider, type AmqpConnectionProviderOptions } from '../../shared/amqp-kit/connection.js';
import { apiPath, ManagementClient, managementAccessOf, queuePolicyName, virtualHostOf } from '../../shared/amqp-kit/management.js';
import { dedicatedDeadLetterQueue, WireNamesSchema, workerRequestName, type WireNames } from '../../shared/contract/wire-names.js';
import { regardsEventExchanges, type ExchangeType } from '../../shared/contract/topology.js';

/*
 * A RabbitMQ fixture for integration tests. Every name a test file uses carries a prefix unique to
 * that file and run, so files running in parallel never share a queue, and cleanup() removes what
 * the file created. Call createRabbitFixture() at module level and fixture.cleanup() in afterAll.
 */

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface CollectOptions {
  /** How long to wait for the messages; the error then says how many arrived. Default 10 s. */
  timeoutMs?: number;
}

export interface RabbitFixture {
  readonly url: string;
  /** Unique to this test file and run, e.g. `t.bus.4711.a1b2c3`. */
  readonly prefix: string;
  /** The wire names, every one of them prefixed. */
  readonly names: WireNames;
  /** Another set of wire names under `<prefix>.<suffix>`, tracked for cleanup like `names`. */
  wireNames(suffix: string): WireNames;
  /** A prefixed name, tracked for cleanup as both a queue and an exchange. */
  name(suffix: string): string;
  /** A connection provider on the fixture's URL, closed by cleanup(). */
  provider(options?: Partial<AmqpConnectionProviderOptions>): AmqpConnectionProvider;
  declareQueue(name: string, options?: Options.AssertQueue): Promise<void>;
  declareExchange(name: string, type?: ExchangeType): Promise<void>;
  bindQueue(queue: string, exchange: string, routingKey?: string): Promise<void>;
  purgeQueue(name: string): Promise<number>;
  deleteQueue(name: string): Promise<void>;
  deleteExchange(name: string): Promise<void>;
  /** Ready messages (not the unacked ones) and consumers of a queue. */
  queueState(name: string): Promise<{ messageCount: number; consumerCount: number }>;
  queueExists(name: string): Promise<boolean>;
  exchangeExists(name: string): Promise<boolean>;
  /** Publishes with confirms (persistent unless said otherwise) and waits for them. */
  publish(exchange: string, routingKey: string, body: Buffer | string, options?: Options.Publish): Promise<void>;
  sendToQueue(queue: string, bodies: readonly (Buffer | string)[], options?: Options.Publish): Promise<void>;
  /** Consumes and acks exactly `count` messages of a queue, in arrival order. */
  collect(queue: string, count: number, options?: CollectOptions): Promise<ConsumeMessage[]>;
  /** Cuts a connection's socket as a network failure would, and resolves once amqplib saw it. */
  dropConnection(model: ChannelModel): Promise<void>;
  /** Remembers a worker type whose queue and exchange the code under test declares. */
  trackWorkerType(workerType: string): void;
  cleanup(): Promise<void>;
}

/** `url`: another broker than AMQP_URL (a private node a fault test starts and stops). */
export function createRabbitFixture(label: string, options: { url?: string } = {}): RabbitFixture {
  const url = options.url ?? AMQP_URL;
  const safeLabel = label.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  const prefix = `t.${safeLabel}.${process.pid}.${randomBytes(3).toString('hex')}`;
  const names = prefixedWireNames(prefix);
  const nameSets: WireNames[] = [names];
  const queues = new Set<string>();
  const exchanges = new Set<string>();
  const workerTypes = new Set<string>();
  const providers: AmqpConnectionProvider[] = [];
  let admin: Promise<ChannelModel> | undefined;

  const connection = (): Promise<ChannelModel> => {
    if (!admin) {
      const opening = amqp.connect(url, { noDelay: true, clientProperties: { connection_name: `${prefix}:admin` } }).then((model) => {
        model.on('error', () => undefined);
        model.on('close', () => {
          if (admin === opening) admin = undefined;
        });
        return model;
      });
      opening.catch(() => {
        if (admin === opening) admin = undefined;
      });
      admin = opening;
    }
    return admin;
  };

  /** A fresh channel per operation: a failed declaration closes its channel, never a shared one. */
  const withChannel = async <T>(work: (channel: Channel) => Promise<T>): Promise<T> => {
    const channel = await (await connection()).createChannel();
    channel.on('error', () => undefined);
    let closed = false;
    channel.on('close', () => {
      closed = true;
    });
    try {
      return await work(channel);
    } finally {
      if (!closed) await channel.close().catch(() => undefined);
    }
  };

  const withConfirmChannel = async (work: (channel: ConfirmChannel) => void): Promise<void> => {
    const channel = await (await connection()).createConfirmChannel();
    channel.on('error', () => undefined);
    try {
      work(channel);
      await channel.waitForConfirms();
    } finally {
      await channel.close().catch(() => undefined);
    }
  };

  const fixture: RabbitFixture = {
    url,
    prefix,
    names,

    wireNames(suffix) {
      const extra = prefixedWireNames(`${prefix}.${suffix}`);
      nameSets.push(extra);
      return extra;
    },

    name(suffix) {
      const full = `${prefix}.${suffix}`;
      queues.add(full);
      exchanges.add(full);
      return full;
    },

    provider(options = {}) {
      const provider = new AmqpConnectionProvider({ url, connectionName: `${prefix}:provider`, ...options });
      providers.push(provider);
      return provider;
    },

    async declareQueue(name, options = { durable: true }) {
      queues.add(name);
      await withChannel((ch) => ch.assertQueue(name, options));
    },

    async declareExchange(name, type = 'topic') {
      exchanges.add(name);
      await withChannel((ch) => ch.assertExchange(name, type, { durable: true }));
    },

    async bindQueue(queue, exchange, routingKey = '#') {
      await withChannel((ch) => ch.bindQueue(queue, exchange, routingKey));
    },

    async purgeQueue(name) {
      return (await withChannel((ch) => ch.purgeQueue(name))).messageCount;
    },

    async deleteQueue(name) {
      await withChannel((ch) => ch.deleteQueue(name));
    },

    async deleteExchange(name) {
      await withChannel((ch) => ch.deleteExchange(name));
    },

    async queueState(name) {
      const { messageCount, consumerCount } = await withChannel((ch) => ch.checkQueue(name));
      return { messageCount, consumerCount };
    },

    async queueExists(name) {
      return withChannel((ch) => ch.checkQueue(name)).then(
        () => true,
        (error: unknown) => (isNotFound(error) ? false : Promise.reject(error)),
      );
    },

    async exchangeExists(name) {
      return withChannel((ch) => ch.checkExchange(name)).then(
        () => true,
        (error: unknown) => (isNotFound(error) ? false : Promise.reject(error)),
      );
    },

    async publish(exchange, routingKey, body, options = {}) {
      await withConfirmChannel((ch) => {
        ch.publish(exchange, routingKey, toBuffer(body), { persistent: true, ...options });
      });
    },

    async sendToQueue(queue, bodies, options = {}) {
      await withConfirmChannel((ch) => {
        for (const body of bodies) ch.sendToQueue(queue, toBuffer(body), { persistent: true, ...options });
      });
    },

    async collect(queue, count, options = {}) {
      const timeoutMs = options.timeoutMs ?? 10_000;
      const channel = await (await connection()).createChannel();
      channel.on('error', () => undefined);
      const received: ConsumeMessage[] = [];
      let done!: () => void;
      let fail!: (error: Error) => void;
      const finished = new Promise<void>((resolve, reject) => {
        done = resolve;
        fail = reject;
      });
      // The channel closes in `finally` even when consume() failed and nobody awaits `finished`.
      finished.catch(() => undefined);
      const timer = setTimeout(() => fail(new Error(`collect(${queue}): ${received.length} of ${count} messages within ${timeoutMs} ms`)), timeoutMs);
      channel.once('close', () => fail(new Error(`collect(${queue}): channel closed after ${received.length} of ${count} messages`)));
      try {
        if (count > 0) {
          await channel.prefetch(Math.min(count, 1_000));
          await channel.consume(queue, (message) => {
            if (message === null || received.length >= count) return;
            received.push(message);
            channel.ack(message);
            if (received.length === count) done();
          });
          await finished;
        }
      } finally {
        clearTimeout(timer);
        // Anything delivered beyond `count` is unacked and goes back to the queue (redelivered).
        await channel.close().catch(() => undefined);
      }
      return received;
    },

    async dropConnection(model) {
      // amqplib keeps its socket on the connection object; the typings do not expose it.
      const internals = model.connection as unknown as { stream?: { destroy(error?: Error): void } };
      const stream = internals.stream;
      if (!stream || typeof stream.destroy !== 'function') {
        throw new Error('this amqplib version does not expose the connection socket');
      }
      const closed = new Promise<void>((resolve) => model.once('close', () => resolve()));
      stream.destroy(new Error('simulated network failure'));
      await closed;
    },

    trackWorkerType(workerType) {
      workerTypes.add(workerType);
    },

    async cleanup() {
      for (const provider of providers.splice(0)) await provider.close();
      const discovered = url === AMQP_URL ? await listPrefixed(prefix) : { queues: [], exchanges: [] };
      const allQueues = new Set([...queues, ...nameSets.flatMap(wireQueues), ...discovered.queues]);
      const allExchanges = new Set([...exchanges, ...nameSets.flatMap(wireExchanges), ...discovered.exchanges]);
      for (const type of workerTypes) {
        for (const set of nameSets) {
          allQueues.add(workerRequestName(set, type));
          allExchanges.add(workerRequestName(set, type));
        }
      }
      try {
        await clearPrefixedPolicies(url, prefix);
        for (const queue of allQueues) await withChannel((ch) => ch.deleteQueue(queue)).catch(() => undefined);
        for (const exchange of allExchanges) await withChannel((ch) => ch.deleteExchange(exchange)).catch(() => undefined);
      } finally {
        const model = await admin?.catch(() => undefined);
        admin = undefined;
        await model?.close().catch(() => undefined);
      }
    },
  };
  return fixture;
}

/** Wire names where every exchange and queue name (and the worker template) carries the prefix. */
export function prefixedWireNames(prefix: string): WireNames {
  return WireNamesSchema.parse({
    requestExchange: `${prefix}.request.exchange`,
    requestQueue: `${prefix}.request.queue`,
    responseExchange: `${prefix}.response.exchange`,
    workerRequestTemplate: `${prefix}.worker.%s.request`,
    workerResponse: `${prefix}.worker.response`,
    heartbeatExchange: `${prefix}.heartbeat`,
    heartbeatQueue: `${prefix}.heartbeat.shared`,
    workerDeadLetter: `${prefix}.worker.request.dlq`,
    deadLetterExchange: `${prefix}.DLX`,
    deadLetterQueue: `${prefix}.DLQ`,
    sessionStepExchange: `${prefix}.session-step`,
    stepPropertyExchange: `${prefix}.step-property`,
    notificationExchange: `${prefix}.notification`,
    sessionDeleteExchange: `${prefix}.session-delete`,
    sourceDeleteExchange: `${prefix}.source-delete`,
    sessionDeletionQueue: `${prefix}.session-deletions`,
  });
}

function wireQueues(names: WireNames): string[] {
  const inputs = [names.requestQueue, names.workerResponse, names.heartbeatQueue, names.workerDeadLetter, names.sessionDeletionQueue];
  return [...inputs, ...inputs.map(dedicatedDeadLetterQueue), names.deadLetterQueue];
}

function wireExchanges(names: WireNames): string[] {
  return [
    names.requestExchange,
    names.responseExchange,
    names.workerResponse,
    names.heartbeatExchange,
    names.workerDeadLetter,
    names.deadLetterExchange,
    ...regardsEventExchanges(names),
  ];
}

const execFileAsync = promisify(execFile);

/**
 * Queues and exchanges with the prefix that the code under test declared on its own (worker
 * queues of any type). AMQP cannot list them, so this asks rabbitmqctl when the broker is local;
 * elsewhere only the tracked names are cleaned up.
 */
async function listPrefixed(prefix: string): Promise<{ queues: string[]; exchanges: string[] }> {
  const none = { queues: [], exchanges: [] };
  const host = new URL(AMQP_URL).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return none;
  const list = async (what: 'list_queues' | 'list_exchanges') => {
    const { stdout } = await execFileAsync('rabbitmqctl', [what, '-q', '--no-table-headers', 'name'], { timeout: 15_000 });
    return stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((name) => name.startsWith(`${prefix}.`));
  };
  try {
    const [queues, exchanges] = await Promise.all([list('list_queues'), list('list_exchanges')]);
    return { queues, exchanges };
  } catch {
    return none;
  }
}

/** The queue policies the topology step set on this file's queues (none when the management API is off). */
async function clearPrefixedPolicies(url: string, prefix: string): Promise<void> {
  const client = new ManagementClient(managementAccessOf(url));
  const vhost = virtualHostOf(url);
  const policies = await client.get(apiPath('policies', vhost)).catch(() => []);
  if (!Array.isArray(policies)) return;
  for (const policy of policies as { name?: unknown }[]) {
    if (typeof policy.name === 'string' && policy.name.startsWith(queuePolicyName(`${prefix}.`))) {
      await client.delete(apiPath('policies', vhost, policy.name)).catch(() => undefined);
    }
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 404;
}

function toBuffer(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}
