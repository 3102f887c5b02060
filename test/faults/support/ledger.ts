import amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { Header } from '../../../shared/contract/headers.js';

/*
 * The client's side of a fault: every answer the manager sends, by tenant/requestId, read from a
 * durable queue bound to the response exchange by a consumer that reconnects on its own (the
 * broker may be stopped under it). A request is settled by its first final answer; later final
 * answers are duplicates, allowed by the at-least-once contract but counted.
 */

export const FINAL_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'ERROR', 'INVALID_CONTENT', 'SKIPPED']);

export interface LedgerSummary {
  sent: number;
  /** Requests with at least one final answer. */
  answered: number;
  /** Requests with no final answer that the admin API shows waiting (the caller fills it in). */
  waiting: number;
  /** Requests neither answered nor visible: lost. */
  lost: number;
  /** Requests with more than one final answer, and how many final answers beyond the first in all. */
  duplicateRequests: number;
  duplicateAnswers: number;
  /** Requests whose final answers disagree (e.g. SUCCESS then ERROR). */
  conflicting: number;
  /** Final states of the first final answer of each request. */
  states: Record<string, number>;
  /** Answers for request ids this ledger never sent. */
  strangers: number;
}

export class Ledger {
  private readonly answers = new Map<string, string[]>();
  private readonly bodies = new Map<string, Record<string, unknown>>();
  private readonly sent = new Set<string>();
  private model: ChannelModel | undefined;
  private stopped = false;
  private reconnecting: Promise<void> | undefined;

  private constructor(
    private readonly url: string,
    private readonly queue: string,
    private readonly connectionName: string,
  ) {}

  public static async start(url: string, queue: string, connectionName: string): Promise<Ledger> {
    const ledger = new Ledger(url, queue, connectionName);
    await ledger.connect();
    return ledger;
  }

  public key(tenant: string, requestId: string): string {
    return `${tenant}/${requestId}`;
  }

  public markSent(tenant: string, requestId: string): void {
    this.sent.add(this.key(tenant, requestId));
  }

  public statesOf(key: string): readonly string[] {
    return this.answers.get(key) ?? [];
  }

  /** The first final answer's body of a request. */
  public finalBody(key: string): Record<string, unknown> | undefined {
    return this.bodies.get(key);
  }

  public isFinal(key: string): boolean {
    return this.statesOf(key).some((state) => FINAL_STATES.has(state));
  }

  /**
   * Waits until every key has a final answer, or no new final answer came for `stallMs` (what is
   * left waits for something else: a deadline, an operator), or the time is up; returns the keys
   * still without one.
   */
  public async settle(keys: readonly string[], timeoutMs: number, stallMs = 6_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let lastCount = -1;
    let lastProgress = Date.now();
    for (;;) {
      const pending = keys.filter((key) => !this.isFinal(key));
      if (pending.length !== lastCount) {
        lastCount = pending.length;
        lastProgress = Date.now();
      }
      if (pending.length === 0 || Date.now() > deadline || Date.now() - lastProgress > stallMs) return pending;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Answer keys of requests this ledger never sent (a few, for the report). */
  public strangerKeys(limit = 5): string[] {
    return [...this.answers.keys()].filter((key) => !this.sent.has(key)).slice(0, limit);
  }

  /** Whether any tenant got a final answer for this request id (a header read in a way the sender did not foresee names the tenant). */
  public anyFinalFor(requestId: string): boolean {
    for (const key of this.answers.keys()) if (key.endsWith(`/${requestId}`) && this.isFinal(key)) return true;
    return false;
  }

  /** Waits until no new answer arrived for `quietMs` (late duplicates show up in the counts). */
  public async quiet(quietMs: number, maxMs = 20_000): Promise<void> {
    const end = Date.now() + maxMs;
    let last = this.total();
    let since = Date.now();
    while (Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = this.total();
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) return;
    }
  }

  public summary(keys: readonly string[], waiting: readonly string[] = []): LedgerSummary {
    const states: Record<string, number> = {};
    let answered = 0;
    let duplicateRequests = 0;
    let duplicateAnswers = 0;
    let conflicting = 0;
    for (const key of keys) {
      const finals = this.statesOf(key).filter((state) => FINAL_STATES.has(state));
      const first = finals[0];
      if (first === undefined) continue;
      answered += 1;
      states[first] = (states[first] ?? 0) + 1;
      if (finals.length > 1) {
        duplicateRequests += 1;
        duplicateAnswers += finals.length - 1;
      }
      if (new Set(finals).size > 1) conflicting += 1;
    }
    const strangers = [...this.answers.keys()].filter((key) => !this.sent.has(key)).length;
    return {
      sent: keys.length,
      answered,
      waiting: waiting.length,
      lost: keys.length - answered - waiting.length,
      duplicateRequests,
      duplicateAnswers,
      conflicting,
      states,
      strangers,
    };
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    await this.model?.close().catch(() => undefined);
  }

  private total(): number {
    let n = 0;
    for (const states of this.answers.values()) n += states.length;
    return n;
  }

  private record(message: ConsumeMessage): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
    } catch {
      return;
    }
    const key = this.key(String(message.properties.headers?.[Header.tenant]), String(body['requestId']));
    const state = String(body['state']);
    this.answers.set(key, [...(this.answers.get(key) ?? []), state]);
    if (FINAL_STATES.has(state) && !this.bodies.has(key)) this.bodies.set(key, body);
  }

  private async connect(): Promise<void> {
    const model = await amqp.connect(this.url, { clientProperties: { connection_name: this.connectionName } });
    model.on('error', () => undefined);
    const channel: Channel = await model.createChannel();
    channel.on('error', () => undefined);
    await channel.prefetch(500);
    await channel.consume(this.queue, (message) => {
      if (message === null) return;
      this.record(message);
      channel.ack(message);
    });
    this.model = model;
    model.once('close', () => {
      if (this.model === model) this.model = undefined;
      if (!this.stopped) this.reconnect();
    });
  }

  private reconnect(): void {
    if (this.reconnecting) return;
    this.reconnecting = (async () => {
      while (!this.stopped && this.model === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await this.connect().catch(() => undefined);
      }
    })().finally(() => {
      this.reconnecting = undefined;
    });
  }
}
