import { describe, expect, it } from 'vitest';
import { waitingLine } from '../../../shared/contract/waiting-line.js';

/* The request page's line for a request held back by fair dispatch: what it waits for and its place. */
describe("the request page's waiting line", () => {
  const waiting = {
    reason: 'slot' as const,
    workerType: 'extract',
    maxInFlight: 40,
    maxInFlightPerTenant: 10,
    inFlight: 40,
    inFlightOfTenant: 7,
    position: 3,
    positionExact: true,
    tenantsWaiting: 2,
  };

  it('names the worker type, both limits, and the place in line', () => {
    expect(waitingLine(waiting)).toBe(
      "Waiting for a slot of extract (40 of 40 in flight, 7 of 10 for this tenant): place 3 in its tenant's line, 2 tenant(s) taking turns.",
    );
  });

  it('says a place past the counted bound is a lower bound, and a removed limit is not a wait for a slot', () => {
    const line = waitingLine({ ...waiting, maxInFlight: null, maxInFlightPerTenant: null, position: 1000, positionExact: false });
    expect(line).toContain('no limit any more: the next sweep dispatches it');
    expect(line).toContain('place past 1000');
    expect(line).not.toContain('for this tenant');
  });
});
