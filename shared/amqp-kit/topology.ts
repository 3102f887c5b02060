import type { Channel, ChannelModel } from 'amqplib';
import { policyAsArguments, type BindingSpec, type ExchangeBindingSpec, type QueuePolicy, type QueueSpec, type Topology } from '../contract/topology.js';
import { AppError, describeError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { AmqpConnectionProvider } from './connection.js';
import { replyCodeOf } from './reply-code.js';

/** A declaration the broker refused for another reason than "exists with other settings". */
export class TopologyError extends AppError {
  public override readonly name = 'TopologyError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Something that already exists on the broker with other settings than ours; it is kept as is. */
export interface TopologyWarning {
  kind: 'exchange' | 'queue';
  name: string;
  message: string;
  cause: unknown;
}

/** Where a queue's changeable settings go: the management API's policies (`queuePolicies`). */
export interface QueuePolicyTarget {
  /** Sets the policy that applies `definition` to exactly the queue `queue` (idempotent). */
  putQueuePolicy(queue: string, definition: QueuePolicy): Promise<void>;
}

export interface ApplyTopologyOptions {
  onWarning?: (warning: TopologyWarning) => void;
  /** Also told about each warning, at warn level. */
  logger?: Logger;
  /**
   * Where the queues' policies go. Without it (a broker with no management API) a queue's policy
   * is declared as queue arguments instead: right for a fresh queue, but a later change of them
   * is refused by the broker (406).
   */
  policies?: QueuePolicyTarget;
  /**
   * What a declaration the broker refuses because the entity exists with other settings (406)
   * does: `warn` (default) keeps the existing entity and reports it; `fail` throws a
   * TopologyError naming the entity and the broker's reason (the deploy-time custom resource).
   */
  onConflict?: 'warn' | 'fail';
}

export interface ApplyTopologyReport {
  exchanges: number;
  queues: number;
  bindings: number;
  warnings: TopologyWarning[];
}

/** AMQP reply code the broker answers a declaration with when the existing entity differs. */
const PRECONDITION_FAILED = 406;
/** AMQP reply code of an operation on an exchange or queue that does not exist. */
const NOT_FOUND = 404;

/**
 * Declares the exchanges (durable), queues (durable, with `x-queue-type` and their arguments) and
 * bindings of a topology. Declaring is idempotent on the broker, so this can run at every start.
 *
 * An existing REGARDS deployment may have declared a queue or exchange with other arguments; the
 * broker then answers 406 and closes the channel. By default that is reported as a warning and the
 * existing entity is used as it is: refusing to start would be worse than running on the
 * operator's setup. With `onConflict: 'fail'` (the deploy-time custom resource) it is an error.
 *
 * What may change (delivery limit, dead-letter route, TTL) is no queue argument but a policy set
 * through `options.policies` before the queue is declared, so changing it is never a conflict.
 */
export async function applyTopology(
  target: ChannelModel | AmqpConnectionProvider,
  topology: Topology,
  options: ApplyTopologyOptions = {},
): Promise<ApplyTopologyReport> {
  const model = target instanceof AmqpConnectionProvider ? await target.get() : target;
  const channels = new ChannelSlot(model);
  const warnings: TopologyWarning[] = [];
  const warn = (warning: TopologyWarning) => {
    warnings.push(warning);
    options.onWarning?.(warning);
    options.logger?.warn(warning.message, { kind: warning.kind, name: warning.name, cause: describeError(warning.cause) });
  };
  const onConflict = options.onConflict === 'fail' ? refuse : warn;
  try {
    for (const exchange of topology.exchanges) {
      await declare(
        channels,
        onConflict,
        'exchange',
        exchange.name,
        `${exchange.type} exchange`,
        async (channel) => {
          await channel.assertExchange(exchange.name, exchange.type, {
            durable: true,
            autoDelete: false,
            internal: false,
            ...(exchange.arguments === undefined ? {} : { arguments: exchange.arguments }),
          });
        },
        async (channel) => {
          await channel.checkExchange(exchange.name);
        },
      );
    }
    for (const queue of topology.queues) {
      const args = { ...(await settle(queue, options.policies)), 'x-queue-type': queue.type };
      await declare(
        channels,
        onConflict,
        'queue',
        queue.name,
        `${queue.type} queue ${JSON.stringify(queue.arguments)}`,
        async (channel) => {
          await channel.assertQueue(queue.name, { durable: true, exclusive: false, autoDelete: false, arguments: args });
        },
        async (channel) => {
          await channel.checkQueue(queue.name);
        },
      );
    }
    for (const binding of topology.bindings) {
      try {
        await (await channels.get()).bindQueue(binding.queue, binding.exchange, binding.routingKey);
      } catch (error) {
        throw new TopologyError(
          `cannot bind queue "${binding.queue}" to exchange "${binding.exchange}" with "${binding.routingKey}": ${describeError(error)}`,
          { cause: error },
        );
      }
    }
    for (const binding of topology.exchangeBindings ?? []) {
      try {
        await (await channels.get()).bindExchange(binding.destination, binding.source, binding.routingKey);
      } catch (error) {
        throw new TopologyError(
          `cannot bind exchange "${binding.destination}" behind exchange "${binding.source}" with "${binding.routingKey}": ${describeError(error)}`,
          { cause: error },
        );
      }
    }
    await removeObsolete(channels, topology.obsolete ?? { bindings: [], exchangeBindings: [] });
  } finally {
    await channels.close();
  }
  return {
    exchanges: topology.exchanges.length,
    queues: topology.queues.length,
    bindings: topology.bindings.length,
    warnings,
  };
}

/**
 * The arguments a queue is declared with. With a policy target its policy is set first, so a
 * fresh queue is born with it; without one the policy is written as arguments.
 */
async function settle(queue: QueueSpec, policies: QueuePolicyTarget | undefined): Promise<Record<string, string | number>> {
  if (queue.policy === undefined || Object.keys(queue.policy).length === 0) return queue.arguments;
  if (policies === undefined) return { ...queue.arguments, ...policyAsArguments(queue.policy) };
  try {
    await policies.putQueuePolicy(queue.name, queue.policy);
  } catch (error) {
    throw new TopologyError(`cannot set the policy of queue "${queue.name}": ${describeError(error)}`, { cause: error });
  }
  return queue.arguments;
}

/**
 * Removes the bindings another shard count made. Last, once the new route exists: a message
 * published meanwhile may take both routes (and be registered once by its request id), never none.
 * A binding whose exchange or queue does not exist is already gone (404: the channel is reopened).
 */
async function removeObsolete(channels: ChannelSlot, obsolete: { bindings: BindingSpec[]; exchangeBindings: ExchangeBindingSpec[] }): Promise<void> {
  const unbind = async (what: string, action: (channel: Channel) => Promise<unknown>) => {
    try {
      await action(await channels.get());
    } catch (error) {
      if (replyCodeOf(error) === NOT_FOUND) return channels.discard();
      throw new TopologyError(`cannot remove the obsolete binding ${what}: ${describeError(error)}`, { cause: error });
    }
  };
  for (const binding of obsolete.bindings) {
    await unbind(`of queue "${binding.queue}" to "${binding.exchange}"`, (channel) => channel.unbindQueue(binding.queue, binding.exchange, binding.routingKey));
  }
  for (const binding of obsolete.exchangeBindings) {
    await unbind(`of exchange "${binding.destination}" behind "${binding.source}"`, (channel) =>
      channel.unbindExchange(binding.destination, binding.source, binding.routingKey),
    );
  }
}

/** The `fail` answer to a conflict: the deploy stops, saying what differs in the broker's words. */
function refuse(conflict: TopologyWarning): never {
  throw new TopologyError(`the broker refused to declare ${conflict.kind} "${conflict.name}": ${describeError(conflict.cause)}`, { cause: conflict.cause });
}

async function declare(
  channels: ChannelSlot,
  onConflict: (warning: TopologyWarning) => void,
  kind: TopologyWarning['kind'],
  name: string,
  wanted: string,
  assert: (channel: Channel) => Promise<void>,
  check: (channel: Channel) => Promise<void>,
): Promise<void> {
  try {
    await assert(await channels.get());
    return;
  } catch (error) {
    if (!isPreconditionFailed(error)) {
      throw new TopologyError(`cannot declare ${kind} "${name}": ${describeError(error)}`, { cause: error });
    }
    // The 406 closed the channel; a passive declare on a fresh one proves the entity is there.
    channels.discard();
    try {
      await check(await channels.get());
    } catch (checkError) {
      throw new TopologyError(`${kind} "${name}" conflicts with our declaration and cannot be checked: ${describeError(checkError)}`, {
        cause: checkError,
      });
    }
    onConflict({
      kind,
      name,
      message: `${kind} "${name}" already exists with other settings than the wanted ${wanted}; using it as it is`,
      cause: error,
    });
  }
}

function isPreconditionFailed(error: unknown): boolean {
  return replyCodeOf(error) === PRECONDITION_FAILED;
}

/** One channel at a time, reopened after the broker closed the previous one. */
class ChannelSlot {
  private channel: Channel | undefined;

  public constructor(private readonly model: ChannelModel) {}

  public async get(): Promise<Channel> {
    if (!this.channel) {
      const channel = await this.model.createChannel();
      // The failing RPC already reports a channel error; the emitter must not also throw it.
      channel.on('error', () => undefined);
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      this.channel = channel;
    }
    return this.channel;
  }

  public discard(): void {
    this.channel = undefined;
  }

  public async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }
}
