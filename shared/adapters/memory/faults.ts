import { StoreUnavailableError } from '../../ports/request-store.js';

/** What the DynamoDB adapters throw when the store is down, so use-case tests can check they let it through. */
export function throwIfUnavailable(unavailable: boolean, operation: string): void {
  if (unavailable) throw new StoreUnavailableError(`memory store ${operation} failed: marked unavailable`);
}
