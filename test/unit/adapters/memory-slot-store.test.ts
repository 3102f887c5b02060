import { MemoryRequestStore } from '../../../shared/adapters/memory/memory-request-store.js';
import { MemorySlotStore } from '../../../shared/adapters/memory/memory-slot-store.js';
import { describeSlotQueueContract, describeSlotStoreContract } from '../../support/store-contract/slot-store-contract.js';

describeSlotStoreContract('MemorySlotStore', () => new MemorySlotStore());
describeSlotQueueContract('MemoryRequestStore', () => new MemoryRequestStore());
