import {
  CreateTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type GlobalSecondaryIndex,
  type Projection,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_DEFINITION, type IndexDefinition, type TableDefinition } from './table-definition.js';
import { StoreUnavailableError } from '../../ports/request-store.js';
import { translateStoreError } from './store-call.js';

export interface DynamoClientOptions {
  /** Region; defaults to AWS_REGION in AWS and to us-east-1 against a local endpoint. */
  region?: string | undefined;
  /** A local store (dynalite): the client then signs with dummy credentials. */
  endpoint?: string | undefined;
  /** SDK attempts per call (throttling, 5xx, network); the SDK default is 3. */
  maxAttempts?: number | undefined;
}

/** Credentials a local store accepts and ignores; never used against AWS. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const LOCAL_REGION = 'us-east-1';

/** A new document client. Prefer `documentClient`, which reuses one per configuration. */
export function createDocumentClient(options: DynamoClientOptions = {}): DynamoDBDocumentClient {
  const local = options.endpoint !== undefined && options.endpoint !== '';
  const base = new DynamoDBClient({
    ...(options.region !== undefined ? { region: options.region } : local ? { region: LOCAL_REGION } : {}),
    ...(local ? { endpoint: options.endpoint, credentials: LOCAL_CREDENTIALS } : {}),
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
  });
  return DynamoDBDocumentClient.from(base, {
    marshallOptions: {
      // Optional fields (e.g. a worker's contentTypeOutput) are absent, not NULL, in the item.
      removeUndefinedValues: true,
      convertEmptyValues: false,
    },
    unmarshallOptions: { wrapNumbers: false },
  });
}

// One client per configuration per warm process: a client owns a connection pool, and a Lambda
// that builds one per invocation pays a TLS handshake every time.
const clients = new Map<string, DynamoDBDocumentClient>();

export function documentClient(options: DynamoClientOptions = {}): DynamoDBDocumentClient {
  const key = JSON.stringify([options.region ?? null, options.endpoint ?? null, options.maxAttempts ?? null]);
  let client = clients.get(key);
  if (client === undefined) {
    client = createDocumentClient(options);
    clients.set(key, client);
  }
  return client;
}

/** Destroys the cached clients (tests, local host shutdown) so no socket keeps the process alive. */
export function destroyDocumentClients(): void {
  for (const client of clients.values()) client.destroy();
  clients.clear();
}

function projectionOf(index: IndexDefinition): Projection {
  if (index.projection === 'INCLUDE') {
    return { ProjectionType: 'INCLUDE', NonKeyAttributes: [...(index.nonKeyAttributes ?? [])] };
  }
  return { ProjectionType: index.projection };
}

/** The CreateTable input of the one table, for the local host and tests (CDK builds its own from the same definition). */
export function createTableInput(tableName: string, definition: TableDefinition = TABLE_DEFINITION): CreateTableCommandInput {
  const keyNames = new Set<string>([definition.partitionKey, definition.sortKey]);
  for (const index of definition.indexes) {
    keyNames.add(index.partitionKey);
    keyNames.add(index.sortKey);
  }
  const attributeDefinitions: AttributeDefinition[] = [...keyNames].map((name) => ({ AttributeName: name, AttributeType: 'S' }));
  const indexes: GlobalSecondaryIndex[] = definition.indexes.map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection: projectionOf(index),
  }));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributeDefinitions,
    KeySchema: [
      { AttributeName: definition.partitionKey, KeyType: 'HASH' },
      { AttributeName: definition.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes,
  };
}

/**
 * Creates the table unless it exists and waits until it is ACTIVE. For a local store only: in AWS
 * the CDK stack owns the table (and its TTL, which dynalite does not implement).
 */
export async function ensureTable(client: DynamoDBDocumentClient, tableName: string, options: { timeoutMs?: number } = {}): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw translateStoreError(error, `CreateTable ${tableName}`);
  }
  // dynalite turns the table and its indexes ACTIVE together, so the table's status is enough.
  // The waiter counts in seconds; a local table is ready within milliseconds.
  try {
    await waitUntilTableExists({ client, maxWaitTime: (options.timeoutMs ?? 30_000) / 1000, minDelay: 0.05, maxDelay: 1 }, { TableName: tableName });
  } catch (error) {
    throw new StoreUnavailableError(`table ${tableName} is not ACTIVE after waiting`, { cause: error });
  }
}
