import * as z from 'zod';

/**
 * Every exchange and queue name on the broker. The defaults are the REGARDS rs-worker-manager
 * names, so a REGARDS client or worker can switch to this manager unchanged.
 */
export const WireNamesSchema = z.object({
  /** Fanout exchange clients publish requests to. */
  requestExchange: z.string().min(1).default('regards.broadcast.fr.cnes.regards.modules.workermanager.amqp.events.in.RequestEvent'),
  /** Durable queue the manager consumes requests from. */
  requestQueue: z.string().min(1).default('regards.broadcast.rs-worker-manager.fr.cnes.regards.modules.workermanager.service.flow.RequestHandler'),
  /** Fanout exchange the manager publishes ResponseEvent to. */
  responseExchange: z.string().min(1).default('regards.broadcast.fr.cnes.regards.modules.workermanager.amqp.events.out.ResponseEvent'),
  /** `%s` is replaced by the lower-cased worker type; the exchange and its queue share the name. */
  workerRequestTemplate: z.string().includes('%s').default('regards.worker.%s.request'),
  /** Routing key of work items. */
  workerRoutingKey: z.string().default('#'),
  /** Topic exchange and queue of worker responses. */
  workerResponse: z.string().min(1).default('regards.worker.manager.response'),
  /** Topic exchange workers send heartbeats to. */
  heartbeatExchange: z.string().min(1).default('regards.worker.manager.heartbeat'),
  /** One durable queue shared by every manager instance: liveness lives in the store, not in memory. */
  heartbeatQueue: z.string().min(1).default('regards.worker.manager.heartbeat.shared'),
  /** Worker dead letters: the queue, its fanout exchange and the routing key worker queues dead-letter with. */
  workerDeadLetter: z.string().min(1).default('regards.worker.manager.request.dlq'),
  /** The REGARDS global dead-letter exchange and queue. */
  deadLetterExchange: z.string().min(1).default('regards.DLX'),
  deadLetterQueue: z.string().min(1).default('regards.DLQ'),
  /*
   * The REGARDS session dashboard and notifications (see regards-sessions.ts and
   * regards-notifications.ts): the fanout exchanges `regards.broadcast.<event class>` REGARDS'
   * framework publishes these events to, and the queue rs-admin's deletions are read from.
   */
  sessionStepExchange: z.string().min(1).default('regards.broadcast.fr.cnes.regards.framework.modules.session.commons.domain.events.SessionStepEvent'),
  stepPropertyExchange: z
    .string()
    .min(1)
    .default('regards.broadcast.fr.cnes.regards.framework.modules.session.agent.domain.events.StepPropertyUpdateRequestEvent'),
  notificationExchange: z.string().min(1).default('regards.broadcast.fr.cnes.regards.framework.amqp.event.notification.NotificationEvent'),
  sessionDeleteExchange: z.string().min(1).default('regards.broadcast.fr.cnes.regards.framework.modules.session.commons.domain.events.SessionDeleteEvent'),
  sourceDeleteExchange: z.string().min(1).default('regards.broadcast.fr.cnes.regards.framework.modules.session.commons.domain.events.SourceDeleteEvent'),
  /** Bound to both deletion exchanges; named as REGARDS names a microservice's subscription queue. */
  sessionDeletionQueue: z.string().min(1).default('regards.broadcast.rs-worker-manager.wm.session-deletions'),
  /** AMQP `app_id` of everything the manager publishes (REGARDS `regards.instance.name`). */
  appId: z.string().min(1).default('REGARDS'),
});
export type WireNames = z.infer<typeof WireNamesSchema>;

export const DEFAULT_WIRE_NAMES: WireNames = WireNamesSchema.parse({});

/** Exchange (and queue) of a worker type: `regards.worker.<type lower-cased>.request`. */
export function workerRequestName(names: WireNames, workerType: string): string {
  return names.workerRequestTemplate.replace('%s', workerType.toLowerCase());
}

/** The dedicated dead-letter queue of a manager input queue, as the REGARDS framework names it. */
export function dedicatedDeadLetterQueue(queue: string): string {
  return `${queue}.DLQ`;
}
