import { vi } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Records every command a client sends (they still reach the store), so a test can count writes
 * or inspect exactly what an adapter sent.
 */
export function recordCommands(client: DynamoDBDocumentClient): { commands: () => object[]; reset: () => void } {
  const spy = vi.spyOn(client, 'send');
  return {
    commands: () => spy.mock.calls.map((call) => call[0] as object),
    reset: () => spy.mockClear(),
  };
}
