import { DEFAULT_TOPOLOGY_OPTIONS, managerTopology, type TopologyOptions } from '../../contract/topology.js';
import { dedicatedDeadLetterQueue, type WireNames } from '../../contract/wire-names.js';
import type { Clock } from '../../ports/clock.js';
import type { DeadLetterEntry, DeadLetterQueueRef, DeadLetterQueues, DeadLetterReasonOrigin, RedriveResult } from '../../ports/dead-letter-queues.js';
import { DeadLetterQueueNotFoundError } from './use-case-errors.js';

// admin-api GET /dead-letters, POST /dead-letters/{queue}/redrive --> (use case) --> DeadLetterQueues

/** Messages read per queue by a listing unless told otherwise, and at most. */
export const DEAD_LETTER_LIST_DEFAULT = 100;
export const DEAD_LETTER_LIST_MAX = 1_000;
/** Messages moved (or read, looking for an id) by one redrive call at most: a larger backlog takes several calls. */
export const DEAD_LETTER_REDRIVE_MAX = 1_000;

export interface DeadLetterDeps {
  settings: { names: WireNames } & ShardSettings;
  clock: Clock;
  deadLetters: DeadLetterQueues;
}

export interface DeadLetterReason {
  reason: string;
  origin: DeadLetterReasonOrigin;
  /** Among the messages read, not the whole queue. */
  count: number;
}

export interface DeadLetterQueueReport extends DeadLetterQueueRef {
  exists: boolean;
  count: number;
  /** How many messages this listing read (and put back): the reasons and the oldest age are over these. */
  inspected: number;
  /** Seconds since the head message was dead-lettered, when its headers say. */
  oldestAgeSeconds?: number;
  reasons: DeadLetterReason[];
  messages: DeadLetterEntry[];
}

type ShardSettings = Pick<TopologyOptions, 'shards' | 'drainedShards'>;

/**
 * The manager's dead-letter queues: `<queue>.DLQ` of each queue the topology dead-letters there
 * (requests, worker responses, worker dead letters), with that queue as the source a redrive
 * publishes to. The shared `regards.DLQ` extends no queue's name and has no source, so it is not one.
 */
export function managerDeadLetterQueues(names: WireNames, shards: ShardSettings = {}): DeadLetterQueueRef[] {
  // Each shard queue has its own dead-letter queue, a redrive goes back to that shard.
  const declared = new Set(managerTopology(names, { ...DEFAULT_TOPOLOGY_OPTIONS, ...shards }).queues.map((queue) => queue.name));
  return [...declared]
    .filter((source) => declared.has(dedicatedDeadLetterQueue(source)))
    .map((source) => ({ queue: dedicatedDeadLetterQueue(source), source }));
}

export async function listDeadLetters(input: { limit?: number | undefined }, deps: DeadLetterDeps): Promise<DeadLetterQueueReport[]> {
  const limit = Math.min(input.limit ?? DEAD_LETTER_LIST_DEFAULT, DEAD_LETTER_LIST_MAX);
  const now = deps.clock.now().getTime();
  // One queue at a time: each listing holds up to `limit` messages unacknowledged until it puts them back.
  const reports: DeadLetterQueueReport[] = [];
  for (const ref of managerDeadLetterQueues(deps.settings.names, deps.settings)) {
    const listing = await deps.deadLetters.inspect(ref, limit);
    const head = listing.messages[0]?.deadLetteredAt;
    reports.push({
      queue: listing.queue,
      source: listing.source,
      exists: listing.exists,
      count: listing.count,
      inspected: listing.messages.length,
      ...(head === undefined ? {} : { oldestAgeSeconds: Math.max(0, Math.round((now - head.getTime()) / 1000)) }),
      reasons: reasonsOf(listing.messages),
      messages: listing.messages,
    });
  }
  return reports;
}

/** Most frequent first. */
function reasonsOf(messages: readonly DeadLetterEntry[]): DeadLetterReason[] {
  const counted = new Map<string, DeadLetterReason>();
  for (const { reason, reasonOrigin } of messages) {
    const key = `${reasonOrigin}\u0000${reason}`;
    const seen = counted.get(key);
    if (seen) seen.count += 1;
    else counted.set(key, { reason, origin: reasonOrigin, count: 1 });
  }
  return [...counted.values()].sort((a, b) => b.count - a.count);
}

export interface RedriveInput {
  queue: string;
  /** Default (and at most) DEAD_LETTER_REDRIVE_MAX: "all" of a larger backlog takes several calls. */
  limit?: number | undefined;
  messageId?: string | undefined;
}

export async function redriveDeadLetters(input: RedriveInput, deps: DeadLetterDeps): Promise<RedriveResult> {
  const ref = managerDeadLetterQueues(deps.settings.names, deps.settings).find((candidate) => candidate.queue === input.queue);
  if (ref === undefined) throw new DeadLetterQueueNotFoundError(`"${input.queue}" is not one of the manager's dead-letter queues`);
  const limit = Math.min(input.limit ?? DEAD_LETTER_REDRIVE_MAX, DEAD_LETTER_REDRIVE_MAX);
  return deps.deadLetters.redrive(ref, { limit, ...(input.messageId === undefined ? {} : { messageId: input.messageId, scanLimit: DEAD_LETTER_REDRIVE_MAX }) });
}
