import { MemoryCounterStore } from '../../../shared/adapters/memory/memory-counter-store.js';
import { describeCounterStoreContract } from '../../support/store-contract/counter-store-contract.js';

describeCounterStoreContract('MemoryCounterStore', () => {
  const store = new MemoryCounterStore();
  return { store, writes: () => store.writes };
});
