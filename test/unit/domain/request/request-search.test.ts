import { describe, expect, it } from 'vitest';
import { SearchRequestParametersSchema } from '../../../../shared/contract/search-request-parameters.js';
import { matchesSearch, restrictToBlocked, toRequestSearch, type RequestSummary } from '../../../../shared/domain/request/request-search.js';

const search = (body: unknown) => toRequestSearch(SearchRequestParametersSchema.parse(body));

const summary: RequestSummary = {
  tenant: 't',
  requestId: 'r',
  id: 42,
  contentType: 'lta-request',
  source: 'owner-A',
  session: 'session-2026',
  creationDate: '2026-01-01T00:00:00.000Z',
  status: 'ERROR',
  statusDate: '2026-01-01T00:00:00.000Z',
  dispatchedWorkerType: 'sip-worker',
  stepNumber: 2,
  stepWorkerType: 'sip-worker',
  error: 'x',
  attempt: 1,
};

describe('request search', () => {
  it('reads every stored status when none is named, skipping TO_DELETE, which is never stored', () => {
    expect(search({}).statuses).toEqual(['TO_DISPATCH', 'DISPATCHED', 'NO_WORKER_AVAILABLE', 'RUNNING', 'SUCCESS', 'ERROR', 'INVALID_CONTENT']);
    expect(search({ statuses: { mode: 'EXCLUDE', values: ['SUCCESS'] } }).statuses).not.toContain('TO_DELETE');
    expect(search({ statuses: { mode: 'INCLUDE', values: ['TO_DELETE'] } }).statuses).toEqual(['TO_DELETE']);
  });

  it('forces the blocked statuses on an operator job whose filter names any other, and bounds it by its start', () => {
    const now = new Date('2026-02-01T00:00:00.000Z');
    expect(restrictToBlocked(search({ statuses: { mode: 'INCLUDE', values: ['ERROR', 'RUNNING'] } }), now)).toMatchObject({
      statuses: ['ERROR', 'NO_WORKER_AVAILABLE', 'INVALID_CONTENT'],
      createdBefore: now.toISOString(),
    });
    expect(restrictToBlocked(search({ statuses: { mode: 'INCLUDE', values: ['INVALID_CONTENT'] } }), now).statuses).toEqual(['INVALID_CONTENT']);
  });

  it('matches contain filters case-sensitively, content types by mode and case, and ids', () => {
    expect(matchesSearch(summary, search({ source: 'owner' }))).toBe(true);
    expect(matchesSearch(summary, search({ source: 'OWNER' }))).toBe(false);
    expect(matchesSearch(summary, search({ contentTypes: { mode: 'INCLUDE', values: ['LTA'], matchMode: 'STARTS_WITH', ignoreCase: true } }))).toBe(true);
    expect(matchesSearch(summary, search({ contentTypes: { mode: 'EXCLUDE', values: ['request'], matchMode: 'ENDS_WITH' } }))).toBe(false);
    expect(matchesSearch(summary, search({ ids: { mode: 'INCLUDE', values: [42] } }))).toBe(true);
    expect(matchesSearch(summary, search({ ids: { mode: 'EXCLUDE', values: [42] } }))).toBe(false);
    expect(matchesSearch(summary, search({ dispatchedWorkerType: 'sip' }))).toBe(true);
  });
});
