import { workerTypeLimit, type FairDispatchSettings } from '../../contract/fair-dispatch-settings.js';
import { heldAnswer, holdForSlot, waitingForSlotMessage } from '../../domain/request/slot-wait.js';
import type { Outcome } from '../../domain/request/outcomes.js';
import type { Request } from '../../domain/request/request.js';
import type { Phase } from '../../domain/request/state-machine.js';
import type { SlotStore } from '../../ports/slot-store.js';

/*
 * The door of fair dispatch (README, "Fair dispatch") that every writer of a dispatch goes
 * through: a request about to be DISPATCHED to a limited worker type takes a slot first, or waits
 * for one; a request that stops being in flight gives its slot back once its write won. With no
 * limit set, or no slot store, every method returns at once and nothing is read or written: the
 * default path costs what it did before fair dispatch.
 */

export interface SlotChange {
  /** As stored before (undefined: a request not stored yet). */
  previous: Request | undefined;
  /** As it is to be written (undefined: the row goes). */
  next: Request | undefined;
}

/** The limited worker type whose slot a request holds (it is in flight), if any. */
export function slotHeld(request: Request | undefined, fair: FairDispatchSettings): string | undefined {
  if (request === undefined || (request.status !== 'DISPATCHED' && request.status !== 'RUNNING')) return undefined;
  const type = request.dispatchedWorkerType;
  return type !== null && workerTypeLimit(fair, type) !== undefined ? type : undefined;
}

const groupKey = (workerType: string, tenant: string) => JSON.stringify([workerType, tenant]);

export class SlotGate {
  public constructor(
    private readonly slots: SlotStore | undefined,
    private readonly fair: FairDispatchSettings,
  ) {}

  public get active(): boolean {
    return this.slots !== undefined && Object.keys(this.fair.workerTypes).length > 0;
  }

  /** The limited worker type `change` starts holding a slot of, if any. */
  public takes(change: SlotChange): string | undefined {
    const after = slotHeld(change.next, this.fair);
    return after !== undefined && slotHeld(change.previous, this.fair) !== after ? after : undefined;
  }

  /** The limited worker type whose slot `change` gives back, if any. */
  public gives(change: SlotChange): string | undefined {
    const before = slotHeld(change.previous, this.fair);
    return before !== undefined && slotHeld(change.next, this.fair) !== before ? before : undefined;
  }

  /**
   * Takes a slot for each change that needs one, one conditional write per (worker type, tenant);
   * true for those that got theirs (and those that need none), false for those that must wait:
   * past the limit, or behind requests already waiting (they join the queue; the writer then runs
   * a fill, which may give them a slot in turn at once).
   */
  public async admit(changes: readonly SlotChange[]): Promise<boolean[]> {
    const admitted = changes.map(() => true);
    if (!this.active || this.slots === undefined) return admitted;
    const slots = this.slots;
    const groups = new Map<string, { workerType: string; tenant: string; indexes: number[] }>();
    changes.forEach((change, index) => {
      const workerType = this.takes(change);
      if (workerType === undefined || change.next === undefined) return;
      const key = groupKey(workerType, change.next.tenant);
      const group = groups.get(key) ?? { workerType, tenant: change.next.tenant, indexes: [] };
      group.indexes.push(index);
      groups.set(key, group);
    });
    await Promise.all(
      [...groups.values()].map(async ({ workerType, tenant, indexes }) => {
        const limit = workerTypeLimit(this.fair, workerType);
        if (limit === undefined) return;
        // Behind the requests already waiting: a freed slot is theirs (the fill's), not a newcomer's.
        const taken = await slots.take(workerType, tenant, indexes.length, limit, { behindWaiting: true });
        for (const index of indexes.slice(taken)) admitted[index] = false;
      }),
    );
    return admitted;
  }

  /** Gives back the slots of the changes whose requests stopped being in flight; returns the worker types that freed slots. */
  public async release(changes: readonly SlotChange[]): Promise<string[]> {
    return this.giveBack(changes.flatMap((change) => this.holderOf(this.gives(change), change.previous)));
  }

  /** Gives back the slots taken for changes that were then not written (a lost race, a refusal, a duplicate). */
  public async unused(changes: readonly SlotChange[]): Promise<void> {
    await this.giveBack(changes.flatMap((change) => this.holderOf(this.takes(change), change.next)));
  }

  /** Notes the tenants of requests now waiting for a slot, so that a fill looks at their queues. */
  public async noteHeld(held: readonly Request[]): Promise<void> {
    if (!this.active || this.slots === undefined || held.length === 0) return;
    const slots = this.slots;
    const byType = new Map<string, Set<string>>();
    for (const request of held) {
      if (request.stepWorkerType === null) continue;
      byType.set(request.stepWorkerType, (byType.get(request.stepWorkerType) ?? new Set()).add(request.tenant));
    }
    await Promise.all([...byType].map(([workerType, tenants]) => slots.noteWaiting(workerType, [...tenants])));
  }

  /** Why a request for this worker type waits. */
  public why(workerType: string): string {
    const limit = workerTypeLimit(this.fair, workerType);
    return waitingForSlotMessage(workerType, limit?.maxInFlight ?? 0, limit?.maxInFlightPerTenant);
  }

  private holderOf(workerType: string | undefined, request: Request | undefined): { workerType: string; tenant: string }[] {
    return workerType === undefined || request === undefined ? [] : [{ workerType, tenant: request.tenant }];
  }

  private async giveBack(holders: readonly { workerType: string; tenant: string }[]): Promise<string[]> {
    if (!this.active || this.slots === undefined || holders.length === 0) return [];
    const slots = this.slots;
    const counts = new Map<string, { workerType: string; tenant: string; count: number }>();
    for (const { workerType, tenant } of holders) {
      const key = groupKey(workerType, tenant);
      counts.set(key, { workerType, tenant, count: (counts.get(key)?.count ?? 0) + 1 });
    }
    await Promise.all([...counts.values()].map(({ workerType, tenant, count }) => slots.release(workerType, tenant, count)));
    return [...new Set(holders.map((holder) => holder.workerType))];
  }
}

/**
 * The outcome of an event whose planned dispatch must wait for a slot: the request held instead,
 * its GRANTED answers replaced by a DELAYED saying why, its counters those of a waiting request.
 */
export function holdOutcome(outcome: Outcome, previous: Request, now: Date, why: string): Outcome {
  // Every dispatch an event plans starts from TO_DISPATCH (a step done, a retry) or NO_WORKER_AVAILABLE.
  const from: Phase = previous.status === 'NO_WORKER_AVAILABLE' ? 'NO_WORKER_AVAILABLE' : 'TO_DISPATCH';
  const held = holdForSlot(previous, from, outcome.request, now, why);
  const waitingState = { status: 'TO_DISPATCH' as const, dispatchedWorkerType: null };
  return {
    ...outcome,
    request: held,
    answers: outcome.answers.map((entry) => (entry.answer.state === 'GRANTED' ? { about: held, answer: heldAnswer(why) } : entry)),
    counted: outcome.counted.map((change) => (change.kind === 'changed' && change.after.status === 'DISPATCHED' ? { ...change, after: waitingState } : change)),
  };
}
