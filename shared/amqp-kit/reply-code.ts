/** The AMQP reply code amqplib puts on a channel or connection error (e.g. 404, 406), if any. */
export function replyCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'number' ? error.code : undefined;
}
