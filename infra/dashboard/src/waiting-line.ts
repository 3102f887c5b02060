import type { RequestDetail } from './api-types.js';

/* Text of the pages, kept apart from the DOM code so that node tests can read it. */

/** Why a request waiting for a slot (fair dispatch) waits, and its place in its tenant's line. */
export function waitingLine(waiting: NonNullable<RequestDetail['waitingFor']>): string {
  const limit = waiting.maxInFlight === null ? 'no limit any more: the next sweep dispatches it' : `${waiting.inFlight} of ${waiting.maxInFlight} in flight`;
  const ofTenant = waiting.maxInFlightPerTenant === null ? '' : `, ${waiting.inFlightOfTenant} of ${waiting.maxInFlightPerTenant} for this tenant`;
  const place = `${waiting.positionExact ? '' : 'past '}${waiting.position}`;
  return `Waiting for a slot of ${waiting.workerType} (${limit}${ofTenant}): place ${place} in its tenant's line, ${waiting.tenantsWaiting} tenant(s) taking turns.`;
}
