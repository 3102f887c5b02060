import type { ConsumeMessage } from 'amqplib';
import { applyTopology } from '../../../shared/amqp-kit/topology.js';
import type { AmqpConnectionProvider } from '../../../shared/amqp-kit/connection.js';
import { decodeDeliveryHeaders } from '../../../shared/amqp-kit/delivery-headers.js';
import type { Headers } from '../../../shared/contract/headers.js';
import { parseHeartbeat, type Heartbeat } from '../../../shared/contract/heartbeat.js';
import { managerTopology, workerTopology } from '../../../shared/contract/topology.js';
import type { WireNames } from '../../../shared/contract/wire-names.js';
import { buildWorkItem, type WorkItem } from '../../../shared/contract/work-item.js';
import { parseWorkerResponse, type WorkerResponse } from '../../../shared/contract/worker-response.js';
import type { RabbitFixture } from '../../support/rabbitmq.js';
import { CapturingLogger } from '../../support/capturing-logger.js';

/*
 * The manager's side of the wire, played by a test: the manager topology under per-test names,
 * work items built by the contract, and the worker's answers, heartbeats and dead letters read back
 * through the contract's parsers.
 */

export interface ManagerSide {
  readonly names: WireNames;
  /** Declares the worker type's queue as the manager does at first dispatch. */
  declareWorker(workerType: string): Promise<void>;
  sendWorkItem(workerType: string, item?: Partial<WorkItem>): Promise<WorkItem>;
  responses(count: number, timeoutMs?: number): Promise<WorkerResponse[]>;
  /** Heartbeats as parsed by the contract, with the raw JSON body. */
  heartbeats(count: number, timeoutMs?: number): Promise<Array<{ heartbeat: Heartbeat; raw: unknown }>>;
  deadLetters(count: number, timeoutMs?: number): Promise<Array<{ headers: Headers; body: Buffer }>>;
}

export function decoded(message: ConsumeMessage): Headers {
  return decodeDeliveryHeaders(message.properties.headers);
}

let counter = 0;

export async function managerSide(rabbit: RabbitFixture, provider: AmqpConnectionProvider, suffix: string): Promise<ManagerSide> {
  const names = rabbit.wireNames(suffix);
  await applyTopology(provider, managerTopology(names));
  return {
    names,
    async declareWorker(workerType) {
      rabbit.trackWorkerType(workerType);
      await applyTopology(provider, workerTopology(names, workerType));
    },
    async sendWorkItem(workerType, item = {}) {
      counter += 1;
      const full: WorkItem = {
        tenant: 'project-a',
        requestId: `req-${suffix}-${counter}`,
        owner: 'owner-1',
        session: 'session-1',
        contentType: 'raw-file',
        dispatchAttempt: 1,
        additionalHeaders: {},
        body: Buffer.from('{"file":"a.dat"}'),
        ...item,
      };
      const message = buildWorkItem(names, workerType, full);
      const props = message.properties ?? {};
      await rabbit.publish(message.exchange, message.routingKey, Buffer.from(message.body), {
        headers: message.headers,
        persistent: props.persistent ?? true,
        ...(props.contentType === undefined ? {} : { contentType: props.contentType }),
        ...(props.priority === undefined ? {} : { priority: props.priority }),
        ...(props.appId === undefined ? {} : { appId: props.appId }),
      });
      return full;
    },
    async responses(count, timeoutMs = 10_000) {
      const messages = await rabbit.collect(names.workerResponse, count, { timeoutMs });
      return messages.map((message) => {
        const parsed = parseWorkerResponse(decoded(message), message.content);
        if (!parsed.ok) throw new Error(`the worker sent an unreadable response: ${parsed.reason}`);
        return parsed.value;
      });
    },
    async heartbeats(count, timeoutMs = 10_000) {
      const messages = await rabbit.collect(names.heartbeatQueue, count, { timeoutMs });
      return messages.map((message) => {
        const parsed = parseHeartbeat(decoded(message), message.content);
        if (!parsed.ok) throw new Error(`the worker sent an unreadable heartbeat: ${parsed.reason}`);
        return { heartbeat: parsed.value, raw: JSON.parse(message.content.toString('utf8')) as unknown };
      });
    },
    async deadLetters(count, timeoutMs = 10_000) {
      const messages = await rabbit.collect(names.workerDeadLetter, count, { timeoutMs });
      return messages.map((message) => ({ headers: decoded(message), body: message.content }));
    },
  };
}

/** Keeps expected warnings (lost connections, missing exchanges) out of the test output. */
export function recordingLogger(): CapturingLogger {
  return new CapturingLogger();
}

/** A promise with its resolver, to hold a handler until the test lets it go. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
