import { afterEach, expect, it } from 'vitest';
import { startFaultHost, type FaultHost } from './support/fault-host.js';

/*
 * Found by this suite: a store outage of a few seconds used to make the event source redeliver each
 * batch at once, five deliveries passed within the outage, and the queue's delivery limit
 * dead-lettered every message in flight (x-death: delivery_limit, no reason). A batch that fails on
 * the store is now held and retried inside its invocation (shared/lambda/amazon-mq-source.ts), so
 * requests sent during the outage are all answered and nothing is dead-lettered.
 */

let fh: FaultHost | undefined;

afterEach(async () => {
  await fh?.close();
  fh = undefined;
});

it('a 4 s store outage dead-letters no message and every request sent during it gets its final answer', async () => {
  const h = (fh = await startFaultHost('f-bug-store'));
  await h.startWorkers(2);
  h.proxy.cut();
  const ids = Array.from({ length: 100 }, (_, n) => `outage-${n}`);
  const keys = await h.send(ids);
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  h.proxy.restore();
  const pending = await h.ledger.settle(keys, 60_000, 20_000);
  const deadLetters = await h.deadLetters();
  expect(deadLetters).toEqual({});
  expect(pending).toEqual([]);
});
