import { beforeEach, describe, expect, it } from 'vitest';
import { listWorkers, WorkerSummarySchema } from '../../../shared/application/use-cases/list-workers.js';
import { bringAlive, configure, memoryWorld, type MemoryWorld } from '../../support/use-case-fixtures.js';

describe('listWorkers', () => {
  let world: MemoryWorld;

  beforeEach(async () => {
    world = memoryWorld();
    await configure(world, 'tenant-a', {
      workers: [
        { workerType: 'extract-worker', contentTypeInputs: ['to-extract', 'to-extract-too'] },
        { workerType: 'sip-worker', contentTypeInputs: ['extracted'] },
        { workerType: 'dead-worker', contentTypeInputs: ['to-bury'] },
      ],
      workflows: [{ workflowType: 'lta-request', steps: [{ stepNumber: 1, workerType: 'extract-worker' }] }],
    });
    await bringAlive(world, 'sip-worker', 's-1');
    await bringAlive(world, 'extract-worker', 'e-1');
    await bringAlive(world, 'extract-worker', 'e-2');
    // Alive but configured in no tenant: REGARDS lists it too.
    await bringAlive(world, 'stray-worker', 'x-1');
  });

  it('lists every alive type with its live instances when no content type is given', async () => {
    const expected = [
      { workerType: 'extract-worker', nbInstance: 2 },
      { workerType: 'sip-worker', nbInstance: 1 },
      { workerType: 'stray-worker', nbInstance: 1 },
    ];
    expect(await listWorkers({ tenant: 'tenant-a' }, world)).toEqual(expected);
    expect(await listWorkers({ tenant: 'tenant-a', contentTypes: [] }, world)).toEqual(expected);
    for (const entry of expected) expect(WorkerSummarySchema.parse(entry)).toEqual(entry);
  });

  it('keeps the alive types the tenant maps the content types to, once each, in the order asked', async () => {
    expect(await listWorkers({ tenant: 'tenant-a', contentTypes: ['extracted', 'to-extract', 'to-extract-too', 'to-bury', 'unknown'] }, world)).toEqual([
      { workerType: 'sip-worker', nbInstance: 1 },
      { workerType: 'extract-worker', nbInstance: 2 },
    ]);
  });

  it('matches no worker type for a workflow type or an unknown content type, nor in another tenant', async () => {
    expect(await listWorkers({ tenant: 'tenant-a', contentTypes: ['lta-request', 'unknown'] }, world)).toEqual([]);
    expect(await listWorkers({ tenant: 'tenant-b', contentTypes: ['to-extract'] }, world)).toEqual([]);
  });

  it('drops instances and types past the expiry', async () => {
    world.clock.advance(30_000);
    await bringAlive(world, 'extract-worker', 'e-2');
    world.clock.advance(30_001);
    expect(await listWorkers({ tenant: 'tenant-a' }, world)).toEqual([{ workerType: 'extract-worker', nbInstance: 1 }]);
  });
});
