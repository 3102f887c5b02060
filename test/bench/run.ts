import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { ManagerSettingsSchema } from '../../shared/contract/manager-settings.js';
import { measureBundles } from './bundles.js';
import { round, type PhasePlan } from './load.js';
import { BODY_KINDS } from './bodies.js';
import { benchOurs, type OursResult, type ProfileBody, type StoreKind, type Workflow } from './ours.js';
import { benchBullmq, benchLimit, type CommonOptions, type ScenarioResult } from './peers.js';
import { AWS_ASSUMPTIONS, projectCost, projectFunction } from './projection.js';
import { renderMarkdown, type BenchResults } from './report.js';

/*
 * `npm run bench [-- --requests N --body BYTES --only a,b --shards 1,2,4 --out DIR --no-bundles --no-profile]`:
 * every scenario one after another in one sitting, each bounded by counts and deadlines, the
 * whole run by a time budget; writes results/latest.json and results/latest.md (the README's table).
 * Scenarios: limit, bullmq, memory-single, memory-two, embedded-single, embedded-two.
 * `--shards 1,2,4`: embedded-single once per shard count (`settings.shards`), named
 * `ours-embedded-single-<n>-shards` past 1, with the ratio of each to one shard.
 */

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}
function text(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
/** Written as the repository's Prettier settings format it, so `npm run lint` passes on the committed results. */
async function writeFormatted(file: string, content: string): Promise<void> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(content, { ...options, filepath: file }));
}

function packageVersion(name: string): string {
  try {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const ALL = ['limit', 'bullmq', 'memory-single', 'memory-two', 'embedded-single', 'embedded-two'] as const;
const only = text('only')?.split(',') ?? [...ALL];
const unknown = only.filter((name) => !(ALL as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${ALL.join(', ')}`);
  process.exit(2);
}

const requests = option('requests', 4000);
const bodyBytes = option('body', 512);
const budgetMs = option('budget-seconds', 480) * 1000;
const plan: PhasePlan = {
  requests,
  pacedSeconds: option('paced-seconds', 8),
  fullSeconds: option('full-seconds', 15),
  warmup: Math.min(300, requests),
  phaseTimeoutMs: option('phase-timeout', 90) * 1000,
  equalRate: 300,
};
const log = (line: string) => console.log(line);
const common: CommonOptions = {
  plan,
  bodyBytes,
  workers: 4,
  log,
  quiet: { maxPercent: option('quiet-percent', 30), maxWaitMs: option('quiet-wait', 10) * 1000 },
};
const profileRequests = option('profile-requests', Math.min(500, requests));
const shardCounts = (text('shards') ?? '1').split(',').map((count) => {
  const value = Number(count);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--shards takes shard counts such as 1,2,4; got "${count}"`);
  return value;
});

const started = Date.now();
const scenarios: (ScenarioResult | OursResult)[] = [];
const skipped: string[] = [];
for (const name of only) {
  if (Date.now() - started > budgetMs) {
    skipped.push(name);
    continue;
  }
  log(`# ${name}`);
  try {
    if (name === 'limit') scenarios.push(await benchLimit(common));
    else if (name === 'bullmq') scenarios.push(await benchBullmq(common));
    else {
      const [store, workflow] = name.split('-') as [StoreKind, Workflow];
      // The write units depend on how the body deflates: the metered single-step profile takes both kinds at both sizes.
      const metered: ProfileBody[] = BODY_KINDS.flatMap((kind) => [1024, 10 * 1024].map((bytes) => ({ bytes, kind })));
      const bodies = flag('no-profile') ? [] : store === 'embedded' && workflow === 'single' ? metered : [{ bytes: 1024, kind: 'json' as const }];
      const profile = bodies.length === 0 ? false : { requests: profileRequests, bodies };
      for (const shards of name === 'embedded-single' ? shardCounts : [1]) {
        // The profile is of the unsharded path; the other counts are measured for throughput only.
        scenarios.push(await benchOurs(store, workflow, { ...common, shards, profile: shards === 1 ? profile : false }));
      }
    }
  } catch (error) {
    console.error(`# ${name} failed:`, error);
    skipped.push(`${name} (failed: ${error instanceof Error ? error.message : String(error)})`);
  }
}

const byName = new Map(scenarios.map((s) => [s.name, s]));
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? round(a / b, 3) : null);
const full = (name: string) => byName.get(name)?.full.throughput;
const ours = (name: string) => byName.get(name) as OursResult | undefined;
const ratios = [
  ...shardCounts
    .filter((shards) => shards !== 1)
    .map((shards) => ({
      name: `ours (embedded store, single-step) ${shards} shards / 1 shard`,
      value: ratio(full(`ours-embedded-single-${shards}-shards`), full('ours-embedded-single')),
      meaning: 'sharded request and response queues, one emulator each, on the same store: the store is the bound that remains',
    })),
  {
    name: 'ours (memory store, single-step) / limit',
    value: ratio(full('ours-memory-single'), full('limit')),
    meaning: 'our handlers and event-source emulator against the same 4-queue path relayed by amqplib alone',
  },
  {
    name: 'ours (memory store, two-step) / limit',
    value: ratio(full('ours-memory-two'), full('limit')),
    meaning: 'a two-step request crosses the worker queues twice: the limit is per request, so ~0.5 is the shape',
  },
  {
    name: 'ours (memory store, single-step) / BullMQ',
    value: ratio(full('ours-memory-single'), full('bullmq')),
    meaning: 'BullMQ: one hop, Redis as the machine runs it',
  },
  {
    name: 'ours (embedded store, single-step) / BullMQ',
    value: ratio(full('ours-embedded-single'), full('bullmq')),
    meaning: 'with the store `npm start` embeds',
  },
  {
    name: 'ours (embedded store, single-step) / store-bound ceiling',
    value: ratio(full('ours-embedded-single'), ours('ours-embedded-single')?.storeBoundCeiling),
    meaning: `ceiling = the embedded store's own conditional put rate (${ours('ours-embedded-single')?.storePutPerSecond ?? 'n/a'}/s) / store calls per request (${ours('ours-embedded-single')?.storeCallsPerRequest ?? 'n/a'})`,
  },
  {
    name: 'ours (embedded store, two-step) / store-bound ceiling',
    value: ratio(full('ours-embedded-two'), ours('ours-embedded-two')?.storeBoundCeiling),
    meaning: `ceiling = ${ours('ours-embedded-two')?.storePutPerSecond ?? 'n/a'}/s / ${ours('ours-embedded-two')?.storeCallsPerRequest ?? 'n/a'} calls per request`,
  },
];

const settings = ManagerSettingsSchema.parse({});
const batchSizes = {
  'register-requests': settings.mappings.registerRequests.batchSize,
  'handle-worker-responses': settings.mappings.handleWorkerResponses.batchSize,
};
const embeddedProfiles = scenarios.flatMap((s) => ('profiles' in s ? s.profiles : [])).filter((p) => p.store === 'embedded');
const projection =
  embeddedProfiles.length === 0
    ? null
    : {
        functions: embeddedProfiles
          .filter((p) => p.bodyBytes === 1024 && p.bodyKind === 'json')
          .flatMap((p) =>
            [AWS_ASSUMPTIONS.memoryMb, AWS_ASSUMPTIONS.fullVcpuAtMb].flatMap((memoryMb) =>
              Object.entries(p.functions).map(([fn, figures]) => ({
                workflow: p.workflow,
                ...projectFunction(fn, figures, batchSizes[fn as keyof typeof batchSizes] ?? 100, settings.storeConcurrency, memoryMb),
              })),
            ),
          ),
        costs: embeddedProfiles.filter((p) => p.workflow === 'single').map((p) => projectCost(p, batchSizes, settings.storeConcurrency)),
      };

let bundles: BenchResults['bundles'] = null;
if (!flag('no-bundles')) {
  log('# bundles');
  bundles = await measureBundles();
  for (const b of bundles) log(`  ${b.fn}: ${(b.bytes / 1024).toFixed(1)} KiB, cold import ${b.coldImportMs} ms`);
}

const results: BenchResults = {
  startedAt: new Date(started).toISOString(),
  machine: {
    cpus: availableParallelism(),
    model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    load: loadavg()
      .map((n) => n.toFixed(2))
      .join(' '),
    versions: Object.fromEntries(['amqplib', 'bullmq', 'ioredis', 'dynalite', '@aws-sdk/lib-dynamodb', 'esbuild'].map((name) => [name, packageVersion(name)])),
  },
  options: { requests, bodyBytes, workers: common.workers, equalRate: plan.equalRate, pacedSeconds: plan.pacedSeconds },
  scenarios,
  ratios,
  projection,
  bundles,
  skipped,
  seconds: round((Date.now() - started) / 1000),
};
const outDir = text('out') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(outDir, { recursive: true });
await writeFormatted(path.join(outDir, 'latest.json'), JSON.stringify(results, null, 2));
const markdown = renderMarkdown(results);
await writeFormatted(path.join(outDir, 'latest.md'), markdown);
log(`\n${markdown}`);
log(`# wrote ${path.join(outDir, 'latest.json')} and latest.md in ${results.seconds} s`);
process.exit(0);
