import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/*
 * The load side shared by every scenario: a target publishes bursts and reports when each request
 * reached a worker (dispatch) and when its final answer came back (end to end); a phase sends a
 * bounded count at full speed or at a paced rate, under a deadline, and measures it.
 */

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface Target {
  /** Publishes one burst (each id with its send time) and resolves once the broker or Redis took it. */
  send(ids: readonly string[]): Promise<void>;
}

/** What a target's listener calls; the phase collects into it. */
export class Tracker {
  private readonly sent = new Map<string, number>();
  public readonly dispatch: number[] = [];
  public readonly endToEnd: number[] = [];
  public failures = 0;
  public completed = 0;
  public firstSend = Number.POSITIVE_INFINITY;
  public lastFinal = 0;

  public markSent(ids: readonly string[], at: number): void {
    for (const id of ids) this.sent.set(id, at);
    this.firstSend = Math.min(this.firstSend, at);
  }

  /** A final answer: `dispatchedAt` is when a worker received it (its own clock, same machine). */
  public final(id: string, at: number, dispatchedAt: number | undefined, ok: boolean): void {
    const sentAt = this.sent.get(id);
    if (sentAt === undefined) return;
    this.sent.delete(id);
    this.completed += 1;
    if (!ok) this.failures += 1;
    this.lastFinal = Math.max(this.lastFinal, at);
    this.endToEnd.push(at - sentAt);
    if (dispatchedAt !== undefined) this.dispatch.push(dispatchedAt - sentAt);
  }

  public sentAt(id: string): number | undefined {
    return this.sent.get(id);
  }
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0, 2);
  return { p50: at(50), p95: at(95), p99: at(99) };
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export interface PhaseResult {
  mode: 'full' | 'paced';
  targetRate: number | null;
  requests: number;
  completed: number;
  failures: number;
  /** Completed / (last final answer - first send). */
  throughput: number;
  /** The rate the requests were sent at. */
  sendRate: number;
  timedOut: boolean;
  dispatchMs: Percentiles | null;
  endToEndMs: Percentiles | null;
  cpu: CpuShares;
  seconds: number;
}

export interface PhaseOptions {
  ids: readonly string[];
  /** Requests per second; absent: as fast as the target takes them. */
  rate?: number;
  burst?: number;
  deadlineMs: number;
}

export async function runPhase(target: Target, tracker: Tracker, options: PhaseOptions, monitor: CpuMonitor): Promise<PhaseResult> {
  const burst = options.burst ?? 100;
  const started = epochNow();
  const deadline = started + options.deadlineMs;
  const cpu = monitor.start();
  let sent = 0;
  while (sent < options.ids.length && epochNow() < deadline) {
    let take = Math.min(burst, options.ids.length - sent);
    if (options.rate !== undefined) {
      const due = Math.floor(((epochNow() - started) / 1000) * options.rate) - sent;
      take = Math.min(take, due);
      if (take <= 0) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
    }
    const ids = options.ids.slice(sent, sent + take);
    tracker.markSent(ids, epochNow());
    await target.send(ids);
    sent += take;
  }
  const sentSeconds = (epochNow() - started) / 1000;
  while (tracker.completed < sent && epochNow() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const shares = cpu.stop();
  const timedOut = tracker.completed < options.ids.length;
  const span = (tracker.lastFinal - tracker.firstSend) / 1000;
  return {
    mode: options.rate === undefined ? 'full' : 'paced',
    targetRate: options.rate === undefined ? null : round(options.rate),
    requests: options.ids.length,
    completed: tracker.completed,
    failures: tracker.failures,
    throughput: span > 0 ? round(tracker.completed / span) : 0,
    sendRate: round(sent / sentSeconds),
    timedOut,
    dispatchMs: percentiles(tracker.dispatch),
    endToEndMs: percentiles(tracker.endToEnd),
    cpu: shares,
    seconds: round((epochNow() - started) / 1000, 1),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(20);
  }
}

/* ---- CPU: the machine (/proc/stat) and named process groups (/proc/<pid>/stat), Linux only ---- */

export interface CpuShares {
  /** 100 = one core busy for the whole phase. */
  machine: number;
  groups: Record<string, number>;
  other: number;
}

const TICKS_PER_SECOND = 100;

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - idle, total };
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Pids whose command name is one of `names` (beam.smp for RabbitMQ, redis-server). */
export function pidsNamed(...names: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (names.includes(comm)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export class CpuMonitor {
  private readonly groups = new Map<string, () => number[]>();

  public group(name: string, pids: () => number[]): void {
    this.groups.set(name, pids);
  }

  public start(): { stop: () => CpuShares } {
    const machine = machineTicks();
    const wallStart = performance.now();
    const groupStart = new Map([...this.groups].map(([name, pids]) => [name, pids().reduce((sum, pid) => sum + processTicks(pid), 0)]));
    return {
      stop: () => {
        const seconds = (performance.now() - wallStart) / 1000;
        const now = machineTicks();
        const cores = (now.total - machine.total) / TICKS_PER_SECOND / seconds;
        const machinePercent = ((now.busy - machine.busy) / Math.max(1, now.total - machine.total)) * cores * 100;
        const groups: Record<string, number> = {};
        let own = 0;
        for (const [name, pids] of this.groups) {
          const ticks = pids().reduce((sum, pid) => sum + processTicks(pid), 0) - (groupStart.get(name) ?? 0);
          const percent = (ticks / TICKS_PER_SECOND / seconds) * 100;
          groups[name] = round(percent);
          own += percent;
        }
        return { machine: round(machinePercent), groups, other: round(Math.max(0, machinePercent - own)) };
      },
    };
  }
}

/**
 * Waits until the machine is quiet (busy below `maxPercent` of one core over a 1 s sample) or
 * `maxWaitMs` passed; returns the last sample. Other helpers share this machine: the figure
 * goes into the results so a noisy phase can be told.
 */
export async function waitForQuiet(maxPercent: number, maxWaitMs: number): Promise<{ busyPercent: number; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const before = machineTicks();
    await sleep(1000);
    const after = machineTicks();
    const busyPercent = round(((after.busy - before.busy) / Math.max(1, after.total - before.total)) * 100 * availableParallelism());
    if (busyPercent < maxPercent || Date.now() - started > maxWaitMs) return { busyPercent, waitedMs: Date.now() - started };
  }
}

export interface PhasePlan {
  /** Full-speed requests; paced phases send at most this many. */
  requests: number;
  /** A paced phase lasts about this long (its count is rate × seconds, within [200, requests]). */
  pacedSeconds: number;
  /** The full-speed phase sends what the warm-up rate carries in this long (within [500, requests]), so a slow scenario stays bounded. */
  fullSeconds: number;
  warmup: number;
  /** Deadline of one phase. */
  phaseTimeoutMs: number;
  /** The equal-rate phase every scenario runs at. */
  equalRate: number;
}

export interface ScenarioPhases {
  full: PhaseResult;
  pacedEqual: PhaseResult;
  pacedHalf: PhaseResult;
}

/**
 * Warm-up (not reported), full speed, paced at the equal rate, paced at half of this scenario's
 * own full speed. `holder.tracker` is swapped per phase: late answers of a previous phase are ignored.
 */
export async function runPhases(
  label: string,
  target: Target,
  holder: { tracker: Tracker },
  monitor: CpuMonitor,
  plan: PhasePlan,
  log: (line: string) => void,
  hooks: { before?: (phase: string) => void; after?: (phase: string) => Promise<void> | void } = {},
): Promise<ScenarioPhases> {
  const ids = (phase: string, count: number) => Array.from({ length: count }, (_, n) => `${label}-${phase}-${n}`);
  const phase = async (name: string, count: number, rate?: number) => {
    holder.tracker = new Tracker();
    hooks.before?.(name);
    const result = await runPhase(
      target,
      holder.tracker,
      { ids: ids(name, count), ...(rate === undefined ? {} : { rate }), deadlineMs: plan.phaseTimeoutMs },
      monitor,
    );
    log(
      `  ${label} ${name}: ${result.completed}/${result.requests} in ${result.seconds} s, ${result.throughput}/s` +
        (result.endToEndMs ? `, e2e p50 ${result.endToEndMs.p50} p99 ${result.endToEndMs.p99} ms` : '') +
        (result.timedOut ? ' (TIMED OUT)' : '') +
        `, machine CPU ${result.cpu.machine} %`,
    );
    await hooks.after?.(name);
    return result;
  };
  const warm = plan.warmup > 0 ? await phase('warm', plan.warmup) : undefined;
  const fullCount =
    warm === undefined || warm.throughput <= 0 ? plan.requests : Math.max(500, Math.min(plan.requests, Math.round(warm.throughput * plan.fullSeconds)));
  const full = await phase('full', fullCount);
  // A rate the scenario cannot hold is sent for about as long as one it can.
  const pacedCount = (rate: number) => Math.max(200, Math.min(plan.requests, Math.round(Math.min(rate, full.throughput * 1.1) * plan.pacedSeconds)));
  const pacedEqual = await phase(`paced${plan.equalRate}`, pacedCount(plan.equalRate), plan.equalRate);
  const half = Math.max(1, full.throughput / 2);
  const pacedHalf = await phase('pacedHalf', pacedCount(half), half);
  return { full, pacedEqual, pacedHalf };
}
