import path from 'node:path';
import type { BuildOptions } from 'esbuild';

/*
 * How a function is bundled for Lambda, said once: the CDK construct and the LocalStack build
 * both read it, so the code LocalStack runs is the code AWS would run.
 */
export const LAMBDA_BUNDLE = {
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  // Minifying renames classes and functions: nothing may read a name from one at run time. Error
  // classes spell their name out (AppError's abstract `name`), since it is the `error` code of an
  // admin API answer and the errorType in logs; keeping every name cost about 20 KiB a bundle (a
  // __name call per function and class, amqplib's codec included).
  keepNames: false,
  sourcesContent: false,
  // CommonJS dependencies (amqplib) call require(), which an ES module lacks.
  banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
  // The runtime's SDK v3 is used; bundling it would add megabytes to every cold start.
  external: ['@aws-sdk/*'],
} as const;

/**
 * The esbuild options ManagerFunction's NodejsFunction runs with (its ESM format, source map and
 * output name included), for building a bundle outside CDK: the bundle budget test builds with them.
 */
export function lambdaBuildOptions(root: string, folder: string, outdir: string): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: [path.join(root, 'functions', folder, 'handler.ts')],
    outfile: path.join(outdir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: LAMBDA_BUNDLE.target,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    minify: LAMBDA_BUNDLE.minify,
    keepNames: LAMBDA_BUNDLE.keepNames,
    sourcemap: true,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    banner: { js: LAMBDA_BUNDLE.banner },
    external: [...LAMBDA_BUNDLE.external],
    logLevel: 'warning',
  };
}

/**
 * The most bytes each function's index.mjs (its source map apart) may have; bundling.test.ts
 * builds every function and fails past these. 300 KB is the target. What the functions that talk
 * to the broker cannot drop stays over it: zod's classic API (about 100 KiB: every schema carries
 * all its methods and its JSON Schema conversion; only zod/mini is smaller), amqplib (125 KiB,
 * 81 KiB of it the generated AMQP codec) and keepNames. A budget is 5-10 % over the size
 * measured when it was set: growth past it is a dependency pulled in by mistake (zod's locales
 * come back with `import { z } from 'zod'`: 260 KiB) or a choice to make here, not by accident.
 */
export const BUNDLE_BUDGET_BYTES: Readonly<Record<string, number>> = {
  // + jose (JWT), the routes and the OpenAPI document. Measured 447 KB, +8 KB for the REGARDS session
  // events and notifications every BatchEffects flush sends (regards-reports.ts), +10 KB for REGARDS'
  // sorts, partial imports, ignored unknown fields and workflow restarts (issue 15), then -22 KB when
  // our LambdaLogger replaced Powertools' logger: 443 KB; then +7 KB for fair dispatch (an operator's
  // retry is a dispatch and takes a slot: slot-gate.ts, dynamo-slot-store.ts) and +10 KB for cancel
  // (POST /requests/{id}/cancel folds its event through request-events.ts, like worker answers,
  // rather than a second copy of it): 465 KB.
  'admin-api': 480_000,
  'broker-topology': 300_000,
  // 360-370 KB before metrics and REGARDS session events: + Powertools Metrics (about 11 KiB), the
  // metric catalogue with its HELP texts (2 KiB), the session reports and notifications (about
  // 8 KiB), - Powertools' logger (22 KiB): 362-380 KB. admin-api records no metrics.
  'handle-session-deletions': 400_000,
  'handle-worker-dead-letters': 400_000,
  'handle-worker-responses': 400_000,
  'record-heartbeats': 400_000,
  'register-requests': 400_000,
  'run-bulk-jobs': 400_000,
  sweep: 400_000,
};
