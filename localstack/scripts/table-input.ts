import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { CreateTableCommandInput, UpdateTimeToLiveCommandInput } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../../shared/adapters/dynamodb/client.js';
import { TABLE_DEFINITION } from '../../shared/adapters/dynamodb/table-definition.js';
import { DEFAULT_TABLE_NAME } from '../deployment.js';

/*
 * `npx tsx localstack/scripts/table-input.ts [table name]` prints the CreateTable input of the
 * project's one table, as `aws dynamodb create-table --cli-input-json` reads it. The init hook
 * creates the table from this output, so no key or index is spelt out a second time in shell.
 */

/** The CreateTable input, exactly what the local host and the tests create. */
export function tableInput(tableName: string = DEFAULT_TABLE_NAME): CreateTableCommandInput {
  return createTableInput(tableName);
}

/**
 * The UpdateTimeToLive input the CDK stack applies in AWS. `createTableInput` leaves TTL out
 * because dynalite has no TTL API; LocalStack has one, so the emulated table matches AWS.
 */
export function timeToLiveInput(tableName: string = DEFAULT_TABLE_NAME): UpdateTimeToLiveCommandInput {
  return {
    TableName: tableName,
    TimeToLiveSpecification: { Enabled: true, AttributeName: TABLE_DEFINITION.timeToLiveAttribute },
  };
}

function isMain(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href;
}

if (isMain()) {
  const [name, ...rest] = process.argv.slice(2);
  if (rest.length > 0 || name === '') {
    process.stderr.write('usage: table-input.ts [table name]\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(tableInput(name ?? process.env['TABLE_NAME'] ?? DEFAULT_TABLE_NAME), null, 2)}\n`);
}
