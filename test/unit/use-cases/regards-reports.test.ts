import { describe, expect, it } from 'vitest';
import { handleWorkerDeadLetters } from '../../../shared/application/use-cases/handle-worker-dead-letters.js';
import { registerRequests } from '../../../shared/application/use-cases/register-requests.js';
import { Header } from '../../../shared/contract/headers.js';
import { DEFAULT_MANAGER_SETTINGS, type ManagerSettings } from '../../../shared/contract/manager-settings.js';
import type { OutboundMessage } from '../../../shared/contract/outbound-message.js';
import { workerRequestName } from '../../../shared/contract/wire-names.js';
import { MemoryMessageBus } from '../../../shared/adapters/memory/memory-message-bus.js';
import { PublishError } from '../../../shared/ports/message-bus.js';
import { deadLetterUnreadable } from '../../../shared/lambda/amazon-mq-source.js';
import { asInbound, bringAlive, configure, declare, decodeJson, memoryWorld, requestMessage } from '../../support/use-case-fixtures.js';

const SETTINGS: ManagerSettings = DEFAULT_MANAGER_SETTINGS;
const names = SETTINGS.names;

/** A broker that refuses the REGARDS reports only, as one whose rs-admin exchanges are broken would. */
class ReportRefusingBus extends MemoryMessageBus {
  public refused = 0;
  public override async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.some((message) => message.exchange === names.sessionStepExchange || message.exchange === names.notificationExchange)) {
      this.refused += messages.length;
      throw new PublishError('reports refused');
    }
    return super.publish(messages);
  }
}

async function world(bus?: MemoryMessageBus) {
  const w = memoryWorld(SETTINGS);
  const scene = bus === undefined ? w : { ...w, bus };
  await declare(w, 'tenant-a');
  await configure(w, 'tenant-a', { workers: [{ workerType: 'extract', contentTypeInputs: ['to-extract'] }] });
  await bringAlive(w, 'extract');
  return scene;
}

describe('REGARDS reports of a batch (default settings: REGARDS names, so session events and notifications on)', () => {
  it('sends one SessionStepEvent per session after the answers, in a burst of its own', async () => {
    const w = await world();
    await registerRequests(
      {
        messages: [
          requestMessage({ requestId: 'r1', session: 's1' }),
          requestMessage({ requestId: 'r2', session: 's1' }),
          requestMessage({ requestId: 'r3', session: 's2' }),
        ],
        unreadable: [],
      },
      w,
    );
    expect(w.bus.bursts).toBe(2);
    const steps = w.bus
      .to(names.sessionStepExchange)
      .map((message) => decodeJson(message.body) as { sessionStep: { session: string; properties: Record<string, string> } });
    expect(steps.map(({ sessionStep }) => [sessionStep.session, sessionStep.properties['workers.requests']])).toEqual([
      ['s1', '2'],
      ['s2', '1'],
    ]);
    // The reports come after every answer and work item.
    const exchanges = w.bus.published.map((message) => message.exchange);
    expect(exchanges.indexOf(names.sessionStepExchange)).toBeGreaterThan(exchanges.lastIndexOf(workerRequestName(names, 'extract')));
  });

  it('loses nothing and fails nothing when the reports cannot be published: the requests are stored, answered and counted', async () => {
    const bus = new ReportRefusingBus();
    const w = await world(bus);
    const report = await registerRequests(
      { messages: [requestMessage({ requestId: 'r1' }), requestMessage({ requestId: 'x', tenant: 'nobody' })], unreadable: [] },
      w,
    );
    expect(report).toMatchObject({ dispatched: 1, unknownTenant: 1 });
    expect(bus.refused).toBe(2);
    expect(bus.to(names.responseExchange).map((message) => decodeJson(message.body))).toEqual([
      expect.objectContaining({ state: 'SKIPPED', requestId: 'x' }),
      expect.objectContaining({ state: 'GRANTED', requestId: 'r1' }),
    ]);
    expect((await w.counters.get('tenant-a', 'owner-1', 'session-1'))?.values['workers.requests']).toBe(1);
    expect(w.logger.warnings).toContain('REGARDS session events or notifications not sent');
  });

  it("notifies a dead-lettered work item's tenant once per batch, counted by type", async () => {
    const w = await world();
    await registerRequests({ messages: [requestMessage({ requestId: 'd1' }), requestMessage({ requestId: 'd2' })], unreadable: [] }, w);
    const items = w.bus.to(workerRequestName(names, 'extract'));
    w.bus.clear();
    await handleWorkerDeadLetters({ messages: items.map((item) => asInbound(item, names.workerDeadLetter)), unreadable: [] }, w);
    const notices = w.bus.to(names.notificationExchange);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.headers[Header.tenant]).toBe('tenant-a');
    expect((decodeJson(notices[0]!.body) as { notification: { message: string } }).notification.message).toContain(
      "'Worker request dead-lettered.' : 2 errors",
    );
  });

  it('notifies a message that could not be decoded as a failed conversion, and one with no tenant only in the logs', async () => {
    const w = await world();
    const unreadable = (tenant: string | undefined, index: number) => {
      const salvaged = requestMessage({ tenant, requestId: `bad-${index}` });
      return { queue: names.requestQueue, vhost: '/', index, reason: 'timestamp out of range', raw: {}, salvaged };
    };
    await deadLetterUnreadable([unreadable('tenant-a', 0), unreadable(undefined, 1)], w, w.logger);
    expect(w.bus.to(names.deadLetterExchange)).toHaveLength(2);
    const notices = w.bus.to(names.notificationExchange);
    expect(notices.map((notice) => notice.headers[Header.tenant])).toEqual(['tenant-a']);
    expect((decodeJson(notices[0]!.body) as { notification: { message: string } }).notification.message).toContain(
      "'Failed AMQP message conversion.' : 1 errors",
    );
  });
});
