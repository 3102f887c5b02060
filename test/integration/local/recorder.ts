import type { AmazonMqEvent, AmazonMqMessage } from '../../../shared/contract/amazon-mq-event.js';

/** One invocation of the handler, as the emulator made it. */
export interface RecordedBatch {
  index: number;
  event: AmazonMqEvent;
  messages: AmazonMqMessage[];
  bodies: string[];
  redelivered: boolean[];
  /** performance.now() when the handler was called. */
  startedAt: number;
}

type Behaviour = (batch: RecordedBatch) => Promise<void> | void;

/**
 * A handler for the emulator that records every event and lets a test wait for a condition on
 * what was recorded; the condition is checked whenever an invocation starts or ends, so nothing
 * polls.
 */
export class Recorder {
  public readonly batches: RecordedBatch[] = [];
  public maxConcurrent = 0;
  public completed = 0;
  private active = 0;
  private readonly waiters = new Set<() => void>();

  public constructor(private readonly behaviour: Behaviour = () => undefined) {}

  public readonly handler = async (event: AmazonMqEvent): Promise<void> => {
    const messages = Object.values(event.rmqMessagesByQueue).flat();
    const batch: RecordedBatch = {
      index: this.batches.length,
      event,
      messages,
      bodies: messages.map((m) => Buffer.from(m.data, 'base64').toString('utf8')),
      redelivered: messages.map((m) => m.redelivered),
      startedAt: performance.now(),
    };
    this.batches.push(batch);
    this.active += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.active);
    this.notify();
    try {
      await this.behaviour(batch);
    } finally {
      this.active -= 1;
      this.completed += 1;
      this.notify();
    }
  };

  public get messageCount(): number {
    return this.batches.reduce((sum, b) => sum + b.messages.length, 0);
  }

  public get sizes(): number[] {
    return this.batches.map((b) => b.messages.length);
  }

  /** Resolves once `condition` holds; rejects after `timeoutMs` naming what was awaited. */
  public until(condition: (recorder: Recorder) => boolean, description: string, timeoutMs = 15_000): Promise<void> {
    if (condition(this)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!condition(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}; batch sizes so far ${JSON.stringify(this.sizes)}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** A promise the test opens by hand, to hold a handler inside its invocation. */
export class Gate {
  public readonly opened: Promise<void>;
  private release!: () => void;

  public constructor() {
    this.opened = new Promise<void>((resolve) => {
      this.release = resolve;
    });
  }

  public open(): void {
    this.release();
  }
}
