import { ManagerSettingsSchema } from '../../shared/contract/manager-settings.js';
import { buildWorkerResponse, type WorkerResponseFields } from '../../shared/contract/worker-response.js';
import type { Request } from '../../shared/domain/request/request.js';
import { handleWorkerResponses } from '../../shared/application/use-cases/handle-worker-responses.js';
import { registerRequests } from '../../shared/application/use-cases/register-requests.js';
import { asInbound, requestMessage, type MemoryWorld } from './use-case-fixtures.js';

/**
 * Plays clients and workers of one tenant against a memory world: submits requests, reads them
 * back, and answers them as a worker would. `current` is read at each call, so a test may swap its world.
 */
export function workerResponseDriver(current: () => MemoryWorld, tenant: string) {
  const names = ManagerSettingsSchema.parse({}).names;
  const deps = () => ({ ...current(), random: () => 0.5 });

  async function submit(requestId: string, contentType: string, body = '{"file":"a"}') {
    await registerRequests({ messages: [requestMessage({ requestId, contentType, body })], unreadable: [] }, deps());
  }

  async function stored(requestId: string): Promise<Request | undefined> {
    return (await current().requests.getAll(tenant, [requestId])).get(requestId);
  }

  function answer(fields: Partial<WorkerResponseFields> & Pick<WorkerResponseFields, 'requestId' | 'status'>) {
    return asInbound(buildWorkerResponse({ exchange: names.workerResponse }, { tenant, ...fields }), names.workerResponse);
  }

  function respond(...messages: ReturnType<typeof answer>[]) {
    return handleWorkerResponses({ messages, unreadable: [] }, deps());
  }

  return { names, deps, submit, stored, answer, respond };
}
