import { tenantOf, type DeadLetterCount, type FaultHost } from './fault-host.js';
import { FAULTS_LONG } from './seed.js';
import type { LedgerSummary } from './ledger.js';

export interface LoadScenario {
  /** Request ids get this prefix. */
  name: string;
  count: number;
  /** Runs once `faultAfterAnswers` requests were answered, while the rest is being sent and worked on; returns what it did. */
  fault: () => Promise<Record<string, unknown>>;
  faultAfterAnswers?: number;
  /** Wait for every request to be sent and taken from the request queue before the fault. */
  faultAfterRegistered?: boolean;
  settleMs?: number;
  /** Stop waiting when no request got its final answer for this long (default 6 s). */
  stallMs?: number;
}

export interface LoadOutcome extends LedgerSummary {
  scenario: string;
  fault: Record<string, unknown>;
  /** Stored with a final status but never answered to the client. */
  finalWithoutAnswer: number;
  settleSeconds: number;
  /** Admin API statuses of the requests without a final answer. */
  unansweredStatuses: Record<string, number>;
  /** Messages left in the dead-letter queues, by queue (the prefix cut). */
  deadLetters: Record<string, DeadLetterCount>;
  /** Emulator invocations whose handler threw (the batch was requeued), by function. */
  handlerFailures: Record<string, number>;
}

/**
 * Sends `count` requests over both tenants, runs the fault in the middle of the load, waits for
 * the answers, and draws the ledger: every request answered once (duplicates counted), or shown
 * waiting by the admin API.
 */
export async function runLoad(fh: FaultHost, scenario: LoadScenario): Promise<LoadOutcome> {
  const ids = Array.from({ length: scenario.count }, (_, n) => `${scenario.name}-${n}`);
  const started = Date.now();
  const sending = fh.send(ids);
  const threshold = scenario.faultAfterAnswers ?? Math.floor(scenario.count / 5);
  const keysSoFar = () => ids.map((id, n) => fh.ledger.key(tenantOf(n), id));
  if (scenario.faultAfterRegistered) {
    await sending;
    const registeredBy = Date.now() + 60_000;
    // Nothing ready in the queue, and nothing buffered or in flight in register-requests (a batch
    // being written is unacked, so the queue alone would look empty).
    const intake = fh.host.emulators.get('register-requests');
    const registered = async () =>
      (await fh.rabbit.queueState(fh.settings.names.requestQueue)).messageCount === 0 && intake?.stats.inFlight === 0 && intake.stats.buffered === 0;
    while (!(await registered()) && Date.now() < registeredBy) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const waitUntil = Date.now() + 60_000;
  while (keysSoFar().filter((key) => fh.ledger.isFinal(key)).length < threshold && Date.now() < waitUntil) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const fault = await scenario.fault();
  const keys = await sending;
  await fh.ledger.settle(keys, scenario.settleMs ?? (FAULTS_LONG ? 600_000 : 90_000), scenario.stallMs);
  await fh.ledger.quiet(1_500);
  let visible = await fh.visibleWaiting(keys.filter((key) => !fh.ledger.isFinal(key)));
  // On a loaded machine a request can still be on its way when answers stall (in the input queue,
  // or answered but not yet read): look again before calling one lost.
  const unseen = () => keys.filter((key) => !fh.ledger.isFinal(key) && !visible.waiting.includes(key));
  if (unseen().length > 0) {
    await fh.ledger.settle(unseen(), 30_000, 20_000);
    visible = await fh.visibleWaiting(keys.filter((key) => !fh.ledger.isFinal(key)));
  }
  const settleSeconds = Math.round((Date.now() - started) / 100) / 10;
  const handlerFailures: Record<string, number> = {};
  for (const [fn, emulator] of fh.host.emulators) handlerFailures[fn] = emulator.stats.failures;
  return {
    scenario: scenario.name,
    fault,
    ...fh.ledger.summary(keys, visible.waiting),
    finalWithoutAnswer: visible.finalWithoutAnswer.length,
    unansweredStatuses: visible.statuses,
    deadLetters: await fh.deadLetters(),
    settleSeconds,
    handlerFailures,
  };
}
