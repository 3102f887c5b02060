import { bodyAttributes } from '../../shared/adapters/dynamodb/body-codec.js';
import { benchBody, type BodyKind } from './bodies.js';
import type { BundleFigure } from './bundles.js';
import type { PhaseResult, Percentiles } from './load.js';
import type { OursResult } from './ours.js';
import type { ScenarioResult } from './peers.js';
import { AWS_ASSUMPTIONS, type CostProjection, type FunctionProjection } from './projection.js';

/* The markdown the README shows, from one run's results (latest.json). */

export interface BenchResults {
  startedAt: string;
  machine: { cpus: number; model: string; node: string; load: string; versions: Record<string, string> };
  options: { requests: number; bodyBytes: number; workers: number; equalRate: number; pacedSeconds: number };
  scenarios: (ScenarioResult | OursResult)[];
  ratios: { name: string; value: number | null; meaning: string }[];
  projection: { functions: (FunctionProjection & { workflow: string })[]; costs: CostProjection[] } | null;
  bundles: BundleFigure[] | null;
  skipped: string[];
  seconds: number;
}

const ms = (p: Percentiles | null) => (p === null ? 'n/a' : `${p.p50} / ${p.p95} / ${p.p99}`);
const rate = (phase: PhaseResult) =>
  `${Math.round(phase.throughput).toLocaleString('en-US')} (n=${phase.requests})${phase.timedOut ? ` (${phase.completed}/${phase.requests}, timed out)` : ''}`;

/** Busier than this before a scenario, and the run is said to have shared the machine. */
const QUIET_PERCENT = 15;

function quietness(results: BenchResults): string {
  const busiest = Math.max(0, ...results.scenarios.map((s) => s.quietBefore.busyPercent));
  return busiest <= QUIET_PERCENT
    ? `The machine was quiet before every scenario (at most ${busiest} % CPU busy, the "quiet before" column). Rates move by tens of percent between runs on these shared machines: compare ratios, not absolute rates.`
    : `**This run shared the machine with other work (up to ${busiest} % CPU busy before a scenario, the "quiet before" column): compare ratios, not absolute rates, and re-run on a quiet machine.**`;
}

/** What the body kinds are, and how much of each the store keeps (as body-codec.ts stores them). */
function bodiesNote(sizes: readonly number[]): string {
  const stored = (kind: BodyKind, bytes: number) => Object.values(bodyAttributes('content', benchBody(kind, bytes)))[0]?.length ?? 0;
  const ratios = [...new Set(sizes)].sort((a, b) => a - b).map((bytes) => `${(bytes / stored('json', bytes)).toFixed(1)}× at ${bytes / 1024} KB`);
  return (
    'Bodies: json is a batch of REGARDS-like product descriptors (ids, dates, numbers, coordinates, checksums) from a seeded generator, ' +
    `which the store deflates ${ratios.join(', ')}; random is random bytes, stored as they came (the worst case).`
  );
}

export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  const o = results.options;
  lines.push(
    `Run ${results.startedAt} on ${results.machine.cpus} × ${results.machine.model}, Node ${results.machine.node}, in ${Math.round(results.seconds)} s; ` +
      `full-speed phases of up to ${o.requests.toLocaleString('en-US')} requests (what the warm-up rate carries in 15 s; n in the table), paced phases of ~${o.pacedSeconds} s, ${o.bodyBytes}-byte JSON bodies, ${o.workers} worker instances per worker type, 3 tenants. ` +
      quietness(results),
  );
  const notes = results.scenarios.flatMap((s) => s.notes);
  const versions = Object.entries(results.machine.versions).map(([name, version]) => `${name} ${version}`);
  lines.push('', `Versions: ${[...notes, ...versions].join(', ')}.`);
  lines.push('', '| ratio (full-speed throughput, same run) | value | what it compares |', '|---|---:|---|');
  for (const ratio of results.ratios) lines.push(`| ${ratio.name} | ${ratio.value === null ? 'n/a' : ratio.value.toFixed(2)} | ${ratio.meaning} |`);

  lines.push(
    '',
    `| scenario | full speed req/s | @${o.equalRate}/s: dispatch p50/p95/p99 ms | @${o.equalRate}/s: end to end p50/p95/p99 ms | half speed: rate | half: dispatch ms | half: end to end ms | CPU % full (100 = 1 core) | quiet before |`,
    '|---|---:|---|---|---:|---|---|---|---:|',
  );
  for (const s of results.scenarios) {
    const cpu = Object.entries(s.full.cpu.groups)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      `| ${s.name} | ${rate(s.full)} | ${ms(s.pacedEqual.dispatchMs)} | ${ms(s.pacedEqual.endToEndMs)}${s.pacedEqual.throughput < o.equalRate * 0.95 ? ` (held ${Math.round(s.pacedEqual.throughput)}/s)` : ''} | ${Math.round(s.pacedHalf.targetRate ?? 0)} | ${ms(s.pacedHalf.dispatchMs)} | ${ms(s.pacedHalf.endToEndMs)} | machine ${s.full.cpu.machine}: ${cpu}, other ${s.full.cpu.other} | ${s.quietBefore.busyPercent} % |`,
    );
  }

  const profiles = results.scenarios.flatMap((s) => ('profiles' in s ? s.profiles : []));
  if (profiles.length > 0) {
    lines.push(
      '',
      '| per handler (each alone in the manager process) | messages / batch | CPU ms / message | store calls / request | sequential round trips / batch | write units / request | read units / request |',
      '|---|---:|---:|---|---:|---|---|',
    );
    for (const p of profiles) {
      for (const [fn, f] of Object.entries(p.functions)) {
        const detail = (record: Record<string, number>) =>
          Object.entries(record)
            .map(([k, v]) => `${k} ${v}`)
            .join('; ') || '-';
        lines.push(
          `| ${p.store} ${p.workflow}-step ${p.bodyBytes} B ${p.bodyKind}: ${fn} | ${f.messagesPerInvocation} | ${f.cpuMsPerMessage} | ${p.store === 'memory' ? 'n/a (memory)' : `**${f.storeCallsPerRequestTotal}**: ${detail(f.storeCallsPerRequest)}`} | ${p.store === 'memory' ? 'n/a' : f.roundTripsPerInvocation} | ${p.store === 'memory' ? 'n/a' : `**${f.writeUnitsPerRequestTotal}**: ${detail(f.writeUnitsPerRequest)}`} | ${p.store === 'memory' ? 'n/a' : `**${f.readUnitsPerRequestTotal}**: ${detail(f.readUnitsPerRequest)}`} |`,
        );
      }
    }
  }

  if (results.projection !== null) {
    const a = AWS_ASSUMPTIONS;
    lines.push(
      '',
      `AWS projection (assumptions: DynamoDB ${a.dynamoLatencyMs.low}-${a.dynamoLatencyMs.high} ms per call; Lambda ${a.lambda.architecture}, ` +
        `$${a.lambda.pricePerGbSecond}/GB-s and $${a.lambda.pricePerMillionRequests}/million invocations (${a.lambda.source}); CPU time measured here scaled by ${a.fullVcpuAtMb}/memory below ${a.fullVcpuAtMb} MB (${a.cpuNote}); ` +
        `DynamoDB on-demand $${a.dynamodb.pricePerMillionWriteRequestUnits}/million WRU, $${a.dynamodb.pricePerMillionReadRequestUnits}/million RRU (${a.dynamodb.source}); ${a.eventSource.source}; not counted: ${a.notCounted}):`,
      '',
      '| function (at its default batch size) | CPU ms / batch | sequential store waits / batch | handler ms / batch | requests/s per queue |',
      '|---|---:|---:|---:|---:|',
    );
    for (const f of results.projection.functions) {
      lines.push(
        `| ${f.workflow}-step: ${f.fn} (batch ${f.batchSize}, ${f.memoryMb} MB) | ${f.cpuMsPerBatch} | ${f.storeWaitsPerBatch} | ${f.handlerMsPerBatch.low}–${f.handlerMsPerBatch.high} | ${f.requestsPerSecondPerQueue.low.toLocaleString('en-US')}–${f.requestsPerSecondPerQueue.high.toLocaleString('en-US')} |`,
      );
    }
    lines.push(
      '',
      `| single-step request body | write units / request | read units / request | Lambda $ / million (${a.memoryMb} MB) | DynamoDB writes $ / million | DynamoDB reads $ / million | total $ / million requests |`,
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const c of results.projection.costs) {
      lines.push(
        `| ${c.bodyBytes / 1024} KB ${c.bodyKind} | ${c.writeUnitsPerRequest} | ${c.readUnitsPerRequest} | ${c.lambdaUsdPerMillion} | ${c.dynamoWriteUsdPerMillion} | ${c.dynamoReadUsdPerMillion} | **${c.totalUsdPerMillion}** |`,
      );
    }
    lines.push('', bodiesNote(results.projection.costs.map((c) => c.bodyBytes)));
  }

  if (results.bundles !== null) {
    lines.push('', '| function bundle (esbuild, the CDK construct options) | size | cold import (median of 3 fresh processes) |', '|---|---:|---:|');
    for (const b of results.bundles) lines.push(`| ${b.fn} | ${(b.bytes / 1024).toFixed(1)} KiB | ${b.coldImportMs} ms |`);
  }
  if (results.skipped.length > 0) lines.push('', `Skipped (total time budget): ${results.skipped.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}
