import {
  DeadLetterQueueMissingError,
  DeadLetterQueues,
  type DeadLetterEntry,
  type DeadLetterListing,
  type DeadLetterQueueRef,
  type RedriveOptions,
  type RedriveResult,
} from '../../ports/dead-letter-queues.js';

/** A dead letter as the memory double holds it: the entry a listing shows (its position is given at listing). */
export type MemoryDeadLetter = Omit<DeadLetterEntry, 'position'>;

/** DeadLetterQueues over in-memory lists, for use-case and route tests; a queue exists once it was given. */
export class MemoryDeadLetters extends DeadLetterQueues {
  public readonly queues = new Map<string, MemoryDeadLetter[]>();

  public constructor(initial: Record<string, MemoryDeadLetter[]> = {}) {
    super();
    for (const [queue, messages] of Object.entries(initial)) this.queues.set(queue, [...messages]);
  }

  public async inspect(ref: DeadLetterQueueRef, limit: number): Promise<DeadLetterListing> {
    const messages = this.queues.get(ref.queue);
    if (messages === undefined) return { ...ref, exists: false, count: 0, messages: [] };
    return { ...ref, exists: true, count: messages.length, messages: messages.slice(0, limit).map((message, position) => ({ ...message, position })) };
  }

  public async redrive(ref: DeadLetterQueueRef, options: RedriveOptions): Promise<RedriveResult> {
    const messages = this.queues.get(ref.queue);
    if (messages === undefined) throw new DeadLetterQueueMissingError(`the dead-letter queue ${ref.queue} is not declared`);
    const source = this.queues.get(ref.source) ?? [];
    this.queues.set(ref.source, source);
    const scanLimit = options.messageId === undefined ? options.limit : Math.max(options.limit, options.scanLimit ?? options.limit);
    const kept: MemoryDeadLetter[] = [];
    let moved = 0;
    messages.forEach((message, index) => {
      const eligible = index < scanLimit && moved < options.limit && (options.messageId === undefined || message.messageId === options.messageId);
      if (eligible) {
        source.push(message);
        moved += 1;
      } else kept.push(message);
    });
    this.queues.set(ref.queue, kept);
    return { ...ref, moved, remaining: kept.length };
  }
}
