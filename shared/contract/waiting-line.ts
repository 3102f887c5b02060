import type { RequestDetail } from './admin-views.js';

/*
 * How the web dashboard and the `wm` CLI word a request's wait for a slot. No runtime import: the
 * dashboard bundles this file, and zod must not come with it.
 */

/** Why a request waiting for a slot (fair dispatch) waits, and its place in its tenant's line. */
export function waitingLine(waiting: NonNullable<RequestDetail['waitingFor']>): string {
  const limit = waiting.maxInFlight === null ? 'no limit any more: the next sweep dispatches it' : `${waiting.inFlight} of ${waiting.maxInFlight} in flight`;
  const ofTenant = waiting.maxInFlightPerTenant === null ? '' : `, ${waiting.inFlightOfTenant} of ${waiting.maxInFlightPerTenant} for this tenant`;
  const place = `${waiting.positionExact ? '' : 'past '}${waiting.position}`;
  return `Waiting for a slot of ${waiting.workerType} (${limit}${ofTenant}): place ${place} in its tenant's line, ${waiting.tenantsWaiting} tenant(s) taking turns.`;
}
