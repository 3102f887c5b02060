import { Header } from './headers.js';
import { dedicatedDeadLetterQueue, workerRequestName, type WireNames } from './wire-names.js';

/*
 * The broker topology, described once as data. The local host applies it at start-up and the
 * CDK broker-topology custom resource applies the same description in AWS.
 */

/** `x-consistent-hash`: RabbitMQ's rabbitmq_consistent_hash_exchange plugin (shards, below). */
export type ExchangeType = 'fanout' | 'topic' | 'direct' | 'headers' | 'x-consistent-hash';
export type QueueType = 'classic' | 'quorum';

export interface ExchangeSpec {
  name: string;
  type: ExchangeType;
  /** x-* arguments, fixed for the exchange's life (the hash exchange's `hash-header`). */
  arguments?: Record<string, string>;
}

/**
 * The settings of a queue that may change after it exists: set through a RabbitMQ policy (the
 * definition keys of `PUT /api/policies/{vhost}/{name}`), since a queue argument can never change
 * (a redeclaration with another value is refused with 406).
 */
export interface QueuePolicy {
  'delivery-limit'?: number;
  'dead-letter-exchange'?: string;
  'dead-letter-routing-key'?: string;
  'message-ttl'?: number;
}

export interface QueueSpec {
  name: string;
  type: QueueType;
  /**
   * x-* arguments other than the queue type, fixed for the queue's life. Only what must be an
   * argument: REGARDS' own arguments on a queue REGARDS clients or workers declare too (any
   * difference is a 406 for whichever side declares second).
   */
  arguments: Record<string, string | number>;
  /** What may change later (delivery limit, dead-letter route, TTL), applied as a policy. */
  policy?: QueuePolicy;
}

/** The queue argument each policy key stands for, used where no policy can be set. */
const POLICY_ARGUMENTS = {
  'delivery-limit': 'x-delivery-limit',
  'dead-letter-exchange': 'x-dead-letter-exchange',
  'dead-letter-routing-key': 'x-dead-letter-routing-key',
  'message-ttl': 'x-message-ttl',
} as const satisfies Record<keyof QueuePolicy, string>;

/** A queue's policy written as queue arguments: for a broker without the management API. */
export function policyAsArguments(policy: QueuePolicy | undefined): Record<string, string | number> {
  const args: Record<string, string | number> = {};
  for (const [key, argument] of Object.entries(POLICY_ARGUMENTS)) {
    const value = policy?.[key as keyof QueuePolicy];
    if (value !== undefined) args[argument] = value;
  }
  return args;
}

export interface BindingSpec {
  exchange: string;
  queue: string;
  routingKey: string;
}

/** A binding of an exchange behind another: what `source` routes, `destination` routes again. */
export interface ExchangeBindingSpec {
  source: string;
  destination: string;
  routingKey: string;
}

export interface Topology {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
  bindings: BindingSpec[];
  /** Made after the queue bindings, so an exchange is bound behind another only once its queues are. */
  exchangeBindings?: ExchangeBindingSpec[];
  /**
   * Bindings that must not exist (left by another shard count), removed last: after the new
   * route exists, so that no message published meanwhile is routed nowhere. Removing one that
   * does not exist is no error.
   */
  obsolete?: { bindings: BindingSpec[]; exchangeBindings: ExchangeBindingSpec[] };
}

export interface TopologyOptions {
  /**
   * How many times an input queue delivers a message before dead-lettering it. The event source
   * redelivers a whole batch when a handler throws, so a poison message would loop forever
   * without this bound.
   */
  deliveryLimit: number;
  /**
   * Heartbeats older than this are dropped by the broker: liveness uses the manager's receive
   * time, so a backlog of beats that piled up while the manager was down must not revive workers
   * that have since died. Defaults to the REGARDS heartbeat expiry, 60 s.
   */
  heartbeatTtlMs?: number;
  /**
   * The type of the queues the functions consume (requests, worker responses, worker dead
   * letters, heartbeats). quorum (the default): the broker counts deliveries and dead-letters a
   * message after `deliveryLimit`. classic: for a broker or poller that cannot consume quorum
   * queues; a classic queue counts no deliveries, so it gets no x-delivery-limit and a batch that
   * keeps failing is redelivered until it succeeds, never dead-lettered. A queue's type cannot
   * change once declared: switching needs the queues drained and deleted first.
   */
  inputQueueType?: QueueType;
  /**
   * Shards of the request queue and of the worker response queue (1 to MAX_QUEUE_SHARDS): the
   * REGARDS exchange feeds a consistent-hash exchange that spreads messages over the shard queues
   * by request id. 1 (default): no hash exchange, the REGARDS exchange feeds the queue directly.
   */
  shards?: number | undefined;
  /**
   * Shard queues declared (and consumed by the hosts), at least `shards`: after the count is
   * lowered, the retired shard queues are fed no more but still hold messages, so they stay
   * declared and consumed until drained.
   */
  drainedShards?: number | undefined;
}

/**
 * The highest shard count. Each shard is one event source mapping per sharded queue, and the
 * manager's bound is then the store (one table, its partitions and write capacity), not the
 * queues: 16 shards already give 16 pollers per queue, far past what one table takes at the
 * default batch sizes. Amazon MQ also caps a broker's connections and channels per instance size.
 */
export const MAX_QUEUE_SHARDS = 16;

/** The header the hash exchanges hash on: every message of one request goes to the same shard. */
export const SHARD_HASH_HEADER = Header.requestId;

/** The queue of shard `index` of `queue`: shard 0 keeps the queue's name, so one shard is the unsharded topology. */
export function shardQueueName(queue: string, index: number): string {
  return index === 0 ? queue : `${queue}.shard-${index}`;
}

/** The consistent-hash exchange in front of the shards of `queue`. */
export function shardExchangeName(queue: string): string {
  return `${queue}.shards`;
}

/** The queues of the shards of `queue` that exist: 0 to max(shards, drainedShards) - 1. */
export function shardQueues(queue: string, options: Pick<TopologyOptions, 'shards' | 'drainedShards'>): string[] {
  const count = Math.max(options.shards ?? 1, options.drainedShards ?? 1);
  return Array.from({ length: count }, (_, index) => shardQueueName(queue, index));
}

/** REGARDS' `RegardsAmqpAdmin.MAX_PRIORITY`, with which its AMQP framework declares every queue. */
export const WORKER_QUEUE_MAX_PRIORITY = 255;

export const DEFAULT_TOPOLOGY_OPTIONS: TopologyOptions = { deliveryLimit: 5, heartbeatTtlMs: 60_000, inputQueueType: 'quorum' };

/** The delivery bound of an input queue: only a quorum queue counts deliveries. */
function deliveryLimit(type: QueueType, options: TopologyOptions): QueuePolicy {
  return type === 'quorum' ? { 'delivery-limit': options.deliveryLimit } : {};
}

/** An input queue of the manager: quorum by default, bounded redelivery, dead-lettered to `<queue>.DLQ`. */
function inputQueue(names: WireNames, name: string, options: TopologyOptions): QueueSpec {
  const type = options.inputQueueType ?? 'quorum';
  return {
    name,
    type,
    arguments: {},
    policy: {
      ...deliveryLimit(type, options),
      'dead-letter-exchange': names.deadLetterExchange,
      'dead-letter-routing-key': dedicatedDeadLetterQueue(name),
    },
  };
}

/** Where one of the manager's queues dead-letters; undefined for a queue that does not (heartbeats). */
export function deadLetterRouteOf(names: WireNames, queue: string): { exchange: string; routingKey: string } | undefined {
  // Every shard queue there can be: a shard's route does not depend on the count.
  const spec = managerTopology(names, { ...DEFAULT_TOPOLOGY_OPTIONS, shards: MAX_QUEUE_SHARDS }).queues.find((candidate) => candidate.name === queue);
  const settings = { ...spec?.arguments, ...policyAsArguments(spec?.policy) };
  const exchange = settings['x-dead-letter-exchange'];
  const routingKey = settings['x-dead-letter-routing-key'];
  return typeof exchange === 'string' && typeof routingKey === 'string' ? { exchange, routingKey } : undefined;
}

/** The queues that shard (the intake of client requests and of worker answers), with the REGARDS exchange that feeds each. */
function shardedQueues(names: WireNames): { exchange: string; queue: string; routingKey: string }[] {
  return [
    { exchange: names.requestExchange, queue: names.requestQueue, routingKey: '' },
    { exchange: names.workerResponse, queue: names.workerResponse, routingKey: '#' },
  ];
}

/** Everything the manager declares at start-up (worker queues are declared at first dispatch). */
export function managerTopology(names: WireNames, options: TopologyOptions = DEFAULT_TOPOLOGY_OPTIONS): Topology {
  const shards = shardedQueues(names).map((feed) => shardTopology(feed, options));
  // Heartbeats are disposable: an unreadable or expired one is dropped, never dead-lettered.
  const inputs = [...shards.flatMap((shard) => shard.queues), names.workerDeadLetter, names.sessionDeletionQueue];
  const deadLetterQueues = inputs.map(dedicatedDeadLetterQueue);
  const heartbeatType = options.inputQueueType ?? 'quorum';
  const heartbeats: QueueSpec = {
    name: names.heartbeatQueue,
    type: heartbeatType,
    arguments: {},
    policy: {
      ...deliveryLimit(heartbeatType, options),
      'message-ttl': options.heartbeatTtlMs ?? DEFAULT_TOPOLOGY_OPTIONS.heartbeatTtlMs ?? 60_000,
    },
  };
  return {
    exchanges: [
      { name: names.requestExchange, type: 'fanout' },
      { name: names.responseExchange, type: 'fanout' },
      { name: names.workerResponse, type: 'topic' },
      { name: names.heartbeatExchange, type: 'topic' },
      { name: names.workerDeadLetter, type: 'fanout' },
      { name: names.deadLetterExchange, type: 'topic' },
      // REGARDS' session and notification events (regards-sessions.ts): declared as its framework does.
      ...regardsEventExchanges(names).map((name): ExchangeSpec => ({ name, type: 'fanout' })),
      ...shards.flatMap((shard) => shard.exchanges),
    ],
    queues: [
      ...inputs.map((name) => inputQueue(names, name, options)),
      heartbeats,
      // Every REGARDS service declares regards.DLQ at start (its AMQP framework's default dead
      // letter, x-max-priority 255 like all its queues): the same arguments, or it gets a 406.
      { name: names.deadLetterQueue, type: 'classic', arguments: { 'x-max-priority': WORKER_QUEUE_MAX_PRIORITY } },
      ...deadLetterQueues.map((name): QueueSpec => ({ name, type: 'classic', arguments: {} })),
    ],
    bindings: [
      ...shards.flatMap((shard) => shard.bindings),
      { exchange: names.heartbeatExchange, queue: names.heartbeatQueue, routingKey: '#' },
      { exchange: names.workerDeadLetter, queue: names.workerDeadLetter, routingKey: '' },
      { exchange: names.sessionDeleteExchange, queue: names.sessionDeletionQueue, routingKey: '' },
      { exchange: names.sourceDeleteExchange, queue: names.sessionDeletionQueue, routingKey: '' },
      // The reference leaves this binding to the workers; without it a rejected work item is lost.
      { exchange: names.deadLetterExchange, queue: names.workerDeadLetter, routingKey: names.workerDeadLetter },
      { exchange: names.deadLetterExchange, queue: names.deadLetterQueue, routingKey: names.deadLetterQueue },
      ...deadLetterQueues.map((queue) => ({ exchange: names.deadLetterExchange, queue, routingKey: queue })),
    ],
    exchangeBindings: shards.flatMap((shard) => shard.exchangeBindings),
    obsolete: { bindings: shards.flatMap((shard) => shard.obsolete.bindings), exchangeBindings: shards.flatMap((shard) => shard.obsolete.exchangeBindings) },
  };
}

/**
 * The shards of one input queue fed by a REGARDS exchange. One shard: the exchange feeds the
 * queue, as REGARDS does. More: the exchange feeds a consistent-hash exchange on the request id
 * (each shard queue bound with weight "1", an equal share), so all messages of one request go to
 * one shard and keep their order. Whatever the count, the route of the other count is listed as
 * obsolete (the direct binding, the hash exchange behind the REGARDS one, or the shards past the
 * count), so changing the count both ways leaves exactly one route per message.
 */
function shardTopology(
  feed: { exchange: string; queue: string; routingKey: string },
  options: TopologyOptions,
): Pick<Required<Topology>, 'exchanges' | 'bindings' | 'exchangeBindings' | 'obsolete'> & { queues: string[] } {
  const count = options.shards ?? 1;
  const queues = shardQueues(feed.queue, options);
  const hash = shardExchangeName(feed.queue);
  const direct: BindingSpec = { exchange: feed.exchange, queue: feed.queue, routingKey: feed.routingKey };
  const behind: ExchangeBindingSpec = { source: feed.exchange, destination: hash, routingKey: feed.routingKey };
  const retired = Array.from({ length: MAX_QUEUE_SHARDS - count }, (_, offset) => ({
    exchange: hash,
    queue: shardQueueName(feed.queue, count + offset),
    routingKey: '1',
  }));
  if (count === 1) {
    return { exchanges: [], queues, bindings: [direct], exchangeBindings: [], obsolete: { bindings: [], exchangeBindings: [behind] } };
  }
  return {
    exchanges: [{ name: hash, type: 'x-consistent-hash', arguments: { 'hash-header': SHARD_HASH_HEADER } }],
    queues,
    bindings: queues.slice(0, count).map((queue) => ({ exchange: hash, queue, routingKey: '1' })),
    exchangeBindings: [behind],
    obsolete: { bindings: [direct, ...retired], exchangeBindings: [] },
  };
}

/** The fanout exchanges of the REGARDS events the manager publishes or reads (sessions, notifications). */
export function regardsEventExchanges(names: WireNames): string[] {
  return [names.sessionStepExchange, names.stepPropertyExchange, names.notificationExchange, names.sessionDeleteExchange, names.sourceDeleteExchange];
}

/**
 * The exchange and queue of one worker type, declared as the reference declares them (classic,
 * dead-lettered to the worker DLQ) so that REGARDS workers, which declare the same queue, agree.
 */
export function workerTopology(names: WireNames, workerType: string): Topology {
  const name = workerRequestName(names, workerType);
  return {
    exchanges: [{ name, type: 'topic' }],
    queues: [
      {
        name,
        type: 'classic',
        // Exactly REGARDS' arguments (AbstractPublisher#broadcast: QueueBuilder.durable(name)
        // .maxPriority(255).deadLetterExchange(...).deadLetterRoutingKey(...)): a REGARDS worker
        // declares this queue too, and any difference is a 406 for whichever side declares second.
        arguments: {
          'x-max-priority': WORKER_QUEUE_MAX_PRIORITY,
          'x-dead-letter-exchange': names.deadLetterExchange,
          'x-dead-letter-routing-key': names.workerDeadLetter,
        },
      },
    ],
    bindings: [{ exchange: name, queue: name, routingKey: names.workerRoutingKey }],
  };
}

/** What a RabbitMQ user may do on the vhost: regexes over exchange and queue names (configure, write, read). */
export interface BrokerPermissions {
  configure: string;
  write: string;
  read: string;
}

/** The users the topology step keeps besides the broker's administrator (operators only). */
export type BrokerRole = 'manager' | 'clients' | 'workers';

/** A name as a regex that matches exactly it. */
function literal(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Any name one of `names` matches, anchored: `^(?:a|b)$`. */
function anyOf(names: readonly string[]): string {
  return `^(?:${names.join('|')})$`;
}

/** Every worker request exchange and queue: the template with its `%s` as "one or more characters". */
function workerQueuesPattern(names: WireNames): string {
  return names.workerRequestTemplate.split('%s').map(literal).join('.+');
}

/**
 * Least privilege per role, as RabbitMQ checks it: declaring or deleting needs `configure` on the
 * entity, publishing `write` on the exchange, consuming `read` on the queue, binding `write` on the
 * queue and `read` on the exchange; dead-lettering is the broker's and needs none.
 *
 * - manager (functions and event source mappings): its own exchanges and queues, the worker
 *   request exchanges and queues it declares at first dispatch, and the default exchange its
 *   redrive publishes through. Nothing else.
 * - clients (REGARDS clients): declare and publish to the request exchange, declare and bind to the
 *   response exchange, their own queues (REGARDS names them `regards.broadcast.<service>.<handler>`;
 *   `amq.gen-…` for server-named ones), and regards.DLX/DLQ, which REGARDS' framework declares at
 *   start. Never a manager queue (a lookahead keeps them out of the `regards.broadcast.` prefix), no
 *   write on the response exchange (no forged answers), no read on the request exchange (no copy of
 *   other clients' requests).
 * - workers (REGARDS workers): declare, bind and consume the worker request queues; publish answers
 *   and heartbeats; regards.DLX/DLQ as clients. No manager queue.
 */
export function brokerPermissions(names: WireNames): Record<BrokerRole, BrokerPermissions> {
  const topology = managerTopology(names);
  // Every shard queue, its dead-letter queue and the hash exchange, whatever the count: a change
  // of the shard count needs no change of the users, and clients stay out of them as of the queues.
  const managerQueues = [
    ...topology.queues.map((queue) => literal(queue.name)),
    ...shardedQueues(names).map(({ queue }) => `${literal(queue)}\\.(?:shard-\\d+(?:\\.DLQ)?|shards)`),
  ];
  const workers = workerQueuesPattern(names);
  const manager = anyOf([...topology.exchanges.map((exchange) => literal(exchange.name)), ...managerQueues, workers]);
  const framework = [literal(names.deadLetterExchange), literal(names.deadLetterQueue)];
  const serverNamed = 'amq\\.gen-.*';
  const ownQueues = (excluded: readonly string[]) => `(?!(?:${excluded.join('|')})$)regards\\.broadcast\\..*`;
  const [requests, responses] = [literal(names.requestExchange), literal(names.responseExchange)];
  return {
    manager: {
      configure: manager,
      write: anyOf([...topology.exchanges.map((exchange) => literal(exchange.name)), ...managerQueues, workers, 'amq\\.default']),
      read: manager,
    },
    clients: {
      configure: anyOf([requests, responses, ...framework, serverNamed, ownQueues(managerQueues)]),
      write: anyOf([requests, ...framework, serverNamed, ownQueues([...managerQueues, responses])]),
      read: anyOf([responses, literal(names.deadLetterExchange), serverNamed, ownQueues([...managerQueues, requests])]),
    },
    workers: {
      configure: anyOf([workers, literal(names.workerResponse), literal(names.heartbeatExchange), ...framework]),
      write: anyOf([workers, literal(names.workerResponse), literal(names.heartbeatExchange), ...framework]),
      read: anyOf([workers, literal(names.deadLetterExchange)]),
    },
  };
}
