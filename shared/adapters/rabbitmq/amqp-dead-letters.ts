import type { ConfirmChannel, GetMessage, Options } from 'amqplib';
import type { AmqpConnectionProvider } from '../../amqp-kit/connection.js';
import { replyCodeOf } from '../../amqp-kit/reply-code.js';
import { Header } from '../../contract/headers.js';
import {
  DeadLetterQueueMissingError,
  DeadLetterQueues,
  type DeadLetterEntry,
  type DeadLetterListing,
  type DeadLetterQueueRef,
  type DeadLetterReasonOrigin,
  type RedriveOptions,
  type RedriveResult,
} from '../../ports/dead-letter-queues.js';
import { REJECTION_REASON_HEADER } from '../../application/services/batch-effects.js';

// admin-api --> (this adapter) --> basic.get from <queue>.DLQ --> confirmed publish to <queue> --> ack

/** Where a redriven message keeps the reason it was dead-lettered for (the reason header itself would read as a fresh rejection). */
export const PREVIOUS_REJECTION_REASON_HEADER = 'x-wm-previous-rejection-reason';

/** Messages read before their publishes are confirmed together: one confirm wait per batch, not per message. */
const REDRIVE_BATCH = 100;
/** A reason is shown, not stored: a very long one is cut. */
const MAX_REASON_LENGTH = 1_000;

/** Headers the broker wrote about past deaths: a redriven message starts a fresh life in its source queue. */
function isDeathHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === Header.death || lower.startsWith('x-first-death-') || lower.startsWith('x-last-death-') || lower === 'x-delivery-count';
}

type RawHeaders = Record<string, unknown>;

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Buffer.isBuffer(value) && value.length > 0) return value.toString('utf8');
  return undefined;
}

/** amqplib decodes an AMQP timestamp (seconds) as `{ '!': 'timestamp', value }` in a table, a bare number in the properties. */
function secondsToDate(value: unknown): Date | undefined {
  const seconds =
    typeof value === 'number' ? value : typeof value === 'object' && value !== null && 'value' in value ? (value as { value: unknown }).value : undefined;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : undefined;
}

function firstDeath(headers: RawHeaders): Record<string, unknown> | undefined {
  const deaths = headers[Header.death];
  const first: unknown = Array.isArray(deaths) ? deaths[0] : undefined;
  return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
}

/** Our reason header first (the manager's words), else the broker's (`delivery_limit`, `rejected`, `expired`, `maxlen`). */
function reasonOf(headers: RawHeaders): { reason: string; reasonOrigin: DeadLetterReasonOrigin } {
  const ours = text(headers[REJECTION_REASON_HEADER]);
  if (ours !== undefined) return { reason: ours.slice(0, MAX_REASON_LENGTH), reasonOrigin: 'manager' };
  const broker = text(firstDeath(headers)?.reason) ?? text(headers['x-last-death-reason']) ?? text(headers['x-first-death-reason']);
  if (broker !== undefined) return { reason: broker.slice(0, MAX_REASON_LENGTH), reasonOrigin: 'broker' };
  return { reason: 'unknown', reasonOrigin: 'unknown' };
}

function messageIdOf(message: GetMessage): string | undefined {
  const headers = (message.properties.headers ?? {}) as RawHeaders;
  return text(message.properties.messageId) ?? text(headers[Header.requestId]);
}

function entryOf(message: GetMessage, position: number): DeadLetterEntry {
  const headers = (message.properties.headers ?? {}) as RawHeaders;
  const messageId = messageIdOf(message);
  const deadLetteredAt = secondsToDate(firstDeath(headers)?.time) ?? secondsToDate(message.properties.timestamp);
  const tenant = text(headers[Header.tenant]);
  return {
    position,
    ...(messageId === undefined ? {} : { messageId }),
    ...reasonOf(headers),
    ...(deadLetteredAt === undefined ? {} : { deadLetteredAt }),
    ...(tenant === undefined ? {} : { tenant }),
  };
}

/** The message as it is published again: same body and properties, the death headers left out, our reason kept under another name. */
export function redrivenPublishOptions(message: GetMessage): Options.Publish {
  const { headers, userId: _userId, clusterId: _clusterId, ...properties } = message.properties;
  const kept: RawHeaders = {};
  for (const [name, value] of Object.entries((headers ?? {}) as RawHeaders)) {
    if (isDeathHeader(name)) continue;
    if (name === REJECTION_REASON_HEADER) kept[PREVIOUS_REJECTION_REASON_HEADER] = value;
    else kept[name] = value;
  }
  // user-id is left out: the broker refuses a message whose user-id is not the publishing user's.
  const options: Options.Publish = { headers: kept };
  for (const [name, value] of Object.entries(properties)) {
    if (value !== undefined && value !== null) (options as Record<string, unknown>)[name] = value;
  }
  return options;
}

/**
 * The DeadLetterQueues over RabbitMQ, one confirm channel per call. Messages are read with
 * basic.get and manual acknowledgement; a listing nacks them back with requeue (a classic queue puts
 * them back where they were, marked redelivered); a redrive publishes each to its source queue
 * through the default exchange and acks it from the dead-letter queue only after the broker
 * confirmed that publish. Whatever is left unacknowledged when a call fails goes back to the
 * dead-letter queue as the channel closes.
 */
export class AmqpDeadLetters extends DeadLetterQueues {
  public constructor(private readonly provider: AmqpConnectionProvider) {
    super();
  }

  public async inspect(ref: DeadLetterQueueRef, limit: number): Promise<DeadLetterListing> {
    return this.withChannel(async (channel) => {
      const count = await queueCount(channel, ref.queue);
      if (count === undefined) return { ...ref, exists: false, count: 0, messages: [] };
      const messages: DeadLetterEntry[] = [];
      let last: GetMessage | undefined;
      while (messages.length < limit) {
        const message = await channel.get(ref.queue, { noAck: false });
        if (message === false) break;
        messages.push(entryOf(message, messages.length));
        last = message;
      }
      // Every message this channel holds, back to the queue at once.
      if (last !== undefined) channel.nack(last, true, true);
      return { ...ref, exists: true, count, messages };
    });
  }

  public async redrive(ref: DeadLetterQueueRef, options: RedriveOptions): Promise<RedriveResult> {
    // A missing queue closes the channel that asked, so each check gets its own.
    if ((await this.withChannel((channel) => queueCount(channel, ref.queue))) === undefined) {
      throw new DeadLetterQueueMissingError(`the dead-letter queue ${ref.queue} is not declared on the broker`);
    }
    // The default exchange drops a message for a queue that does not exist, and the confirm would still come.
    if ((await this.withChannel((channel) => queueCount(channel, ref.source))) === undefined) {
      throw new DeadLetterQueueMissingError(`the source queue ${ref.source} is not declared on the broker: nothing was moved`);
    }
    const moved = await this.withChannel(async (channel) => {
      const scanLimit = options.messageId === undefined ? options.limit : Math.max(options.limit, options.scanLimit ?? options.limit);
      const skipped: GetMessage[] = [];
      let confirmed = 0;
      let read = 0;
      let empty = false;
      while (!empty && confirmed < options.limit && read < scanLimit) {
        const toAck: GetMessage[] = [];
        while (toAck.length < REDRIVE_BATCH && confirmed + toAck.length < options.limit && read < scanLimit) {
          const message = await channel.get(ref.queue, { noAck: false });
          if (message === false) {
            empty = true;
            break;
          }
          read += 1;
          if (options.messageId !== undefined && messageIdOf(message) !== options.messageId) {
            skipped.push(message);
            continue;
          }
          channel.publish('', ref.source, message.content, redrivenPublishOptions(message));
          toAck.push(message);
        }
        if (toAck.length === 0) continue;
        // Never ack before the confirm: a message is then in the source queue, or still in the dead-letter queue.
        await channel.waitForConfirms();
        for (const message of toAck) channel.ack(message);
        confirmed += toAck.length;
      }
      for (const message of skipped) channel.nack(message, false, true);
      return confirmed;
    });
    // Counted once the channel is closed: a nack has no reply, so the same channel could count before the requeue.
    const remaining = (await this.withChannel((channel) => queueCount(channel, ref.queue))) ?? 0;
    return { ...ref, moved, remaining };
  }

  private async withChannel<T>(work: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
    const connection = await this.provider.get();
    const channel = await connection.createConfirmChannel();
    let closed = false;
    // A channel the broker closes (404, 406) rejects the call in flight; the event itself needs a listener.
    channel.on('error', () => undefined);
    channel.on('close', () => {
      closed = true;
    });
    try {
      return await work(channel);
    } finally {
      if (!closed) await channel.close().catch(() => undefined);
    }
  }
}

/** Ready messages of a queue, or undefined when the broker says it does not exist (which closes the channel). */
async function queueCount(channel: ConfirmChannel, queue: string): Promise<number | undefined> {
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } catch (error) {
    if (replyCodeOf(error) === 404) return undefined;
    throw error;
  }
}
