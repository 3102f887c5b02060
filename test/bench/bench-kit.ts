import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import amqp from 'amqplib';

/*
 * Shared pieces of the benchmarks: every figure they print is a ratio or a rate measured side by
 * side in the same run, because these machines are too noisy for absolute thresholds.
 */

export interface CommandCounter {
  total(): number;
  byCommand(): Record<string, number>;
  reset(): void;
}

/** Counts the commands a document client sends (they still reach the store). */
export function countCommands(client: DynamoDBDocumentClient): CommandCounter {
  const counts = new Map<string, number>();
  const send = client.send.bind(client) as (command: object) => Promise<unknown>;
  (client as { send: (command: object) => Promise<unknown> }).send = (command: object) => {
    const name = command.constructor.name;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return send(command);
  };
  return {
    total: () => [...counts.values()].reduce((sum, n) => sum + n, 0),
    byCommand: () => Object.fromEntries(counts),
    reset: () => counts.clear(),
  };
}

/**
 * The raw broker's rate on this machine, now: persistent messages published on a confirm channel,
 * one confirm wait per burst of `burst`, into a durable queue — the same publish discipline the
 * manager uses, with nothing else around it.
 */
export async function rawPublishRate(url: string, queue: string, count: number, bodyBytes: number, burst = 500): Promise<number> {
  const connection = await amqp.connect(url, { noDelay: true });
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.purgeQueue(queue);
    const body = Buffer.alloc(bodyBytes, 'x');
    const started = performance.now();
    for (let sent = 0; sent < count; sent += burst) {
      for (let n = sent; n < Math.min(count, sent + burst); n += 1) {
        channel.sendToQueue(queue, body, { persistent: true, headers: { n } });
      }
      await channel.waitForConfirms();
    }
    const seconds = (performance.now() - started) / 1000;
    await channel.deleteQueue(queue);
    await channel.close();
    return count / seconds;
  } finally {
    await connection.close();
  }
}

export function format(rate: number): string {
  return Math.round(rate).toLocaleString('en-US');
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The store's own rate for the write intake needs (a conditional put of a request-sized item that
 * feeds one index), at the manager's store concurrency: the ceiling a store-bound intake can reach.
 */
export async function rawConditionalPutRate(
  client: DynamoDBDocumentClient,
  tableName: string,
  count: number,
  bodyBytes: number,
  concurrency: number,
): Promise<number> {
  const body = Buffer.alloc(bodyBytes, 'x');
  let next = 0;
  const put = async () => {
    while (next < count) {
      const n = next++;
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: `raw#${n}`, sk: 'R', gsi1pk: `raw#${n % 4}`, gsi1sk: `${n}`, content: body },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, put));
  const seconds = (performance.now() - started) / 1000;
  for (let n = 0; n < count; n += 1) await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: `raw#${n}`, sk: 'R' } }));
  return count / seconds;
}
