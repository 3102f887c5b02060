import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { build, type Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/aws/bin/app.js';
import { BUNDLE_BUDGET_BYTES, lambdaBuildOptions } from '../../infra/aws/constructs/lambda-bundle.js';
import { REPO_ROOT } from '../../infra/aws/constructs/manager-function.js';

/*
 * The one synth with real bundling (local esbuild, no Docker): the dev stateless stack only. The
 * assembly goes under the repository's cdk.out, so that the bundles' external @aws-sdk imports
 * resolve against node_modules when the test imports them, as the Lambda runtime provides them.
 */

const BANNER = "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

const outdir = path.join(REPO_ROOT, 'cdk.out', `infra-test-${process.pid}`);
const budgetOutdir = path.join(REPO_ROOT, 'cdk.out', `bundle-budget-${process.pid}`);

/** Every folder of functions/ with a handler: what the stacks deploy, one bundle each. */
const FUNCTION_FOLDERS = readdirSync(path.join(REPO_ROOT, 'functions')).filter((folder) => existsSync(path.join(REPO_ROOT, 'functions', folder, 'handler.ts')));

interface DirectBundle {
  folder: string;
  file: string;
  bytes: number;
  metafile: Metafile;
}

let directBundles: Promise<DirectBundle[]> | undefined;

/** Every function bundled by esbuild with the construct's options, once for the file's tests. */
function bundleDirectly(): Promise<DirectBundle[]> {
  directBundles ??= (async () => {
    const bundles: DirectBundle[] = [];
    // One at a time: the machine's cores are shared.
    for (const folder of FUNCTION_FOLDERS) {
      const options = lambdaBuildOptions(REPO_ROOT, folder, path.join(budgetOutdir, folder));
      const result = await build({ ...options, metafile: true });
      const file = options.outfile as string;
      bundles.push({ folder, file, bytes: statSync(file).size, metafile: result.metafile });
    }
    return bundles;
  })();
  return directBundles;
}

/** The bytes a bundle holds of each package (zod's locales apart) and of the repository's own code, largest first. */
function largestParts(metafile: Metafile, count: number): string {
  const parts = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
      const part = inPackage === undefined ? `${input.split('/')[0] ?? input}/` : input.includes('zod/v4/locales/') ? 'zod locales' : inPackage;
      parts.set(part, (parts.get(part) ?? 0) + bytesInOutput);
    }
  }
  return [...parts]
    .sort(([, a], [, b]) => b - a)
    .slice(0, count)
    .map(([part, bytes]) => `${part} ${kib(bytes)}`)
    .join(', ');
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

interface ColdImport {
  /** The whole import, the runtime's SDK packages it uses included. */
  totalMs: number;
  /** The bundle's own part: its parse and top-level code, the SDK already loaded. */
  bundleMs: number;
}

/**
 * How long a fresh node (source maps on, as the Lambda runtime runs it) takes to import the bundle:
 * first the external SDK packages it imports, then the bundle. Printed, never asserted: the cores are shared.
 */
async function coldImport(file: string, metafile: Metafile): Promise<ColdImport> {
  const externals = [
    ...new Set(Object.values(metafile.outputs).flatMap((output) => output.imports.filter((entry) => entry.external).map((entry) => entry.path))),
  ];
  const script = [
    'const [bundle, ...externals] = process.argv.slice(1);',
    'const t0 = performance.now();',
    'for (const name of externals) await import(name);',
    'const t1 = performance.now();',
    'await import(bundle);',
    'process.stdout.write(JSON.stringify({ totalMs: performance.now() - t0, bundleMs: performance.now() - t1 }));',
  ].join('\n');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--enable-source-maps', '--input-type=module', '-e', script, pathToFileURL(file).href, ...externals],
    {
      cwd: REPO_ROOT,
    },
  );
  return JSON.parse(stdout) as ColdImport;
}

describe('Bundle budgets: every function bundled as the construct does, within its size', () => {
  afterAll(() => {
    rmSync(budgetOutdir, { recursive: true, force: true });
  });

  it('states a budget for each function, and no budget for a function that is gone', () => {
    expect(Object.keys(BUNDLE_BUDGET_BYTES).sort()).toEqual([...FUNCTION_FOLDERS].sort());
  });

  it('keeps every bundle within its budget, with the English messages of zod and none of its other locales', async () => {
    // Act
    const bundles = await bundleDirectly();
    // Assess
    const rows: Record<string, { size: string; budget: string; 'cold import: bundle (with SDK)': string; largest: string }> = {};
    const problems: string[] = [];
    for (const { folder, file, bytes, metafile } of bundles) {
      const budget = BUNDLE_BUDGET_BYTES[folder] ?? 0;
      rows[folder] = {
        size: `${kib(bytes)} (${(bytes / 1000).toFixed(0)} KB)`,
        budget: `${(budget / 1000).toFixed(0)} KB`,
        'cold import: bundle (with SDK)': await coldImport(file, metafile).then(
          ({ bundleMs, totalMs }) => `${bundleMs.toFixed(0)} ms (${totalMs.toFixed(0)} ms)`,
        ),
        largest: largestParts(metafile, 4),
      };
      if (bytes > budget) problems.push(`${folder}: ${bytes} bytes, over its budget of ${budget} (BUNDLE_BUDGET_BYTES, infra/aws/constructs/lambda-bundle.ts)`);
      // What made it into the bundle: the metafile's inputs list every file parsed, tree-shaken or not.
      const inputs = Object.values(metafile.outputs).flatMap((output) =>
        Object.keys(output.inputs).filter((input) => (output.inputs[input]?.bytesInOutput ?? 0) > 0),
      );
      // `import { z } from 'zod'` keeps every locale (260 KiB); `import * as z from 'zod'` lets esbuild drop them.
      const locales = inputs.filter((input) => input.includes('zod/v4/locales/') && !input.endsWith('/en.js'));
      if (locales.length > 0) problems.push(`${folder}: ${locales.length} zod locales besides English; import zod as \`import * as z from 'zod'\``);
      // zod registers English, its default messages, when the first schema is built: the messages the contract tests assert.
      if (!inputs.some((input) => input.endsWith('zod/v4/locales/en.js'))) problems.push(`${folder}: zod's English messages are not in the bundle`);
    }
    console.table(rows);
    expect(problems).toEqual([]);
  });
});

describe('Bundling: the functions of dev, built by esbuild', () => {
  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(budgetOutdir, { recursive: true, force: true });
  });

  it('builds one minified ESM bundle per function, with the require banner, a source map and the SDK left external', async () => {
    // Act
    const started = performance.now();
    const app = buildApp(new App({ outdir, context: { env: 'dev', 'aws:cdk:bundling-stacks': ['WorkerManager-dev-Stateless'] } }));
    const assembly = app.synth();
    const elapsedMs = performance.now() - started;
    // Assess
    const template = assembly.getStackByName('WorkerManager-dev-Stateless').template as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string }; Description?: string }; Metadata?: Record<string, string> }>;
    };
    const functions = Object.entries(template.Resources).filter(
      ([, resource]) =>
        resource.Type === 'AWS::Lambda::Function' &&
        resource.Properties.Description !== undefined &&
        !resource.Properties.Description.startsWith('AWS CDK resource provider'),
    );
    // the six of the MQ side and the schedule, admin-api, run-bulk-jobs and handle-session-deletions
    expect(functions).toHaveLength(9);
    const sizes: Record<string, string> = {};
    const cdkBytes: number[] = [];
    for (const [id, fn] of functions) {
      const hash = fn.Properties.Code?.S3Key?.replace(/\.zip$/, '');
      const bundle = path.join(outdir, `asset.${hash}`, 'index.mjs');
      expect(existsSync(bundle), id).toBe(true);
      const bytes = statSync(bundle).size;
      cdkBytes.push(bytes);
      sizes[id.replace(/Function[0-9A-F]{8}$/, '')] = `${(bytes / 1024).toFixed(1)} KiB`;
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith(BANNER), id).toBe(true);
      expect(existsSync(`${bundle}.map`), id).toBe(true);
      // Minified: no indentation, few lines for hundreds of kilobytes.
      expect(code.split('\n').length, id).toBeLessThan(200);
      // The SDK stays an import of the runtime's copy, never bundled.
      expect(code, id).toMatch(/["']@aws-sdk\/(lib-dynamodb|client-dynamodb|client-secrets-manager)["']/);
      expect(code, id).not.toContain('class DynamoDBClient');
      // admin-api and run-bulk-jobs start bulk-job runs with the runtime's Lambda client.
      if (id.startsWith('AdminApi')) {
        expect(code, id).toMatch(/["']@aws-sdk\/client-lambda["']/);
        expect(code, id).not.toContain('class LambdaClient');
      }
      // It loads as an ES module (CommonJS dependencies included) and exports the handler.
      const module = (await import(pathToFileURL(bundle).href)) as { handler?: unknown };
      expect(typeof module.handler, id).toBe('function');
    }
    // The budget test's bundles are these, byte for byte in size: it builds with the construct's options.
    const direct = await bundleDirectly();
    expect(cdkBytes.sort((a, b) => a - b)).toEqual(direct.map((bundle) => bundle.bytes).sort((a, b) => a - b));
    console.info(`bundled synth of WorkerManager-dev (both stacks): ${(elapsedMs / 1000).toFixed(1)} s; bundle sizes:`, sizes);
  });
});
