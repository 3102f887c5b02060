import * as z from 'zod';
import type { OutboundMessage } from './outbound-message.js';
import { ContractError } from './contract-error.js';
import { Header, headerString, type Headers } from './headers.js';
import { jsonBody, parseJsonBody } from './json-body.js';
import { OffsetDateTimeSchema, formatOffsetDateTime } from './offset-date-time.js';
import { describeZodError, parsed, rejected, type ParseResult } from './parse-result.js';

export { formatOffsetDateTime, parseOffsetDateTime } from './offset-date-time.js';

/* A worker instance saying it is alive (reference 3.7). */

export const HEARTBEAT_LIMITS = { id: 255, type: 128 } as const;

export const HeartbeatBodySchema = z.object({
  /** The worker instance. */
  id: z.string().trim().min(1).max(HEARTBEAT_LIMITS.id),
  /** The worker type, as configured (not lower-cased). */
  type: z.string().trim().min(1).max(HEARTBEAT_LIMITS.type),
  heartBeatDate: OffsetDateTimeSchema,
});
export type HeartbeatWireBody = z.input<typeof HeartbeatBodySchema>;

export interface Heartbeat {
  instanceId: string;
  workerType: string;
  /** The worker's own clock: liveness rules must allow for skew. */
  reportedAt: Date;
  /** Liveness is global; REGARDS only needs some active tenant here to accept the message. */
  tenant?: string;
}

export function parseHeartbeat(headers: Headers, body: Uint8Array): ParseResult<Heartbeat> {
  const json = parseJsonBody(body);
  if (!json.ok) return json;
  const checked = HeartbeatBodySchema.safeParse(json.value);
  if (!checked.success) return rejected(describeZodError(checked.error, json.value));
  const tenant = headerString(headers, Header.tenant);
  return parsed({
    instanceId: checked.data.id,
    workerType: checked.data.type,
    reportedAt: checked.data.heartBeatDate,
    ...(tenant === undefined ? {} : { tenant }),
  });
}

export interface HeartbeatTarget {
  /** The manager's heartbeat exchange (`regards.worker.manager.heartbeat` by default). */
  exchange: string;
  routingKey?: string;
  appId?: string;
}

const FieldsSchema = z.object({
  instanceId: z.string().trim().min(1).max(HEARTBEAT_LIMITS.id),
  workerType: z.string().trim().min(1).max(HEARTBEAT_LIMITS.type),
  reportedAt: z.date(),
  tenant: z.string().trim().min(1).optional(),
});

/**
 * For workers. A REGARDS manager drops a heartbeat without an active tenant, so a worker that may
 * talk to one should pass a tenant.
 */
export function buildHeartbeat(target: HeartbeatTarget, heartbeat: Heartbeat): OutboundMessage {
  const checked = FieldsSchema.safeParse(heartbeat);
  if (!checked.success) throw new ContractError(`invalid heartbeat: ${describeZodError(checked.error, heartbeat)}`, { cause: checked.error });
  const { instanceId, workerType, reportedAt, tenant } = checked.data;
  const body: HeartbeatWireBody = { id: instanceId, type: workerType, heartBeatDate: formatOffsetDateTime(reportedAt) };
  return {
    exchange: target.exchange,
    routingKey: target.routingKey ?? '',
    headers: tenant === undefined ? {} : { [Header.tenant]: tenant },
    body: jsonBody(body),
    properties: {
      contentType: 'application/json',
      // A heartbeat kept across a broker restart would only be stale: not worth a disk write.
      persistent: false,
      ...(target.appId === undefined ? {} : { appId: target.appId }),
    },
  };
}
