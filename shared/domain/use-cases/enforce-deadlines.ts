import type { CounterStore } from '../../ports/counter-store.js';
import type { MessageBus } from '../../ports/message-bus.js';
import type { RequestKey } from '../../ports/request-store.js';
import { applyDeadline } from '../request/outcomes.js';
import { BatchEffects } from '../services/batch-effects.js';
import { applyEvents, type ApplyEventsDeps, type ApplyEventsReport } from '../services/request-events.js';

// sweep --> (use case) --> outcomes, RequestStore, MessageBus

export interface EnforceDeadlinesDeps extends ApplyEventsDeps {
  bus: MessageBus;
  counters: CounterStore;
}

/**
 * Acts on requests found past their deadline: a DISPATCHED or RUNNING request that never got its
 * answer times out (retried by its worker type's policy, else ERROR with the client told), a
 * scheduled retry is dispatched, a retained SUCCESS is purged. Every status but the waiting one
 * is handled here, so nothing waits forever.
 */
export async function enforceDeadlines(keys: readonly RequestKey[], deps: EnforceDeadlinesDeps): Promise<ApplyEventsReport> {
  const effects = new BatchEffects(deps.settings.names, deps.clock.now());
  const report = await applyEvents(
    keys.map((key) => ({ ...key, event: 'due' as const })),
    (request, _due, ctx) => applyDeadline(request, ctx),
    deps,
    effects,
  );
  await effects.flush(deps.bus, deps.counters);
  return report;
}
