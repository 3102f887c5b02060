import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import dynalite from 'dynalite';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, ensureTable } from '../../shared/adapters/dynamodb/client.js';

export interface DynaliteFixture {
  client: DynamoDBDocumentClient;
  /** A fresh table created for this fixture. */
  tableName: string;
  endpoint: string;
  /** Creates another empty table on the same server (for tests that need an empty store). */
  newTable(): Promise<string>;
  /** A new client on the same endpoint; the fixture destroys it on close. */
  newClient(): DynamoDBDocumentClient;
  close(): Promise<void>;
}

/**
 * One in-process dynalite per test file, on a free port the OS picks, with a uniquely named table.
 * Call `close` in afterAll: it ends the clients' keep-alive sockets, or vitest would not exit.
 */
export async function startDynalite(): Promise<DynaliteFixture> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBDocumentClient[] = [];
  const newClient = (): DynamoDBDocumentClient => {
    const client = createDocumentClient({ endpoint });
    clients.push(client);
    return client;
  };
  const client = newClient();
  const newTable = async (): Promise<string> => {
    const name = `wm-test-${randomUUID()}`;
    await ensureTable(client, name);
    return name;
  };
  const tableName = await newTable();
  return {
    client,
    tableName,
    endpoint,
    newTable,
    newClient,
    close: async () => {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
