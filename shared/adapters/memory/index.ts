export { MemoryConfigStore } from './memory-config-store.js';
export { MemoryCounterStore } from './memory-counter-store.js';
export { MemoryRequestStore } from './memory-request-store.js';
export { MemoryWorkerRegistry, MemoryWorkerState } from './memory-worker-registry.js';
export { MemoryMessageBus } from './memory-message-bus.js';
export { MemoryJobStore } from './memory-job-store.js';
export { MemoryJobLauncher } from './memory-job-launcher.js';
export { MemoryDeadLetters } from './memory-dead-letters.js';
export { MemoryQueueDepths } from './memory-queue-depths.js';
