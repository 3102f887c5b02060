import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConfigStore } from '../../../shared/adapters/dynamodb/dynamo-config-store.js';
import { DynamoCounterStore } from '../../../shared/adapters/dynamodb/dynamo-counter-store.js';
import { DynamoJobStore } from '../../../shared/adapters/dynamodb/dynamo-job-store.js';
import { DynamoRequestStore } from '../../../shared/adapters/dynamodb/dynamo-request-store.js';
import { DynamoWorkerRegistry } from '../../../shared/adapters/dynamodb/dynamo-worker-registry.js';
import { MemoryJobLauncher } from '../../../shared/adapters/memory/memory-job-launcher.js';
import { MemoryMessageBus } from '../../../shared/adapters/memory/memory-message-bus.js';
import { Liveness } from '../../../shared/application/services/liveness.js';
import { TenantConfigs } from '../../../shared/application/services/tenant-configs.js';
import { sweep, type SweepDeps, type SweepProgress } from '../../../shared/application/use-cases/sweep.js';
import { DEFAULT_MANAGER_SETTINGS } from '../../../shared/contract/manager-settings.js';
import { planImport } from '../../../shared/domain/config/import-config.js';
import { EMPTY_TENANT_CONFIG } from '../../../shared/domain/config/tenant-config.js';
import { CapturingLogger } from '../../support/capturing-logger.js';
import { startDynalite, type DynaliteFixture } from '../../support/dynalite.js';
import { ManualClock } from '../../support/manual-clock.js';
import { recordCommands } from '../../support/store-contract/recording-client.js';

/*
 * The measurement behind "bounded work per run": DynamoDB calls of one sweep run on dynalite, with
 * 30 configured tenants, then with 3,000 more invented ones (what an attacker could register
 * before tenants were declared). The numbers are printed for the README.
 */

let fixture: DynaliteFixture;
const LEGIT = Array.from({ length: 30 }, (_, n) => `project-${String(n).padStart(2, '0')}`);
const INVENTED = Array.from({ length: 3000 }, (_, n) => `invented-${String(n).padStart(4, '0')}`);

beforeAll(async () => {
  fixture = await startDynalite();
}, 60_000);

afterAll(async () => {
  await fixture.close();
});

function services(tableName: string): { deps: SweepDeps; calls: () => number; reset: () => void } {
  const client = fixture.newClient();
  const recorded = recordCommands(client);
  const clock = new ManualClock('2026-03-01T10:00:00.000Z');
  const configStore = new DynamoConfigStore(client, tableName);
  const registry = new DynamoWorkerRegistry(client, tableName);
  const deps: SweepDeps = {
    clock,
    settings: DEFAULT_MANAGER_SETTINGS,
    logger: new CapturingLogger(),
    requests: new DynamoRequestStore(client, tableName),
    counters: new DynamoCounterStore(client, tableName),
    configStore,
    registry,
    tenants: new TenantConfigs(configStore, clock, 0),
    liveness: new Liveness(registry, clock, 0),
    bus: new MemoryMessageBus(),
    bulkJobs: { jobs: new DynamoJobStore(client, tableName), launcher: new MemoryJobLauncher() },
  };
  return { deps, calls: () => recorded.commands().length, reset: recorded.reset };
}

async function seed(deps: SweepDeps, tenants: { configured: readonly string[]; invented: readonly string[] }): Promise<void> {
  const plan = planImport(EMPTY_TENANT_CONFIG, {
    resetBeforeImport: true,
    workers: [
      { workerType: 'extract-worker', contentTypeInputs: ['to-extract'] },
      { workerType: 'sip-worker', contentTypeInputs: ['to-sip'] },
    ],
    workflows: [],
    settings: { skipContentTypes: [] },
  });
  if (!plan.ok) throw new Error('bad configuration');
  for (const tenant of tenants.configured) await deps.configStore.put(tenant, plan.config, null);
  await deps.configStore.registerTenants([...tenants.configured, ...tenants.invented]);
  const now = deps.clock.now();
  // Both worker types alive: every configured tenant's waiting lists are read.
  await deps.registry.record(
    ['extract-worker', 'sip-worker'].map((workerType) => ({ workerType, instanceId: `${workerType}-1`, receivedAt: now, reportedAt: now })),
    now,
  );
}

/** DynamoDB calls of one run and of the next few, the tenants they visit, and the calls of one run with no budget to speak of. */
async function measure(tableName: string, invented: readonly string[]) {
  const { deps, calls, reset } = services(tableName);
  await seed(deps, { configured: LEGIT, invented });
  const progress: SweepProgress = {};
  reset();
  await sweep({ ...deps, progress });
  const firstRun = calls();
  const RUNS = 5;
  let visited = 0;
  const perRun: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    reset();
    visited += (await sweep({ ...deps, progress })).tenantsVisited.due;
    perRun.push(calls());
  }
  const tenants = LEGIT.length + invented.length;
  reset();
  // Every run did this before the budget: one full pass over every tenant.
  await sweep({ ...deps, progress: {}, limits: { queries: 1_000_000 } });
  return {
    tenants,
    firstRun,
    maxCallsPerRun: Math.max(firstRun, ...perRun),
    runsForAFullPass: Math.ceil(tenants / Math.min(tenants, visited / RUNS)),
    unboundedRun: calls(),
  };
}

describe('sweep: DynamoDB calls per run, 30 vs 3,030 tenants', () => {
  it('costs about the same per run whatever the number of tenants; more tenants only take more runs', async () => {
    const small = await measure(await fixture.newTable(), []);
    const large = await measure(await fixture.newTable(), INVENTED);
    console.log(JSON.stringify({ tenants30: small, tenants3030: large }));
    const budget = DEFAULT_MANAGER_SETTINGS.sweepQueryBudget;
    // Reads are bounded by the budget; the registry expiry and the liveness read come on top (bounded by the worker caps).
    expect(small.maxCallsPerRun).toBeLessThanOrEqual(budget + 20);
    expect(large.maxCallsPerRun).toBeLessThanOrEqual(budget + 20);
    expect(large.unboundedRun).toBeGreaterThan(50 * budget);
    expect(large.runsForAFullPass).toBeGreaterThan(small.runsForAFullPass);
  }, 600_000);
});
