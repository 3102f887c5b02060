import { afterEach, describe, expect, it } from 'vitest';
import { ScheduleEmulator } from '../../../infra/local/schedule-emulator.js';
import { CapturingLogger } from '../../support/capturing-logger.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ScheduleEmulator', () => {
  const started: ScheduleEmulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((schedule) => schedule.stop()));
  });

  function schedule(intervalMs: number, run: () => Promise<unknown>, logger = new CapturingLogger()) {
    const emulator = new ScheduleEmulator({ name: 'test', intervalMs, run, logger });
    started.push(emulator);
    return emulator;
  }

  it('runs every interval, one run at a time even when a run outlasts the interval', async () => {
    let running = 0;
    let overlapped = false;
    const emulator = schedule(5, async () => {
      running += 1;
      if (running > 1) overlapped = true;
      await sleep(20);
      running -= 1;
    });
    emulator.start();
    await Promise.all([sleep(150), emulator.runNow(), emulator.runNow()]);
    expect(emulator.stats.runs).toBeGreaterThanOrEqual(3);
    expect(overlapped).toBe(false);
  });

  it('runs nothing before start, and nothing after stop; stop waits for the run in flight', async () => {
    let finished = 0;
    const emulator = schedule(10, async () => {
      await sleep(30);
      finished += 1;
    });
    await sleep(30);
    expect(emulator.stats.runs).toBe(0);
    emulator.start();
    await sleep(15);
    await emulator.stop();
    expect(finished).toBe(emulator.stats.runs);
    const runs = emulator.stats.runs;
    await sleep(50);
    expect(emulator.stats.runs).toBe(runs);
  });

  it('logs a failed run and keeps the schedule going', async () => {
    const logger = new CapturingLogger();
    let calls = 0;
    const emulator = schedule(
      5,
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('store down');
      },
      logger,
    );
    emulator.start();
    await sleep(60);
    expect(emulator.stats.failures).toBe(1);
    expect(calls).toBeGreaterThan(1);
    expect(logger.entries[0]).toMatchObject({ level: 'error', message: 'scheduled run failed' });
  });

  it('refuses a non-positive interval', () => {
    expect(() => new ScheduleEmulator({ name: 'x', intervalMs: 0, run: async () => undefined, logger: new CapturingLogger() })).toThrow(RangeError);
  });
});
