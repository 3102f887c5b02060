/*
 * Which waiting requests take the free slots of a worker type (README, "Fair dispatch"): tenants
 * take turns, each taking as many per round as its weight, and within a tenant the higher client
 * priority goes first, then the older request. Pure: the caller reads the queue heads and the
 * counts, and takes the slots before it dispatches what this picks.
 */

/** A request waiting for a slot, as its tenant's queue lists it. */
export interface SlotCandidate {
  tenant: string;
  requestId: string;
  /** The client's AMQP priority; absent counts as 0, as in RabbitMQ. */
  priority?: number | undefined;
  /** Absent when the listing gave only the order (the slot queue index). */
  creationDate?: string | undefined;
}

export interface FairShareInput {
  /** Each tenant's waiting requests in queue order (compareCandidates: the slot queue index lists them so). */
  queues: ReadonlyMap<string, readonly SlotCandidate[]>;
  /** Slots free for the worker type, all tenants together. */
  free: number;
  weightOf: (tenant: string) => number;
  /** Slots a tenant may still take under its own limit (Infinity when there is none). */
  tenantFree: (tenant: string) => number;
  /**
   * The tenant the previous pick ended on: this pick starts with the tenant after it, so that
   * when slots come back one at a time the first tenant in name order does not take them all.
   */
  after?: string | undefined;
}

/** The AMQP maximum priority; the waiting index sorts by its complement so the highest comes first. */
export const MAX_PRIORITY = 255;

/** Higher priority first, then older, then request id: the order of a tenant's waiting queue. */
export function compareCandidates(a: SlotCandidate, b: SlotCandidate): number {
  const byPriority = (b.priority ?? 0) - (a.priority ?? 0);
  if (byPriority !== 0) return byPriority;
  const [left, right] = [a.creationDate ?? '', b.creationDate ?? ''];
  if (left !== right) return left < right ? -1 : 1;
  return a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0;
}

/**
 * The sort key of a request in its tenant's slot queue: the inverted priority (three digits) leads,
 * so one ascending index query returns the queue in `compareCandidates` order.
 */
export function slotQueueOrder(priority: number | undefined, creationDate: string): string {
  return `${String(MAX_PRIORITY - (priority ?? 0)).padStart(3, '0')}#${creationDate}`;
}

/** The candidates that take the free slots, in the order they take them. */
export function pickFairShare(input: FairShareInput): SlotCandidate[] {
  const tenants = rotate([...input.queues.keys()].filter((tenant) => (input.queues.get(tenant)?.length ?? 0) > 0).sort(), input.after);
  const queues = new Map(tenants.map((tenant) => [tenant, [...(input.queues.get(tenant) ?? [])]]));
  const left = new Map(tenants.map((tenant) => [tenant, Math.max(0, input.tenantFree(tenant))]));
  const picked: SlotCandidate[] = [];
  let free = Math.max(0, input.free);
  let progress = true;
  while (free > 0 && progress) {
    progress = false;
    for (const tenant of tenants) {
      const queue = queues.get(tenant) ?? [];
      const turn = Math.min(Math.max(1, input.weightOf(tenant)), free, left.get(tenant) ?? 0, queue.length);
      if (turn <= 0) continue;
      picked.push(...queue.splice(0, turn));
      left.set(tenant, (left.get(tenant) ?? 0) - turn);
      free -= turn;
      progress = true;
      if (free === 0) break;
    }
  }
  return picked;
}

/** The tenants in name order, starting after `after` (wrapping around). */
function rotate(tenants: readonly string[], after: string | undefined): string[] {
  if (after === undefined) return [...tenants];
  const start = tenants.findIndex((tenant) => tenant > after);
  if (start <= 0) return [...tenants];
  return [...tenants.slice(start), ...tenants.slice(0, start)];
}
