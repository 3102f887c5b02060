import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Metrics } from '../../ports/metrics.js';

// DynamoDB client --> (a middleware of its own) --> StoreCalls{Function, Operation}

const MIDDLEWARE_NAME = 'workerManagerStoreCalls';

/** Where each instrumented client's calls are counted now: a host started again on the same client counts into its new registry. */
const targets = new WeakMap<DynamoDBDocumentClient, { metrics: Metrics; functionName: string }>();

/**
 * Counts every DynamoDB round trip the client makes (a BatchGetItem of 100 keys is one), by the
 * SDK's command name (GetItemCommand, QueryCommand, ...: a bounded set), once per attempt the
 * caller starts: the SDK's own retries of a call are not counted again.
 */
export function countStoreCalls(client: DynamoDBDocumentClient, metrics: Metrics, functionName: string): void {
  const instrumented = targets.has(client);
  targets.set(client, { metrics, functionName });
  if (instrumented) return;
  client.middlewareStack.add(
    (next, context) => (args) => {
      const target = targets.get(client);
      const operation = typeof context.commandName === 'string' ? context.commandName.replace(/Command$/, '') : 'unknown';
      target?.metrics.count('storeCalls', { Function: target.functionName, Operation: operation });
      return next(args);
    },
    { step: 'initialize', name: MIDDLEWARE_NAME },
  );
}
