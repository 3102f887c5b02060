// The shape of every message the manager and the worker SDK publish, before it meets a broker.

export type OutboundHeaderValue = string | number | boolean;

/** A message the manager publishes: a work item, a client response, a dead letter. */
export interface OutboundMessage {
  exchange: string;
  routingKey: string;
  headers: Record<string, OutboundHeaderValue>;
  body: Uint8Array;
  properties?: {
    contentType?: string;
    priority?: number;
    appId?: string;
    messageId?: string;
    timestamp?: Date;
    /** Defaults to true: every message the manager sends survives a broker restart. */
    persistent?: boolean;
  };
}
