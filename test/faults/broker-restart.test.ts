import { afterAll, expect, it } from 'vitest';
import { startPrivateNode, type PrivateNode } from './support/broker-control.js';
import { startFaultHost, type FaultHost } from './support/fault-host.js';
import { ResultBook } from './support/results.js';
import { runLoad } from './support/scenario.js';
import { FAULTS_LONG, loadSize } from './support/seed.js';

/*
 * The broker application stopped and started under load. Never the shared broker: a private
 * RabbitMQ node of this test (own name, ports and data in a temp folder, no plugins), torn down
 * at the end.
 */

const book = new ResultBook('broker-restart');
let node: PrivateNode | undefined;
let fh: FaultHost | undefined;

afterAll(async () => {
  await fh?.close();
  await node?.close();
  book.write();
});

it('answers every request when the broker application is stopped and started mid-load', async () => {
  const nodeStarted = Date.now();
  node = await startPrivateNode(20_000);
  const startSeconds = Math.round((Date.now() - nodeStarted) / 100) / 10;
  const h = (fh = await startFaultHost('f-broker', { amqpUrl: node.url }));
  await h.startWorkers(2);
  const downMs = FAULTS_LONG ? 20_000 : 3_000;
  const outcome = await runLoad(h, {
    name: 'broker',
    count: loadSize(160, 2_000),
    stallMs: 15_000,
    fault: async () => {
      const stopping = Date.now();
      await node!.stopApp();
      const stopSeconds = Math.round((Date.now() - stopping) / 100) / 10;
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await node!.startApp();
      return { kind: 'rabbitmqctl stop_app / start_app on a private node', downMs, nodeStartSeconds: startSeconds, stopAppSeconds: stopSeconds };
    },
  });
  book.add(outcome);
  expect(outcome.lost, JSON.stringify(outcome)).toBe(0);
  expect(outcome.conflicting).toBe(0);
  expect(outcome.answered + outcome.waiting).toBe(outcome.sent);
});
