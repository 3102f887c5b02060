import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { batchGetAll, batchWriteAll, mapBounded } from '../../../shared/adapters/dynamodb/batch.js';
import { classifyStoreError, conditionalCall, storeCall, translateStoreError } from '../../../shared/adapters/dynamodb/store-call.js';
import { createTableInput, destroyDocumentClients, documentClient } from '../../../shared/adapters/dynamodb/client.js';
import { TABLE_DEFINITION } from '../../../shared/adapters/dynamodb/table-definition.js';
import { StoreUnavailableError, StoreValidationError } from '../../../shared/ports/request-store.js';

/** A client whose `send` is the given function: enough for the helpers, which only send. */
function fakeClient(send: (command: object) => Promise<unknown>): { client: DynamoDBDocumentClient; calls: object[] } {
  const calls: object[] = [];
  const client = {
    send: (command: object) => {
      calls.push(command);
      return send(command);
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, calls };
}

function serviceError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, ...extra });
}

const key = (i: number) => ({ pk: `P#${i}`, sk: 'R' });

describe('mapBounded', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded(
      Array.from({ length: 50 }, (_, i) => i),
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, (i * 7) % 5));
        running--;
        return i * 2;
      },
      4,
    );
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(peak).toBe(4);
  });

  it('defaults to 32 in flight', async () => {
    let running = 0;
    let peak = 0;
    await mapBounded(
      Array.from({ length: 100 }, (_, i) => i),
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        running--;
      },
    );
    expect(peak).toBe(32);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(
      mapBounded(
        Array.from({ length: 20 }, (_, i) => i),
        async (i) => {
          started.push(i);
          if (i === 2) throw new Error('boom');
          await new Promise((resolve) => setTimeout(resolve, 5));
        },
        2,
      ),
    ).rejects.toThrow('boom');
    expect(started.length).toBeLessThan(6);
  });

  it('refuses a limit below one', async () => {
    await expect(mapBounded([1], async (i) => i, 0)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('error translation', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a dual-stack refused connection', new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], 'connect')],
    ['throttling after the SDK retries', serviceError('ProvisionedThroughputExceededException')],
    ['a 5xx', serviceError('SomethingNew', { $metadata: { httpStatusCode: 503 } })],
    ['a missing table', serviceError('ResourceNotFoundException')],
    ['a timeout', serviceError('TimeoutError')],
  ])('turns %s into StoreUnavailableError with the cause', (_, error) => {
    const translated = translateStoreError(error, 'GetItem');
    expect(translated).toBeInstanceOf(StoreUnavailableError);
    expect((translated as Error).cause).toBe(error);
    expect((translated as Error).message).toContain('GetItem');
  });

  it('turns a ValidationException (a key or an item over its size limit, a bad expression) into StoreValidationError with the cause', () => {
    const error = serviceError('ValidationException', { $fault: 'client', $metadata: { httpStatusCode: 400 } });
    const translated = translateStoreError(error, 'PutItem');
    expect(translated).toBeInstanceOf(StoreValidationError);
    expect(translated).not.toBeInstanceOf(StoreUnavailableError);
    expect((translated as StoreValidationError).statusCode).toBe(500);
    expect((translated as Error).cause).toBe(error);
  });

  it('turns an error it does not know into StoreUnavailableError with the cause', () => {
    const error = new TypeError('something nobody expected');
    const translated = translateStoreError(error, 'Query');
    expect(translated).toBeInstanceOf(StoreUnavailableError);
    expect((translated as Error).cause).toBe(error);
  });

  it.each([
    ['ProvisionedThroughputExceededException', serviceError('ProvisionedThroughputExceededException'), 'transient'],
    ['ThrottlingException', serviceError('ThrottlingException'), 'transient'],
    ['RequestLimitExceeded', serviceError('RequestLimitExceeded'), 'transient'],
    ['an error the SDK marks retryable', serviceError('SomethingNew', { $retryable: { throttling: false } }), 'transient'],
    ['a server fault', serviceError('SomethingNew', { $fault: 'server' }), 'transient'],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient'],
    ['a ValidationException', serviceError('ValidationException', { $fault: 'client' }), 'validation'],
    ['a failed condition', serviceError('ConditionalCheckFailedException', { $fault: 'client' }), 'outcome'],
    ['a missing table', serviceError('ResourceNotFoundException', { $fault: 'client' }), 'unavailable'],
    ['an unknown client error', serviceError('AccessDeniedException', { $fault: 'client' }), 'unavailable'],
  ])('classifies %s from the SDK name and metadata', (_, error, kind) => {
    expect(classifyStoreError(error)).toBe(kind);
  });
});

describe('storeCall', () => {
  const fast = { policy: { initialDelayMs: 1, maxDelayMs: 2, factor: 2, jitter: 0 } };

  it('retries a transient failure with backoff and returns the first success', async () => {
    let calls = 0;
    const result = await storeCall(
      'GetItem',
      async () => {
        calls++;
        if (calls < 3) throw serviceError('ThrottlingException', { $retryable: { throttling: true } });
        return 'read';
      },
      fast,
    );
    expect(result).toBe('read');
    expect(calls).toBe(3);
  });

  it('gives up after a few attempts with StoreUnavailableError carrying the last failure', async () => {
    let calls = 0;
    const last = serviceError('ProvisionedThroughputExceededException');
    const error = await storeCall(
      'Query',
      async () => {
        calls++;
        throw last;
      },
      fast,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toBe(last);
    expect(calls).toBe(3);
  });

  it.each([
    ['a ValidationException', serviceError('ValidationException'), StoreValidationError],
    ['a missing table', serviceError('ResourceNotFoundException'), StoreUnavailableError],
    ['an unknown error', new RangeError('?'), StoreUnavailableError],
  ])('does not retry %s', async (_, thrown, expected) => {
    let calls = 0;
    const error = await storeCall(
      'PutItem',
      async () => {
        calls++;
        throw thrown;
      },
      fast,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(expected);
    expect(calls).toBe(1);
  });

  it('makes a failed condition an outcome, not an error', async () => {
    expect(await conditionalCall('PutItem', () => Promise.reject(serviceError('ConditionalCheckFailedException')))).toBe('conflict');
    expect(await conditionalCall('PutItem', () => Promise.resolve({}))).toBe('written');
    await expect(conditionalCall('PutItem', () => Promise.reject(serviceError('ThrottlingException')))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(storeCall('PutItem', () => Promise.reject(serviceError('ConditionalCheckFailedException')))).rejects.toThrow(
      'ConditionalCheckFailedException happened',
    );
  });
});

describe('batchGetAll', () => {
  it('reads in chunks of 100 keys, each key once', async () => {
    const { client, calls } = fakeClient(async (command) => {
      const keys = (command as BatchGetCommand).input.RequestItems?.table?.Keys ?? [];
      return { Responses: { table: keys.map((k) => ({ ...k, found: true })) } };
    });
    const keys = Array.from({ length: 250 }, (_, i) => key(i));
    const items = await batchGetAll(client, 'table', [...keys, key(0), key(1)], { consistentRead: true });
    expect(items).toHaveLength(250);
    expect(calls.map((c) => (c as BatchGetCommand).input.RequestItems?.table?.Keys?.length)).toEqual([100, 100, 50]);
    expect((calls[0] as BatchGetCommand).input.RequestItems?.table?.ConsistentRead).toBe(true);
  });

  it('retries unprocessed keys until they are read', async () => {
    let round = 0;
    const { client, calls } = fakeClient(async (command) => {
      const keys = (command as BatchGetCommand).input.RequestItems?.table?.Keys ?? [];
      round++;
      // The first two rounds only process the first key, as a throttled table does.
      const served = round <= 2 ? keys.slice(0, 1) : keys;
      const rest = round <= 2 ? keys.slice(1) : [];
      return { Responses: { table: served }, ...(rest.length > 0 ? { UnprocessedKeys: { table: { Keys: rest } } } : {}) };
    });
    const items = await batchGetAll(client, 'table', [key(1), key(2), key(3), key(4)], { baseDelayMs: 1 });
    expect(items.map((item) => item.pk).sort()).toEqual(['P#1', 'P#2', 'P#3', 'P#4']);
    expect(calls).toHaveLength(3);
  });

  it('gives up after the bounded attempts with StoreUnavailableError', async () => {
    const { client, calls } = fakeClient(async (command) => ({
      Responses: { table: [] },
      UnprocessedKeys: { table: { Keys: (command as BatchGetCommand).input.RequestItems?.table?.Keys } },
    }));
    await expect(batchGetAll(client, 'table', [key(1)], { maxAttempts: 3, baseDelayMs: 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(calls).toHaveLength(3);
  });

  it('translates a failed call', async () => {
    const { client } = fakeClient(() => Promise.reject(serviceError('InternalServerError')));
    await expect(batchGetAll(client, 'table', [key(1)])).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('batchWriteAll', () => {
  it('writes in chunks of 25, the last request for a key winning', async () => {
    const { client, calls } = fakeClient(async () => ({}));
    const requests = [...Array.from({ length: 60 }, (_, i) => ({ put: { ...key(i), n: 1 } })), { delete: key(3) }, { put: { ...key(4), n: 2 } }];
    await batchWriteAll(client, 'table', requests);
    const sent = calls.flatMap((c) => (c as BatchWriteCommand).input.RequestItems?.table ?? []);
    expect(calls.map((c) => (c as BatchWriteCommand).input.RequestItems?.table?.length)).toEqual([25, 25, 10]);
    expect(sent).toHaveLength(60);
    expect(sent.filter((r) => r.DeleteRequest?.Key?.pk === 'P#3')).toHaveLength(1);
    expect(sent.filter((r) => r.PutRequest?.Item?.pk === 'P#3')).toHaveLength(0);
    expect(sent.find((r) => r.PutRequest?.Item?.pk === 'P#4')?.PutRequest?.Item?.n).toBe(2);
  });

  it('retries unprocessed items, then gives up with StoreUnavailableError', async () => {
    let round = 0;
    const { client, calls } = fakeClient(async (command) => {
      const items = (command as BatchWriteCommand).input.RequestItems?.table ?? [];
      round++;
      return round === 1 ? { UnprocessedItems: { table: items.slice(1) } } : {};
    });
    await batchWriteAll(client, 'table', [{ put: key(1) }, { put: key(2) }, { delete: key(3) }], { baseDelayMs: 1 });
    expect(calls).toHaveLength(2);
    expect((calls[1] as BatchWriteCommand).input.RequestItems?.table).toEqual([{ PutRequest: { Item: key(2) } }, { DeleteRequest: { Key: key(3) } }]);

    const stuck = fakeClient(async (command) => ({ UnprocessedItems: { table: (command as BatchWriteCommand).input.RequestItems?.table } }));
    await expect(batchWriteAll(stuck.client, 'table', [{ put: key(1) }], { maxAttempts: 2, baseDelayMs: 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(stuck.calls).toHaveLength(2);
  });
});

describe('client factory', () => {
  it('describes the table from TABLE_DEFINITION: on-demand, string keys, the three indexes with their projections', () => {
    const input = createTableInput('wm');
    expect(input.BillingMode).toBe('PAY_PER_REQUEST');
    expect(input.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(input.AttributeDefinitions?.map((a) => a.AttributeName).sort()).toEqual(['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'pk', 'sk']);
    expect(input.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.Projection?.ProjectionType])).toEqual(
      TABLE_DEFINITION.indexes.map((index) => [index.name, index.projection]),
    );
    const byStatus = input.GlobalSecondaryIndexes?.find((index) => index.IndexName === 'by-status');
    expect(byStatus?.Projection?.NonKeyAttributes).toContain('status');
  });

  it('reuses one client per configuration', () => {
    const a = documentClient({ endpoint: 'http://127.0.0.1:9', region: 'eu-west-3' });
    const b = documentClient({ endpoint: 'http://127.0.0.1:9', region: 'eu-west-3' });
    const c = documentClient({ endpoint: 'http://127.0.0.1:10', region: 'eu-west-3' });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    destroyDocumentClients();
    expect(documentClient({ endpoint: 'http://127.0.0.1:9', region: 'eu-west-3' })).not.toBe(a);
    destroyDocumentClients();
  });

  it('marshals with removeUndefinedValues (optional fields are absent, not an error)', () => {
    const client = documentClient({ endpoint: 'http://127.0.0.1:9' });
    expect(client.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
    destroyDocumentClients();
  });
});
