import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { lambdaBuildOptions } from '../../infra/aws/constructs/lambda-bundle.js';
import { REPO_ROOT } from '../../infra/aws/constructs/manager-function.js';
import { round } from './load.js';

/*
 * Each function's bundle as the CDK construct builds it (esbuild with LAMBDA_BUNDLE's options,
 * ESM, the SDK external), its size, and its cold import time: a fresh Node process importing it,
 * the SDK resolved from node_modules as the Lambda runtime provides it. The bundles are written
 * under cdk.out (so that @aws-sdk resolves) and removed afterwards.
 */

export interface BundleFigure {
  fn: string;
  bytes: number;
  /** Median of `runs` fresh processes, each timing `await import(bundle)`. */
  coldImportMs: number;
  coldImportMsRuns: number[];
}

export async function measureBundles(runs = 3): Promise<BundleFigure[]> {
  const outdir = path.join(REPO_ROOT, 'cdk.out', `bench-bundles-${process.pid}`);
  const functions = readdirSync(path.join(REPO_ROOT, 'functions')).filter((name) => existsSync(path.join(REPO_ROOT, 'functions', name, 'handler.ts')));
  const figures: BundleFigure[] = [];
  try {
    for (const fn of functions) {
      const outfile = path.join(outdir, fn, 'index.mjs');
      await build({ ...lambdaBuildOptions(REPO_ROOT, fn, path.dirname(outfile)), logLevel: 'error' });
      const url = pathToFileURL(outfile).href;
      const script = `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now() - t));`;
      const times: number[] = [];
      for (let n = 0; n < runs; n += 1) {
        const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
          cwd: REPO_ROOT,
          env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          timeout: 30_000,
        });
        times.push(Number(out.toString()));
      }
      times.sort((a, b) => a - b);
      figures.push({
        fn,
        bytes: statSync(outfile).size,
        coldImportMs: round(times[Math.floor(times.length / 2)] ?? 0, 1),
        coldImportMsRuns: times.map((t) => round(t, 1)),
      });
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  return figures;
}
