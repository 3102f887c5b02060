import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RequestKeys } from '../../../shared/adapters/dynamodb/keys.js';
import { requestToItem, storedRequestFromItem, traceItem, CorruptItemError } from '../../../shared/adapters/dynamodb/request-item.js';
import { TABLE_DEFINITION } from '../../../shared/adapters/dynamodb/table-definition.js';
import { FINISHED_TRACE_SECONDS } from '../../../shared/ports/request-store.js';
import { indexEntry, itemSize, writeCost } from '../../bench/capacity.js';
import { at, makeRequest } from '../../support/store-contract/requests.js';

/*
 * The trace a removed request leaves in DynamoDB (RequestStore.deleteAll): what it holds, and
 * that replacing the request by it costs exactly what deleting the request did.
 */

const NOW = new Date('2026-03-01T10:00:00.500Z');

/** A request of a 1 KB body that does not deflate (stored as sent), in the states a request is removed from. */
function removable() {
  const content = new Uint8Array(randomBytes(1024));
  return [
    makeRequest('t', 'success', { status: 'SUCCESS', content, deadline: null }),
    makeRequest('t', 'kept-until', { status: 'SUCCESS', content, deadline: at(3600) }),
    makeRequest('t', 'waiting', { status: 'NO_WORKER_AVAILABLE', stepWorkerType: 'w', dispatchedWorkerType: null, content, deadline: at(60) }),
    makeRequest('t', 'error', { status: 'ERROR', content, error: 'boom', deadline: null }),
  ];
}

describe('the trace of a removed request', () => {
  it('holds the keys, the fingerprint, when it was left and its TTL, and nothing else', () => {
    const request = makeRequest('t', 'r#1', { fingerprint: 'fp-1' });
    expect(traceItem(request, NOW, FINISHED_TRACE_SECONDS)).toEqual({
      ...RequestKeys.primary('t', 'r#1'),
      fingerprint: 'fp-1',
      trace: NOW.toISOString(),
      [TABLE_DEFINITION.timeToLiveAttribute]: Math.ceil(NOW.getTime() / 1000) + FINISHED_TRACE_SECONDS,
    });
  });

  it('is in no index', () => {
    for (const request of removable()) {
      const trace = traceItem(request, NOW, FINISHED_TRACE_SECONDS);
      for (const index of TABLE_DEFINITION.indexes) expect(indexEntry(trace, index), `${request.requestId} ${index.name}`).toBeUndefined();
    }
  });

  it('reads back as a trace, and a request item as a request', () => {
    const request = makeRequest('t', 'r', { fingerprint: 'fp' });
    expect(storedRequestFromItem(traceItem(request, NOW, 60))).toEqual({ trace: { fingerprint: 'fp' } });
    expect(storedRequestFromItem(requestToItem(request))).toEqual({ request });
    expect(() => storedRequestFromItem({ ...RequestKeys.primary('t', 'r'), trace: NOW.toISOString() })).toThrow(CorruptItemError);
  });

  it('costs the write units a delete cost, index entries included, for a 1 KB request in every state it is removed from', () => {
    for (const request of removable()) {
      const stored = requestToItem(request);
      expect(itemSize(stored)).toBeGreaterThan(1024);
      const deleted = writeCost(stored, undefined);
      const traced = writeCost(stored, traceItem(request, NOW, FINISHED_TRACE_SECONDS));
      expect(traced, request.requestId).toEqual(deleted);
      // Every index entry the request had is deleted, as by the delete.
      expect(Object.values(traced.indexChanges).filter((change) => change !== 'none' && change !== 'delete')).toEqual([]);
    }
    // For the plain single-step case: 2 units on the table (a 1.8 KB item) and 1 on the status index.
    const [success] = removable();
    if (success === undefined) throw new Error('no request');
    expect(writeCost(requestToItem(success), traceItem(success, NOW, FINISHED_TRACE_SECONDS)).total).toBe(3);
  });
});
