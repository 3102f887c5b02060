import { AsyncLocalStorage } from 'node:async_hooks';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { failedConditionCost, itemSize, readUnitsFor, writeCost, type Item, type WriteCost } from './capacity.js';

/*
 * Meters what the manager asks of the store, per function: calls by operation and item kind, the
 * sequential round trips of each batch, and (in capacity mode) the write and read units each call
 * consumes, computed from the items actually written (capacity.ts). The calls still reach the
 * store. A function's invocation is marked by `invocation()` (an AsyncLocalStorage scope), so
 * concurrent functions in one process are told apart.
 */

export interface InvocationScope {
  fn: string;
  inFlight: number;
  /** Round trips in a row: each time a call starts while none of this invocation is in flight. */
  rounds: number;
  /** The largest number of calls this invocation had in flight at once. */
  peak: number;
  calls: number;
}

export interface FunctionMeter {
  invocations: number;
  messages: number;
  calls: Record<string, number>;
  rounds: number;
  /** Sum over invocations of the calls in flight at their peak. */
  peakSum: number;
  writeUnits: Record<string, number>;
  readUnits: Record<string, number>;
  cpuMicros: number;
  wallMs: number;
}

const scope = new AsyncLocalStorage<InvocationScope>();

export class StoreMeter {
  private readonly meters = new Map<string, FunctionMeter>();
  private readonly shadow = new Map<string, Item | undefined>();
  public capacity = false;

  public constructor(client?: DynamoDBDocumentClient) {
    if (client === undefined) return;
    const send = client.send.bind(client) as (command: object) => Promise<unknown>;
    this.rawSend = send;
    (client as { send: (command: object) => Promise<unknown> }).send = (command: object) => this.meter(command);
  }

  private rawSend: ((command: object) => Promise<unknown>) | undefined;

  public reset(): void {
    this.meters.clear();
  }

  public snapshot(): Record<string, FunctionMeter> {
    return Object.fromEntries([...this.meters].map(([fn, meter]) => [fn, structuredClone(meter)]));
  }

  public of(fn: string): FunctionMeter {
    let meter = this.meters.get(fn);
    if (meter === undefined) {
      meter = { invocations: 0, messages: 0, calls: {}, rounds: 0, peakSum: 0, writeUnits: {}, readUnits: {}, cpuMicros: 0, wallMs: 0 };
      this.meters.set(fn, meter);
    }
    return meter;
  }

  /**
   * Runs one invocation of `fn` in its own scope. CPU time is process.cpuUsage around it: in a
   * process where other work runs concurrently it includes some of that work, so the per-handler
   * CPU figures come from phases where the function runs alone.
   */
  public async invocation<T>(fn: string, messages: number, run: () => Promise<T>): Promise<T> {
    const context: InvocationScope = { fn, inFlight: 0, rounds: 0, peak: 0, calls: 0 };
    const cpu = process.cpuUsage();
    const started = performance.now();
    try {
      return await scope.run(context, run);
    } finally {
      const used = process.cpuUsage(cpu);
      const meter = this.of(fn);
      meter.invocations += 1;
      meter.messages += messages;
      meter.rounds += context.rounds;
      meter.peakSum += context.peak;
      meter.cpuMicros += used.user + used.system;
      meter.wallMs += performance.now() - started;
    }
  }

  private id(table: string, key: Item): string {
    return `${table}|${String(key['pk'])}|${String(key['sk'])}`;
  }

  /** The item as last seen, if it was. */
  private known(table: string, key: Item): Item | undefined {
    return this.shadow.get(this.id(table, key));
  }

  private async meter(command: object): Promise<unknown> {
    const send = this.rawSend!;
    const context = scope.getStore();
    const fn = context?.fn ?? 'outside';
    const meter = this.of(fn);
    const op = operationOf(command);
    const input = (command as { input: Record<string, unknown> }).input;
    const kind = labelOf(op, input);
    meter.calls[kind] = (meter.calls[kind] ?? 0) + 1;
    if (context !== undefined) {
      if (context.inFlight === 0) context.rounds += 1;
      context.inFlight += 1;
      context.calls += 1;
      context.peak = Math.max(context.peak, context.inFlight);
    }
    try {
      if (!this.capacity) return await send(command);
      return await this.withCapacity(op, input, command, meter);
    } finally {
      if (context !== undefined) context.inFlight -= 1;
    }
  }

  private async withCapacity(op: string, input: Record<string, unknown>, command: object, meter: FunctionMeter): Promise<unknown> {
    const send = this.rawSend!;
    const tableName = String(input['TableName'] ?? '');
    const addWrite = (kind: string, cost: WriteCost) => {
      meter.writeUnits[`${kind} table`] = (meter.writeUnits[`${kind} table`] ?? 0) + cost.table;
      for (const [index, units] of Object.entries(cost.indexes)) {
        if (units > 0) meter.writeUnits[`${kind} index ${index}`] = (meter.writeUnits[`${kind} index ${index}`] ?? 0) + units;
      }
    };
    const addRead = (kind: string, units: number) => {
      meter.readUnits[kind] = (meter.readUnits[kind] ?? 0) + units;
    };
    const get = async (table: string, key: Item): Promise<Item | undefined> => {
      const id = this.id(table, key);
      if (this.shadow.has(id)) return this.shadow.get(id);
      const output = (await send(new GetCommand({ TableName: table, Key: { pk: key['pk'], sk: key['sk'] }, ConsistentRead: true }))) as { Item?: Item };
      return output.Item;
    };
    const remember = (table: string, key: Item, item: Item | undefined) => this.shadow.set(this.id(table, key), item);
    const kind = labelOf(op, input);
    // The item before and after a write come back with the write itself (ReturnValues), not from
    // extra reads, so that metering adds no round trip and little CPU to the invocation measured.
    const returning = async (wanted: 'ALL_OLD' | 'ALL_NEW'): Promise<{ output: Record<string, unknown>; attributes: Item | undefined }> => {
      if (input['ReturnValues'] !== undefined && input['ReturnValues'] !== 'NONE') {
        // The adapter asked for its own: usable when it is what we want, kept in its answer either way.
        const output = (await send(command)) as Record<string, unknown>;
        return { output, attributes: input['ReturnValues'] === wanted ? (output['Attributes'] as Item | undefined) : undefined };
      }
      input['ReturnValues'] = wanted;
      const output = (await send(command)) as Record<string, unknown>;
      const attributes = output['Attributes'] as Item | undefined;
      delete output['Attributes'];
      // Absent from an ALL_OLD answer: there was no item before.
      return { output, attributes };
    };
    const failed = (error: unknown, before: Item | undefined) => {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') addWrite(kind, failedConditionCost(before));
      return error;
    };
    switch (op) {
      case 'PutItem': {
        const item = input['Item'] as Item;
        try {
          const { output, attributes } = await returning('ALL_OLD');
          remember(tableName, item, item);
          addWrite(kind, writeCost(attributes, item));
          return output;
        } catch (error) {
          throw failed(error, this.known(tableName, item));
        }
      }
      case 'UpdateItem': {
        const key = input['Key'] as Item;
        const before = this.shadow.has(this.id(tableName, key)) ? this.shadow.get(this.id(tableName, key)) : await get(tableName, key);
        try {
          const { output, attributes } = await returning('ALL_NEW');
          const after = attributes ?? ((await send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))) as { Item?: Item }).Item;
          remember(tableName, key, after);
          addWrite(kind, writeCost(before, after));
          return output;
        } catch (error) {
          throw failed(error, before);
        }
      }
      case 'DeleteItem': {
        const key = input['Key'] as Item;
        try {
          const { output, attributes } = await returning('ALL_OLD');
          remember(tableName, key, undefined);
          addWrite(kind, writeCost(attributes ?? this.known(tableName, key), undefined));
          return output;
        } catch (error) {
          throw failed(error, this.known(tableName, key));
        }
      }
      case 'BatchWriteItem': {
        const requests = input['RequestItems'] as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>;
        const befores = new Map<string, Map<number, Item | undefined>>();
        for (const [table, entries] of Object.entries(requests)) {
          const map = new Map<number, Item | undefined>();
          for (const [n, entry] of entries.entries()) map.set(n, await get(table, entry.PutRequest?.Item ?? entry.DeleteRequest?.Key ?? {}));
          befores.set(table, map);
        }
        const output = (await send(command)) as { UnprocessedItems?: Record<string, unknown[]> };
        for (const [table, entries] of Object.entries(requests)) {
          if ((output.UnprocessedItems?.[table]?.length ?? 0) > 0) continue;
          for (const [n, entry] of entries.entries()) {
            const key = entry.PutRequest?.Item ?? entry.DeleteRequest?.Key ?? {};
            const after = entry.PutRequest?.Item;
            remember(table, key, after);
            addWrite(`${entry.PutRequest ? 'BatchWrite put' : 'BatchWrite delete'} ${kindOf(key)}`, writeCost(befores.get(table)?.get(n), after));
          }
        }
        return output;
      }
      case 'GetItem': {
        const output = (await send(command)) as { Item?: Item };
        addRead(kind, readUnitsFor(output.Item ? itemSize(output.Item) : 0, input['ConsistentRead'] === true));
        return output;
      }
      case 'BatchGetItem': {
        const output = (await send(command)) as { Responses?: Record<string, Item[]> };
        const requests = input['RequestItems'] as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>;
        for (const [table, request] of Object.entries(requests)) {
          const found = output.Responses?.[table] ?? [];
          // Each key is read as a GetItem would be; one not found still costs the minimum.
          for (const item of found) addRead(`BatchGetItem ${kindOf(item)}`, readUnitsFor(itemSize(item), request.ConsistentRead === true));
          const missing = request.Keys.length - found.length;
          if (missing > 0) addRead(`BatchGetItem missing`, missing * readUnitsFor(0, request.ConsistentRead === true));
        }
        return output;
      }
      case 'Query': {
        const output = (await send(command)) as { Items?: Item[] };
        const bytes = (output.Items ?? []).reduce((sum, item) => sum + itemSize(item), 0);
        addRead(
          `Query ${input['IndexName'] === undefined ? 'table' : `index ${String(input['IndexName'])}`}`,
          readUnitsFor(bytes, input['ConsistentRead'] === true),
        );
        return output;
      }
      default:
        return send(command);
    }
  }
}

/** The DynamoDB operation a document-client command performs. */
function operationOf(command: object): string {
  const name = command.constructor.name.replace(/Command$/, '');
  const known: Record<string, string> = {
    Put: 'PutItem',
    Update: 'UpdateItem',
    Delete: 'DeleteItem',
    Get: 'GetItem',
    BatchGet: 'BatchGetItem',
    BatchWrite: 'BatchWriteItem',
  };
  return known[name] ?? name;
}

/** A call's label: its operation and the kind of item (or the index) it addresses. */
function labelOf(op: string, input: Record<string, unknown>): string {
  if (op === 'Query') return `Query ${input['IndexName'] === undefined ? 'table' : `index ${String(input['IndexName'])}`}`;
  if (op === 'BatchGetItem' || op === 'BatchWriteItem') {
    const first = Object.values((input['RequestItems'] ?? {}) as Record<string, unknown>)[0];
    const keys = (first as { Keys?: Item[] } | undefined)?.Keys ?? [];
    const writes = Array.isArray(first) ? (first as { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]) : [];
    const key = keys[0] ?? writes[0]?.PutRequest?.Item ?? writes[0]?.DeleteRequest?.Key ?? {};
    return `${op} ${kindOf(key)}`;
  }
  return `${op} ${kindOf((input['Key'] ?? input['Item'] ?? {}) as Item)}`;
}

/** Which kind of item a key addresses (keys.ts): a request, a counter, a worker, a configuration... */
export function kindOf(key: Item): string {
  const pk = String(key['pk'] ?? '');
  const sk = String(key['sk'] ?? '');
  if (pk === '' && sk === '') return 'items';
  if (sk === 'R' && pk.includes('#R#')) return 'request';
  if (sk === 'C' && pk.includes('#C#')) return 'counter';
  if (pk === 'WORKERS' || pk.startsWith('WT#')) return 'worker';
  if (pk.endsWith('#CONFIG')) return 'config';
  if (pk === 'TENANTS') return 'tenants';
  if (pk.endsWith('#JOBS')) return 'job';
  return 'other';
}
