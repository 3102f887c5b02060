import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagerHost } from '../../../infra/local/manager-host.js';
import { Header } from '../../../shared/contract/headers.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { recordHeartbeats } from '../../../shared/application/use-cases/record-heartbeats.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import type { ManagerServices } from '../../../shared/lambda/services.js';
import {
  declareWorkerQueues,
  eventually,
  json,
  publishHeartbeats,
  publishRequest,
  startHarness,
  startPeerHost,
  type HostHarness,
} from '../../support/host-harness.js';
import { beat, configure } from '../../support/use-case-fixtures.js';

const TYPES = ['shared-type', 'raced-type', 'burst-type'] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two manager hosts sharing one store and one heartbeat queue', () => {
  let h: HostHarness;
  let peer: ManagerHost;
  const peerLogger = new CapturingLogger();
  let hosts: { name: string; services: ManagerServices; logger: CapturingLogger }[];

  beforeAll(async () => {
    h = await startHarness('heartbeats-two-hosts', { only: ['register-requests', 'record-heartbeats'] });
    peer = await startPeerHost(h, { only: ['record-heartbeats'], logger: peerLogger });
    const own = h.host.services.get('record-heartbeats');
    const other = peer.services.get('record-heartbeats');
    if (own === undefined || other === undefined) throw new Error('record-heartbeats is not running on both hosts');
    hosts = [
      { name: 'first', services: own, logger: h.logger },
      { name: 'second', services: other, logger: peerLogger },
    ];
    for (const tenant of ['tenant-a', 'tenant-b']) {
      await configure(h.services, tenant, { workers: TYPES.map((type) => ({ workerType: type, contentTypeInputs: [`for-${type}`] })) });
    }
    await declareWorkerQueues(h, TYPES);
  });

  afterAll(async () => {
    await peer?.stop();
    await h?.close();
  });

  /** Parks `count` requests of a type, alternating two tenants, and consumes their DELAYED answers. */
  async function park(type: string, count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, n) => `${type}-${n}`);
    await Promise.all(
      ids.map((id, n) => publishRequest(h, id, { [Header.tenant]: n % 2 === 0 ? 'tenant-a' : 'tenant-b', [Header.contentType]: `for-${type}` })),
    );
    const answers = (await h.rabbit.collect(h.clientQueue, count)).map((message) => json(message)['state']);
    expect(answers.every((state) => state === 'DELAYED')).toBe(true);
    return ids;
  }

  async function collectOnce(type: string, count: number): Promise<string[]> {
    const queue = workerRequestName(h.settings.names, type);
    const work = await h.rabbit.collect(queue, count);
    // Anything dispatched twice would arrive within this pause.
    await sleep(1_000);
    expect((await h.rabbit.queueState(queue)).messageCount).toBe(0);
    return work.map((message) => `${String(message.properties.headers?.[Header.tenant])}/${String(message.properties.headers?.[Header.requestId])}`);
  }

  const revivals = (type: string) =>
    hosts.map(
      ({ logger }) =>
        logger.entries.filter((entry) => entry.message.startsWith('worker types came alive') && (entry.fields['revived'] as string[]).includes(type)).length,
    );

  it('agree on liveness whichever host recorded which beat', async () => {
    const instances = Array.from({ length: 6 }, (_, n) => `shared-${n}`);
    for (const id of instances) await publishHeartbeats(h, [{ id, type: 'shared-type', heartBeatDate: new Date().toISOString() }]);
    const views = await eventually(
      async () => {
        const seen = await Promise.all(hosts.map(async ({ services }) => (await services.liveness.aliveTypes()).get('shared-type')?.instances));
        return seen.every((count) => count === instances.length) ? seen : undefined;
      },
      { what: 'both hosts see six instances' },
    );
    expect(views).toEqual([6, 6]);
    // The broker spread the beats over both consumers: each host recorded some of them.
    for (const host of [h.host, peer]) expect(host.emulators.get('record-heartbeats')?.stats.messages).toBeGreaterThan(0);
  });

  it('lets only one of two hosts recording a revival at the same moment re-dispatch, each request once', async () => {
    const ids = await park('raced-type', 10);
    const now = new Date();
    const reports = await Promise.all(
      hosts.map(({ services }, n) => recordHeartbeats({ messages: [beat('raced-type', `raced-${n}`, now)], unreadable: [] }, services)),
    );
    expect(reports.filter((report) => report.revived.includes('raced-type'))).toHaveLength(1);
    const sent = await collectOnce('raced-type', 10);
    expect(sent.map((id) => id.split('/')[1]).sort()).toEqual([...ids].sort());
    const granted = (await h.rabbit.collect(h.clientQueue, 10)).map((message) => json(message)['state']);
    expect(granted.every((state) => state === 'GRANTED')).toBe(true);
  });

  it('dispatches once when a burst of beats of a new type lands on both hosts through the queue', async () => {
    const ids = await park('burst-type', 12);
    const date = new Date().toISOString();
    // Several small bursts so both consumers get a share of the first beats.
    await Promise.all(
      Array.from({ length: 4 }, (_, burst) =>
        publishHeartbeats(
          h,
          Array.from({ length: 5 }, (_, n) => ({ id: `burst-${burst}-${n}`, type: 'burst-type', heartBeatDate: date })),
          'queue',
        ),
      ),
    );
    const sent = await collectOnce('burst-type', 12);
    expect(new Set(sent).size).toBe(12);
    expect(sent.map((id) => id.split('/')[1]).sort()).toEqual([...ids].sort());
    expect(revivals('burst-type').reduce((sum, count) => sum + count, 0)).toBe(1);
    await h.rabbit.collect(h.clientQueue, 12);
  });
});
