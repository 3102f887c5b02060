import { listDeadLetters, redriveDeadLetters, type DeadLetterDeps } from '../../../shared/application/use-cases/dead-letters.js';
import { defineRoute, type Route } from '../../../shared/lambda/http/router.js';
import { DeadLetterQueueParamsSchema, DeadLettersQuerySchema, DeadLettersSchema, RedriveBodySchema, RedriveResultSchema } from '../schema.js';

/**
 * The manager's dead-letter queues. INSTANCE_ADMIN only: every tenant's rejected messages sit in
 * the same queues, so a tenant administrator must neither read nor move them.
 */
export function deadLetterRoutes(deps: DeadLetterDeps): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/dead-letters',
      access: 'INSTANCE_ADMIN',
      operationId: 'listDeadLetters',
      tag: 'dead-letters',
      summary: "The manager's dead-letter queues: count, age of the oldest message, reasons, and the first messages",
      description:
        'Reads the first `limit` messages of each queue and puts them back (nack with requeue): they stay in place, flagged redelivered. Reasons come from the `x-wm-rejection-reason` header, else from `x-death`.',
      query: DeadLettersQuerySchema,
      responses: { 200: { description: 'one entry per dead-letter queue', schema: DeadLettersSchema } },
      handle: async ({ query }) => {
        const reports = await listDeadLetters({ limit: query.limit }, deps);
        const body = reports.map((report) => ({
          ...report,
          messages: report.messages.map(({ deadLetteredAt, ...entry }) => ({
            ...entry,
            ...(deadLetteredAt === undefined ? {} : { deadLetteredAt: deadLetteredAt.toISOString() }),
          })),
        }));
        return { status: 200, body };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/dead-letters/{queue}/redrive',
      params: DeadLetterQueueParamsSchema,
      access: 'INSTANCE_ADMIN',
      operationId: 'redriveDeadLetters',
      tag: 'dead-letters',
      summary: 'Move dead letters back to their source queue: one (messageId), some (limit) or all (empty body), and say how many moved',
      description:
        'Each message is published to the source queue (default exchange, publisher confirms) with its body, properties and headers, minus `x-death` and co.; `x-wm-rejection-reason` is kept as `x-wm-previous-rejection-reason`. It leaves the dead-letter queue only once the publish is confirmed.',
      body: RedriveBodySchema,
      responses: {
        200: { description: 'what moved and what is left', schema: RedriveResultSchema },
        404: { description: "not one of the manager's dead-letter queues" },
        409: { description: 'the dead-letter queue or its source queue is not declared on the broker' },
      },
      handle: async ({ params, body }) => ({
        status: 200,
        body: await redriveDeadLetters({ queue: params.queue, limit: body.limit, messageId: body.messageId }, deps),
      }),
    }),
  ];
}
