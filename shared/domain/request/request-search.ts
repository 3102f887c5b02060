import type { SearchRequestParameters, ValuesRestriction } from '../../contract/search-request-parameters.js';
import type { Request } from './request.js';
import { BLOCKED_STATUSES, REQUEST_STATUSES, type RequestStatus } from '../../contract/status.js';

/*
 * A search over a tenant's requests, as the store must answer it: the statuses are resolved to an
 * explicit list (each status is one index partition), the creation dates bound the index sort key,
 * and every other filter is a predicate applied to the index entries.
 */

/** The fields a search result shows: what the status index projects. */
export type RequestSummary = Pick<
  Request,
  | 'tenant'
  | 'requestId'
  | 'id'
  | 'contentType'
  | 'source'
  | 'session'
  | 'creationDate'
  | 'status'
  | 'statusDate'
  | 'dispatchedWorkerType'
  | 'stepNumber'
  | 'stepWorkerType'
  | 'error'
  | 'attempt'
>;

export interface RequestSearch {
  statuses: RequestStatus[];
  /** Inclusive ISO bounds on the creation date. */
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  /** Contains-match, case-sensitive (REGARDS' LIKE %value%), unless `exact`. */
  source?: string | undefined;
  session?: string | undefined;
  /** Source and session match only themselves (a deletion rs-admin asked for). */
  exact?: boolean | undefined;
  dispatchedWorkerType?: string | undefined;
  contentTypes?: ValuesRestriction<string> | undefined;
  ids?: ValuesRestriction<number> | undefined;
  order: 'asc' | 'desc';
}

/**
 * TO_DELETE is a status this manager never stores (an operator's deletion removes the row in the
 * same write), so a search that does not name it skips its index partitions: one status fewer,
 * four queries fewer per page.
 */
const STORED_STATUSES = REQUEST_STATUSES.filter((status) => status !== 'TO_DELETE');

function resolveStatuses(restriction: ValuesRestriction<RequestStatus> | undefined): RequestStatus[] {
  if (restriction === undefined) return [...STORED_STATUSES];
  return restriction.mode === 'INCLUDE'
    ? REQUEST_STATUSES.filter((status) => restriction.values.includes(status))
    : STORED_STATUSES.filter((status) => !restriction.values.includes(status));
}

export function toRequestSearch(parameters: SearchRequestParameters, order: 'asc' | 'desc' = 'asc'): RequestSearch {
  return {
    statuses: resolveStatuses(parameters.statuses),
    createdAfter: parameters.creationDate?.after?.toISOString(),
    createdBefore: parameters.creationDate?.before?.toISOString(),
    source: parameters.source,
    session: parameters.session,
    dispatchedWorkerType: parameters.dispatchedWorkerType,
    contentTypes: parameters.contentTypes,
    ids: parameters.ids,
    order,
  };
}

/**
 * What an operator's retry or delete may touch: the reference forces its blocked statuses when the
 * filter names none or names any other (a running request is never retried or deleted).
 */
export function restrictToBlocked(search: RequestSearch, now: Date): RequestSearch {
  return restrictToStatuses(search, now, BLOCKED_STATUSES);
}

/** What an operator may cancel: requests waiting (for a slot, a worker, a retry) or in flight. */
export const CANCELLABLE_STATUSES: readonly RequestStatus[] = ['TO_DISPATCH', 'NO_WORKER_AVAILABLE', 'DISPATCHED', 'RUNNING'];

/** The search of a bulk job acting only on `allowed` statuses (the filter may narrow them, never widen them). */
export function restrictToStatuses(search: RequestSearch, now: Date, allowed: readonly RequestStatus[]): RequestSearch {
  const onlyAllowed = search.statuses.length > 0 && search.statuses.every((status) => allowed.includes(status));
  return {
    ...search,
    statuses: onlyAllowed ? search.statuses : [...allowed],
    // Requests created after the job started are not part of what the operator saw.
    createdBefore: search.createdBefore ?? now.toISOString(),
  };
}

function textMatches(value: string, restriction: ValuesRestriction<string>): boolean {
  const fold = (text: string) => (restriction.ignoreCase ? text.toLowerCase() : text);
  const subject = fold(value);
  const matched = restriction.values.some((candidate) => {
    const wanted = fold(candidate);
    switch (restriction.matchMode) {
      case 'STRICT':
        return subject === wanted;
      case 'STARTS_WITH':
        return subject.startsWith(wanted);
      case 'CONTAINS':
        return subject.includes(wanted);
      case 'ENDS_WITH':
        return subject.endsWith(wanted);
    }
  });
  return restriction.mode === 'INCLUDE' ? matched : !matched;
}

/** Every filter but the status and date bounds, which the index already applies. */
export function matchesSearch(summary: RequestSummary, search: RequestSearch): boolean {
  // A store may keep several statuses in one index partition: the status is checked here too.
  if (!search.statuses.includes(summary.status)) return false;
  const matches = (value: string, wanted: string) => (search.exact === true ? value === wanted : value.includes(wanted));
  if (search.source !== undefined && !matches(summary.source, search.source)) return false;
  if (search.session !== undefined && !matches(summary.session, search.session)) return false;
  if (search.dispatchedWorkerType !== undefined && !(summary.dispatchedWorkerType ?? '').includes(search.dispatchedWorkerType)) return false;
  if (search.contentTypes !== undefined && !textMatches(summary.contentType, search.contentTypes)) return false;
  if (search.ids !== undefined) {
    const listed = search.ids.values.includes(summary.id);
    if (search.ids.mode === 'INCLUDE' ? !listed : listed) return false;
  }
  return true;
}
