import { Header } from './headers.js';
import { jsonBody } from './json-body.js';
import type { OutboundMessage } from './outbound-message.js';
import { GSON_CONVERTER, RESPONSE_EVENT_PRIORITY } from './response-event.js';

/*
 * REGARDS' administrator notification, as its AMQP framework sends one when it drops messages
 * (regards-backend, rs-microservice/regards-starters/amqp-regards/src/main/java/fr/cnes/regards/
 * framework/amqp/batch/BatchMessageErrorHandler.java): one NotificationEvent per batch,
 * title "AMQP batch processing failure.", the counts by error type in the message, level ERROR,
 * the microservice as sender, role EXPLOIT as recipients. The event
 * (.../amqp/event/notification/NotificationEvent.java: `{notification}`, ONE_PER_MICROSERVICE_TYPE,
 * GSON) carries a NotificationDTO (rs-microservice/.../framework/notification/NotificationDTO.java:
 * message, roleRecipients, sender, title, level, mimeType written by MimeTypeAdapter as
 * "text/plain"); rs-admin's notification module reads it from `regards.broadcast.<class>`.
 */

export const NOTIFICATION_EVENT_CLASS = 'fr.cnes.regards.framework.amqp.event.notification.NotificationEvent';
export const BATCH_FAILURE_TITLE = 'AMQP batch processing failure.';
/** DefaultRole.EXPLOIT: the project's operators. */
export const EXPLOIT_ROLE = 'EXPLOIT';

/** BatchMessageErrorType labels, word for word (they are notification titles in REGARDS). */
export const NoticeTitle = {
  missingTenant: 'Missing tenant in AMQP message header.',
  invalidMessage: 'Invalid AMQP message.',
  notConverted: 'Failed AMQP message conversion.',
  /** Ours: REGARDS ignores a tenant not active on the instance; this manager answers SKIPPED and says so. */
  unknownTenant: 'Unknown tenant.',
  /** Ours: a work item the broker dead-lettered (REGARDS only logs it). */
  workerDeadLetter: 'Worker request dead-lettered.',
} as const;

export interface NotificationEventBody {
  notification: {
    message: string;
    roleRecipients: string[];
    sender: string;
    title: string;
    level: 'INFO' | 'WARNING' | 'ERROR' | 'FATAL';
    mimeType: string;
  };
}

/** The message of the batch summary, as BatchMessageErrorHandler#buildOneNotificationEventFromErrors words it. */
export function batchFailureMessage(microservice: string, countsByTitle: ReadonlyMap<string, number>): string {
  const total = [...countsByTitle.values()].reduce((sum, count) => sum + count, 0);
  const types = [...countsByTitle].map(([title, count]) => `'${title}' : ${count} errors`).join(', ');
  return `Got a total of ${total} errors with the following types, for more information on the errors refer to the '${microservice}' microservice logs : ['${types}].`;
}

export interface BatchNotice {
  tenant: string;
  countsByTitle: ReadonlyMap<string, number>;
}

export function buildBatchFailureNotification(
  notice: BatchNotice,
  target: { exchange: string; microservice: string; appId: string; date: Date },
): OutboundMessage {
  const body: NotificationEventBody = {
    notification: {
      message: batchFailureMessage(target.microservice, notice.countsByTitle),
      roleRecipients: [EXPLOIT_ROLE],
      sender: target.microservice,
      title: BATCH_FAILURE_TITLE,
      level: 'ERROR',
      mimeType: 'text/plain',
    },
  };
  return {
    exchange: target.exchange,
    routingKey: '',
    headers: { [Header.tenant]: notice.tenant, [Header.converter]: GSON_CONVERTER, [Header.type]: NOTIFICATION_EVENT_CLASS },
    body: jsonBody(body),
    properties: { contentType: 'application/json', priority: RESPONSE_EVENT_PRIORITY, appId: target.appId, persistent: true, timestamp: target.date },
  };
}
