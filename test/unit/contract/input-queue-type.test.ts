import { describe, expect, it } from 'vitest';
import { DEFAULT_MANAGER_SETTINGS, ManagerSettingsSchema, topologyOptions } from '../../../shared/contract/manager-settings.js';
import { managerTopology } from '../../../shared/contract/topology.js';
import { dedicatedDeadLetterQueue } from '../../../shared/contract/wire-names.js';

// Point 4 of issue 14: the type of the queues the functions consume is a setting.

const names = DEFAULT_MANAGER_SETTINGS.names;
const consumed = [names.requestQueue, names.workerResponse, names.workerDeadLetter, names.heartbeatQueue];

describe('input queue type setting', () => {
  it('defaults to quorum, with the delivery limit, for every queue a function consumes', () => {
    expect(DEFAULT_MANAGER_SETTINGS.inputQueueType).toBe('quorum');
    const { queues } = managerTopology(names, topologyOptions(DEFAULT_MANAGER_SETTINGS));
    for (const name of consumed) {
      const queue = queues.find((candidate) => candidate.name === name);
      expect(queue?.type, name).toBe('quorum');
      expect(queue?.policy?.['delivery-limit'], name).toBe(DEFAULT_MANAGER_SETTINGS.deliveryLimit);
    }
    // without options too (what deadLetterRouteOf and older callers use)
    expect(managerTopology(names).queues.find((queue) => queue.name === names.requestQueue)?.type).toBe('quorum');
  });

  it('declares them classic when set, without x-delivery-limit (a classic queue counts no deliveries), keeping dead-letter routes and the heartbeat TTL', () => {
    const settings = ManagerSettingsSchema.parse({ inputQueueType: 'classic' });
    const { queues } = managerTopology(names, topologyOptions(settings));
    for (const name of consumed) {
      const queue = queues.find((candidate) => candidate.name === name);
      expect(queue?.type, name).toBe('classic');
      expect(queue?.policy, name).not.toHaveProperty('delivery-limit');
    }
    expect(queues.find((queue) => queue.name === names.requestQueue)?.policy).toEqual({
      'dead-letter-exchange': names.deadLetterExchange,
      'dead-letter-routing-key': dedicatedDeadLetterQueue(names.requestQueue),
    });
    expect(queues.find((queue) => queue.name === names.heartbeatQueue)?.policy?.['message-ttl']).toBe(settings.heartbeatExpirySeconds * 1000);
    // the dead-letter queues themselves are classic either way
    expect(queues.find((queue) => queue.name === names.deadLetterQueue)?.type).toBe('classic');
  });

  it('accepts only quorum or classic', () => {
    expect(ManagerSettingsSchema.safeParse({ inputQueueType: 'stream' }).success).toBe(false);
  });
});
