import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTableInput } from '../../../shared/adapters/dynamodb/client.js';
import { TABLE_DEFINITION } from '../../../shared/adapters/dynamodb/table-definition.js';
import { DEFAULT_TABLE_NAME } from '../../../localstack/deployment.js';
import { tableInput, timeToLiveInput } from '../../../localstack/scripts/table-input.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const SCRIPT = path.join(REPO_ROOT, 'localstack', 'scripts', 'table-input.ts');

/** Runs the script as the build does (tsx, in a process of its own) and parses what it prints. */
async function runScript(args: string[], env: Record<string, string | undefined> = {}): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, TABLE_NAME: undefined, ...env },
  });
  return JSON.parse(stdout) as unknown;
}

describe('LocalStack: the table input script', () => {
  it('prints exactly createTableInput(name) for the name it is given', async () => {
    // Act
    const printed = await runScript(['wm-localstack-test']);
    // Assess
    expect(printed).toEqual(createTableInput('wm-localstack-test'));
    expect(printed).toMatchObject({ TableName: 'wm-localstack-test', GlobalSecondaryIndexes: expect.any(Array) });
  }, 30_000);

  it('takes TABLE_NAME, then the local host default, when given no name', async () => {
    // Act
    const fromEnv = await runScript([], { TABLE_NAME: 'from-env' });
    const fromDefault = await runScript([]);
    // Assess
    expect(fromEnv).toEqual(createTableInput('from-env'));
    expect(fromDefault).toEqual(createTableInput(DEFAULT_TABLE_NAME));
  }, 30_000);

  it('refuses more than one argument instead of ignoring one', async () => {
    // Act
    const run = runScript(['a', 'b']);
    // Assess
    await expect(run).rejects.toMatchObject({ code: 2 });
  }, 30_000);

  it('declares every key and index of the table definition, from the one definition', () => {
    // Act
    const input = tableInput('t');
    // Assess
    expect(input).toEqual(createTableInput('t'));
    expect(input.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(TABLE_DEFINITION.indexes.map((index) => index.name));
  });

  it('enables TTL on the attribute the definition names, as the CDK stack does', () => {
    // Act
    const input = timeToLiveInput('t');
    // Assess
    expect(input).toEqual({ TableName: 't', TimeToLiveSpecification: { Enabled: true, AttributeName: TABLE_DEFINITION.timeToLiveAttribute } });
  });
});
