import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { StoreMeter, kindOf } from '../../bench/store-meter.js';

/** A document client that answers from a map and says what it was sent; no network. */
function fakeClient() {
  const items = new Map<string, Record<string, unknown>>();
  const sent: Record<string, unknown>[] = [];
  const id = (key: Record<string, unknown>) => `${String(key['pk'])}|${String(key['sk'])}`;
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      await Promise.resolve();
      sent.push({ ...command.input });
      const input = command.input;
      switch (command.constructor.name) {
        case 'PutCommand': {
          const item = input['Item'] as Record<string, unknown>;
          const old = items.get(id(item));
          items.set(id(item), item);
          return input['ReturnValues'] === 'ALL_OLD' && old ? { Attributes: old } : {};
        }
        case 'UpdateCommand': {
          const key = input['Key'] as Record<string, unknown>;
          const next = { ...(items.get(id(key)) ?? key), ...(input['ExpressionAttributeValues'] as Record<string, unknown>) };
          items.set(id(key), next);
          return input['ReturnValues'] === 'ALL_NEW' ? { Attributes: next } : {};
        }
        case 'DeleteCommand': {
          const key = input['Key'] as Record<string, unknown>;
          const old = items.get(id(key));
          items.delete(id(key));
          return input['ReturnValues'] === 'ALL_OLD' && old ? { Attributes: old } : {};
        }
        case 'GetCommand':
          return { Item: items.get(id(input['Key'] as Record<string, unknown>)) };
        default:
          return {};
      }
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, sent };
}

const REQUEST = { pk: 'T#t#R#r1', sk: 'R', gsi1pk: 'T#t#S#RUNNING#0', gsi1sk: 'a', status: 'RUNNING', body: 'x'.repeat(1500) };

describe('StoreMeter', () => {
  it('counts calls per function and kind, and the write units of the items written, indexes included', async () => {
    const { client } = fakeClient();
    const meter = new StoreMeter(client);
    meter.capacity = true;
    await meter.invocation('register-requests', 1, () => client.send(new PutCommand({ TableName: 't', Item: REQUEST })));
    await meter.invocation('handle-worker-responses', 1, async () => {
      // the status moves: its by-status entry is deleted and put again
      await client.send(
        new UpdateCommand({
          TableName: 't',
          Key: { pk: REQUEST.pk, sk: 'R' },
          UpdateExpression: 'SET x',
          ExpressionAttributeValues: { gsi1pk: 'T#t#S#SUCCESS#0', status: 'SUCCESS' },
        }),
      );
      await client.send(new DeleteCommand({ TableName: 't', Key: { pk: REQUEST.pk, sk: 'R' } }));
    });
    const figures = meter.snapshot();
    expect(figures['register-requests']?.calls).toEqual({ 'PutItem request': 1 });
    expect(figures['register-requests']?.writeUnits).toEqual({ 'PutItem request table': 2, 'PutItem request index by-status': 1 });
    expect(figures['handle-worker-responses']?.writeUnits).toEqual({
      'UpdateItem request table': 2,
      'UpdateItem request index by-status': 2,
      'DeleteItem request table': 2,
      'DeleteItem request index by-status': 1,
    });
  });

  it('hands the adapter the answer it asked for: no Attributes it did not ask for, its own ReturnValues kept', async () => {
    const { client, sent } = fakeClient();
    const meter = new StoreMeter(client);
    meter.capacity = true;
    const put = await client.send(new PutCommand({ TableName: 't', Item: REQUEST }));
    const again = await client.send(new PutCommand({ TableName: 't', Item: REQUEST }));
    expect(put).toEqual({});
    expect(again).toEqual({});
    const own = await client.send(
      new UpdateCommand({
        TableName: 't',
        Key: { pk: REQUEST.pk, sk: 'R' },
        UpdateExpression: 'SET x',
        ExpressionAttributeValues: { status: 'X' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect((own as { Attributes?: unknown }).Attributes).toMatchObject({ status: 'X' });
    expect(sent.filter((input) => input['ConsistentRead'] === true)).toHaveLength(0);
  });

  it('counts round trips in a row: parallel calls are one, calls one after another are one each', async () => {
    const { client } = fakeClient();
    const meter = new StoreMeter(client);
    const get = () => client.send(new GetCommand({ TableName: 't', Key: { pk: 'WORKERS', sk: 'WT#a' } }));
    await meter.invocation('parallel', 3, async () => {
      await Promise.all([get(), get(), get()]);
    });
    await meter.invocation('sequential', 3, async () => {
      await get();
      await get();
      await get();
    });
    const figures = meter.snapshot();
    expect(figures['parallel']?.rounds).toBe(1);
    expect(figures['parallel']?.peakSum).toBe(3);
    expect(figures['sequential']?.rounds).toBe(3);
    expect(figures['sequential']?.calls).toEqual({ 'GetItem worker': 3 });
  });

  it('tells the kinds of item apart by their keys', () => {
    expect(kindOf({ pk: 'T#a#R#1', sk: 'R' })).toBe('request');
    expect(kindOf({ pk: 'T#a#C#s#x', sk: 'C' })).toBe('counter');
    expect(kindOf({ pk: 'T#a#CONFIG', sk: 'CONFIG' })).toBe('config');
    expect(kindOf({ pk: 'WT#a', sk: 'I#1' })).toBe('worker');
  });
});
