import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { jsonBody } from './bodies.js';

/*
 * Shared pieces of the benchmarks: every figure they print is a ratio or a rate measured side by
 * side in the same run, because these machines are too noisy for absolute thresholds.
 */

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
  const body = jsonBody(bodyBytes);
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
