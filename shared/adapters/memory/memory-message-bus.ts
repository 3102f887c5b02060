import type { Topology } from '../../contract/topology.js';
import { type OutboundMessage } from '../../contract/outbound-message.js';
import { MessageBus, PublishError } from '../../ports/message-bus.js';

/** A broker in memory: keeps what was published and declared, and can be told to fail. */
export class MemoryMessageBus extends MessageBus {
  public readonly published: OutboundMessage[] = [];
  public readonly declaredExchanges = new Set<string>();
  /** Publish bursts, one per call: a batch should make one. */
  public bursts = 0;
  /** Set to make the next publish calls fail as a broker outage would. */
  public failing = false;

  public async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (this.failing) throw new PublishError('memory bus: broker marked unavailable');
    this.bursts += 1;
    this.published.push(...messages.map((message) => structuredClone(message)));
  }

  public async ensureTopology(topology: Topology): Promise<void> {
    if (this.failing) throw new PublishError('memory bus: broker marked unavailable');
    for (const exchange of topology.exchanges) this.declaredExchanges.add(exchange.name);
  }

  public to(exchange: string): OutboundMessage[] {
    return this.published.filter((message) => message.exchange === exchange);
  }

  public clear(): void {
    this.published.length = 0;
    this.bursts = 0;
  }
}
