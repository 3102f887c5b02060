import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryQueueDepths } from '../../../shared/adapters/memory/memory-queue-depths.js';
import { sweep } from '../../../shared/application/use-cases/sweep.js';
import { TIME_TO_START_EXTENDED_EVENT } from '../../../shared/domain/request/deadline-outcomes.js';
import { bringAlive, configure, memoryWorld, storedRequest, submitRequests, type MemoryWorld } from '../../support/use-case-fixtures.js';
import { workerResponseDriver } from '../../support/worker-response-driver.js';

const TENANT = 'tenant-a';
const HOUR = 3_600_000;
const EXTRACT_QUEUE = 'regards.worker.extract.request';
const PACK_QUEUE = 'regards.worker.pack.request';

describe('deadlines that do not fail good work', () => {
  let world: MemoryWorld;
  let depths: MemoryQueueDepths;
  const { deps, submit, stored, answer, respond } = workerResponseDriver(() => world, TENANT);
  /** A sweep run with the workers still beating, as they do while they work through their queue. */
  const sweepAlive = async () => {
    for (const type of ['extract', 'pack']) await bringAlive(world, type);
    return sweep({ ...deps(), queueDepths: depths });
  };

  beforeEach(async () => {
    world = memoryWorld();
    depths = new MemoryQueueDepths();
    await configure(world, TENANT, {
      workers: [
        { workerType: 'extract', contentTypeInputs: ['raw'] },
        {
          workerType: 'pack',
          contentTypeInputs: ['packed'],
          deadlines: { timeToStartSeconds: 600, timeToCompleteSeconds: 36_000, extendWhileQueued: false, runningExtends: false },
        },
        { workerType: 'slow', contentTypeInputs: ['slow-in'], deadlines: { maxQueuedSeconds: 5 * 3600 } },
      ],
    });
    for (const type of ['extract', 'pack', 'slow']) await bringAlive(world, type);
  });

  describe('time-to-start', () => {
    it('is pushed while the worker queue holds messages, by doubling steps, and expires once the queue is empty', async () => {
      await submit('q1', 'raw');
      depths.depths.set(EXTRACT_QUEUE, 250_000);

      world.clock.advance(HOUR);
      await sweepAlive();
      const once = await stored('q1');
      expect(once).toMatchObject({ status: 'DISPATCHED', attempt: 1, deadline: '2026-03-01T12:00:00.000Z' });
      expect(once?.history.at(-1)).toMatchObject({ event: TIME_TO_START_EXTENDED_EVENT, status: 'DISPATCHED' });
      expect(once?.history.at(-1)?.messages[0]).toContain(`250000 messages wait in ${EXTRACT_QUEUE}`);
      expect(once?.history.at(-1)?.messages[0]).toContain('pushed by 3600 s');

      // Waited 2 h since dispatch: pushed by 2 h, so a long wait costs few writes.
      world.clock.advance(HOUR);
      await sweepAlive();
      expect((await stored('q1'))?.deadline).toBe('2026-03-01T14:00:00.000Z');

      depths.depths.set(EXTRACT_QUEUE, 0);
      world.clock.advance(2 * HOUR);
      await sweepAlive();
      expect(await stored('q1')).toMatchObject({
        status: 'ERROR',
        error: `No answer from a extract worker within 3600 s of dispatch (attempt 1), and its worker queue ${EXTRACT_QUEUE} is empty: the work item was taken and never answered`,
      });
    });

    it('expires when the broker does not know the worker queue: nothing can wait in a queue that is not there', async () => {
      await submit('m1', 'raw');
      depths.missing.add(EXTRACT_QUEUE);
      world.clock.advance(HOUR);
      await sweepAlive();
      expect(depths.calls).toEqual([[EXTRACT_QUEUE]]);
      expect((await stored('m1'))?.error).toContain(`its worker queue ${EXTRACT_QUEUE} is empty`);
    });

    it('expires when no instance of the worker type is alive, without asking the broker', async () => {
      await submit('d1', 'raw');
      depths.depths.set(EXTRACT_QUEUE, 10);
      world.clock.advance(HOUR);
      await sweep({ ...deps(), queueDepths: depths });
      expect((await stored('d1'))?.error).toContain('and no extract worker is alive');
      expect(depths.calls).toEqual([]);
    });

    it('checks each worker queue once per sweep run, whichever tenants and pages its requests are in', async () => {
      await configure(world, 'tenant-b', { workers: [{ workerType: 'extract', contentTypeInputs: ['raw'] }] });
      for (const id of ['a1', 'a2', 'a3']) await submit(id, 'raw');
      await submitRequests(world, 'tenant-b', ['b1'], 'raw');
      await submit('p1', 'packed');
      depths.depths.set(EXTRACT_QUEUE, 3);
      world.clock.advance(HOUR);
      for (const type of ['extract', 'pack']) await bringAlive(world, type);
      const report = await sweep({ ...deps(), queueDepths: depths, limits: { pageSize: 1 } });
      expect(report.due.handled).toBe(5);
      // pack's time-to-start is never pushed (extendWhileQueued false): its queue is not asked about.
      expect(depths.calls).toEqual([[EXTRACT_QUEUE]]);
      expect((await stored('p1'))?.status).toBe('ERROR');
      for (const id of ['a1', 'a2', 'a3']) expect((await stored(id))?.status).toBe('DISPATCHED');
      expect((await storedRequest(world, 'tenant-b', 'b1'))?.status).toBe('DISPATCHED');
    });

    it('is pushed, not expired, when the broker cannot be asked, and says so', async () => {
      await submit('u1', 'raw');
      depths.unavailable = true;
      world.clock.advance(HOUR);
      await sweepAlive();
      expect((await stored('u1'))?.status).toBe('DISPATCHED');
      expect((await stored('u1'))?.history.at(-1)?.messages[0]).toContain('the worker queue could not be checked (broker unreachable)');
      expect(world.logger.entries.some((entry) => entry.message.startsWith('could not read worker queue depths'))).toBe(true);
    });

    it('expires at maxQueuedSeconds however busy the queue, and never pushes past it', async () => {
      await submit('s1', 'slow-in');
      depths.depths.set('regards.worker.slow.request', 99);
      for (const expected of ['2026-03-01T12:00:00.000Z', '2026-03-01T14:00:00.000Z', '2026-03-01T15:00:00.000Z']) {
        world.clock.set(new Date(Date.parse((await stored('s1'))?.deadline ?? '')));
        await bringAlive(world, 'slow');
        await sweep({ ...deps(), queueDepths: depths });
        expect((await stored('s1'))?.deadline).toBe(expected);
      }
      world.clock.set('2026-03-01T15:00:00.000Z');
      await bringAlive(world, 'slow');
      await sweep({ ...deps(), queueDepths: depths });
      expect((await stored('s1'))?.error).toContain('still unanswered 18000 s after dispatch (maxQueuedSeconds)');
    });

    it('expires as it falls due when the worker type turns the push off, or when no broker is given', async () => {
      await submit('p1', 'packed');
      await submit('n1', 'raw');
      depths.depths.set(PACK_QUEUE, 5);
      world.clock.advance(600_000);
      await sweepAlive();
      expect((await stored('p1'))?.error).toBe('No answer from a pack worker within 600 s of dispatch (attempt 1)');
      world.clock.advance(HOUR);
      for (const type of ['extract', 'pack']) await bringAlive(world, type);
      await sweep(deps());
      expect((await stored('n1'))?.error).toBe('No answer from a extract worker within 3600 s of dispatch (attempt 1)');
    });
  });

  describe('time-to-complete', () => {
    it('is pushed forward by each RUNNING, without a history entry, and only when the push is worth a write', async () => {
      await submit('r1', 'raw');
      await respond(answer({ requestId: 'r1', status: 'RUNNING' }));
      const running = await stored('r1');
      expect(running?.deadline).toBe('2026-03-02T10:00:00.000Z');

      // An hour later the push (1 h) is under a tenth of the 24 h time-to-complete: not written.
      world.clock.advance(HOUR);
      await respond(answer({ requestId: 'r1', status: 'RUNNING' }));
      expect((await stored('r1'))?.version).toBe(running?.version);

      world.clock.advance(2 * HOUR);
      await respond(answer({ requestId: 'r1', status: 'RUNNING' }));
      const heartbeat = await stored('r1');
      expect(heartbeat).toMatchObject({ status: 'RUNNING', deadline: '2026-03-02T13:00:00.000Z', version: (running?.version ?? 0) + 1 });
      expect(heartbeat?.history).toEqual(running?.history);

      world.clock.set(new Date('2026-03-02T10:00:00.000Z'));
      await sweepAlive();
      expect((await stored('r1'))?.status).toBe('RUNNING');
      world.clock.set(new Date('2026-03-02T13:00:00.000Z'));
      await sweepAlive();
      expect((await stored('r1'))?.error).toContain('did not finish within 86400 s of its last RUNNING');
    });

    it('is not pushed when the worker type turns the heartbeat off', async () => {
      await submit('p2', 'packed');
      await respond(answer({ requestId: 'p2', status: 'RUNNING' }));
      world.clock.advance(5 * HOUR);
      await respond(answer({ requestId: 'p2', status: 'RUNNING' }));
      expect((await stored('p2'))?.deadline).toBe('2026-03-01T20:00:00.000Z');
      world.clock.advance(5 * HOUR);
      await sweepAlive();
      expect((await stored('p2'))?.error).toContain('did not finish within 36000 s of reporting RUNNING');
    });
  });
});
