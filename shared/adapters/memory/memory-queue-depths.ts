import { QueueDepths } from '../../ports/queue-depths.js';

/**
 * Queue depths a test sets; an unset queue counts 0. A queue in `missing` is one the broker does
 * not know: left out of the answer, as the broker adapter leaves out a 404.
 */
export class MemoryQueueDepths extends QueueDepths {
  public readonly depths = new Map<string, number>();
  public readonly missing = new Set<string>();
  /** Every call's queues, in order: what a test checks to see the checks batched. */
  public readonly calls: string[][] = [];
  public unavailable = false;

  public async messageCounts(queues: readonly string[]): Promise<Map<string, number>> {
    this.calls.push([...queues]);
    if (this.unavailable) throw new Error('broker unreachable');
    return new Map(queues.filter((queue) => !this.missing.has(queue)).map((queue) => [queue, this.depths.get(queue) ?? 0]));
  }
}
