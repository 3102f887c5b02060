import { describe, expect, it } from 'vitest';
import { compareCandidates, pickFairShare, slotQueueOrder, type SlotCandidate } from '../../../../shared/domain/request/fair-share.js';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

function queue(tenant: string, count: number, priority?: number): SlotCandidate[] {
  return Array.from({ length: count }, (_, index) => ({ tenant, requestId: `${tenant}-${index}`, creationDate: at(index), priority }));
}

const noTenantLimit = () => Number.POSITIVE_INFINITY;
const even = () => 1;

describe('pickFairShare', () => {
  it('takes turns between tenants however long one backlog is', () => {
    const queues = new Map([
      ['a', queue('a', 100)],
      ['b', queue('b', 3)],
    ]);
    const picked = pickFairShare({ queues, free: 6, weightOf: even, tenantFree: noTenantLimit });
    expect(picked.map((c) => c.requestId)).toEqual(['a-0', 'b-0', 'a-1', 'b-1', 'a-2', 'b-2']);
  });

  it('gives a tenant as many slots per round as its weight', () => {
    const queues = new Map([
      ['a', queue('a', 10)],
      ['b', queue('b', 10)],
    ]);
    const picked = pickFairShare({ queues, free: 6, weightOf: (tenant) => (tenant === 'b' ? 2 : 1), tenantFree: noTenantLimit });
    expect(picked.filter((c) => c.tenant === 'b')).toHaveLength(4);
    expect(picked.filter((c) => c.tenant === 'a')).toHaveLength(2);
  });

  it('gives the slots a tenant cannot use to the others', () => {
    const queues = new Map([
      ['a', queue('a', 10)],
      ['b', queue('b', 1)],
    ]);
    const picked = pickFairShare({ queues, free: 5, weightOf: even, tenantFree: noTenantLimit });
    expect(picked.filter((c) => c.tenant === 'a')).toHaveLength(4);
    expect(picked.filter((c) => c.tenant === 'b')).toHaveLength(1);
  });

  it('stops a tenant at its own limit, even with slots free', () => {
    const queues = new Map([
      ['a', queue('a', 10)],
      ['b', queue('b', 10)],
    ]);
    const picked = pickFairShare({ queues, free: 8, weightOf: even, tenantFree: (tenant) => (tenant === 'a' ? 2 : 0) });
    expect(picked.map((c) => c.requestId)).toEqual(['a-0', 'a-1']);
  });

  it('dispatches nothing without a free slot', () => {
    const picked = pickFairShare({ queues: new Map([['a', queue('a', 3)]]), free: 0, weightOf: even, tenantFree: noTenantLimit });
    expect(picked).toEqual([]);
  });

  it('starts after the tenant the last pick ended on, so single slots go round', () => {
    const queues = new Map([
      ['a', queue('a', 3)],
      ['b', queue('b', 3)],
      ['c', queue('c', 3)],
    ]);
    const first = pickFairShare({ queues, free: 1, weightOf: even, tenantFree: noTenantLimit });
    const second = pickFairShare({ queues, free: 1, weightOf: even, tenantFree: noTenantLimit, after: first[0]?.tenant });
    const third = pickFairShare({ queues, free: 1, weightOf: even, tenantFree: noTenantLimit, after: second[0]?.tenant });
    const fourth = pickFairShare({ queues, free: 1, weightOf: even, tenantFree: noTenantLimit, after: third[0]?.tenant });
    expect([first, second, third, fourth].map((pick) => pick[0]?.tenant)).toEqual(['a', 'b', 'c', 'a']);
  });

  it('keeps each queue in the order given (by priority, as the slot queue index lists it), tenants still in turn', () => {
    const queues = new Map([
      ['a', [...queue('a', 3), { tenant: 'a', requestId: 'a-urgent', creationDate: at(30), priority: 9 }].sort(compareCandidates)],
      ['b', queue('b', 3)],
    ]);
    const picked = pickFairShare({ queues, free: 4, weightOf: even, tenantFree: noTenantLimit });
    expect(picked.map((c) => c.requestId)).toEqual(['a-urgent', 'b-0', 'a-0', 'b-1']);
  });
});

describe('slotQueueOrder', () => {
  it('sorts as compareCandidates: higher priority first, then older', () => {
    const candidates: SlotCandidate[] = [
      { tenant: 't', requestId: 'old-low', creationDate: at(1) },
      { tenant: 't', requestId: 'new-high', creationDate: at(5), priority: 200 },
      { tenant: 't', requestId: 'old-mid', creationDate: at(2), priority: 7 },
      { tenant: 't', requestId: 'new-mid', creationDate: at(9), priority: 7 },
    ];
    const byKey = [...candidates].sort((a, b) =>
      slotQueueOrder(a.priority, a.creationDate ?? '') < slotQueueOrder(b.priority, b.creationDate ?? '') ? -1 : 1,
    );
    expect(byKey.map((c) => c.requestId)).toEqual([...candidates].sort(compareCandidates).map((c) => c.requestId));
    expect(byKey.map((c) => c.requestId)).toEqual(['new-high', 'old-mid', 'new-mid', 'old-low']);
  });
});
