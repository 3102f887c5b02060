import { MemoryWorkerRegistry, MemoryWorkerState } from '../../../shared/adapters/memory/memory-worker-registry.js';
import { describeWorkerRegistryContract } from '../../support/store-contract/worker-registry-contract.js';

describeWorkerRegistryContract('MemoryWorkerRegistry', async () => {
  const state = new MemoryWorkerState();
  return { create: (options) => new MemoryWorkerRegistry(options, state), writes: () => ({ ...state.writes }) };
});
