import { sweep, type SweepDeps } from '../../shared/domain/use-cases/sweep.js';
import { defineScheduledFunction } from '../../shared/lambda/scheduled-function.js';
import { servicesFromEnv, type ManagerServices } from '../../shared/lambda/services.js';
import { SweepEnvSchema } from './env.js';

// schedule (EventBridge Scheduler | local schedule emulator) --> (sweep) --> sweep

export type SweepServices = ManagerServices & Required<Pick<SweepDeps, 'progress'>> & Pick<SweepDeps, 'dueHandlers'>;

/**
 * The sweep's dependencies over the shared services. The progress object lives as long as the
 * warm process, so a run resumes where the previous one stopped.
 */
export function sweepServices(services: ManagerServices): SweepServices {
  return { ...services, progress: {} };
}

export const sweepFunction = defineScheduledFunction({
  name: 'sweep',
  envSchema: SweepEnvSchema,
  compose: async (env) => sweepServices(await servicesFromEnv(env, 'sweep')),
  run: sweep,
});

export const handler = sweepFunction.handler;
