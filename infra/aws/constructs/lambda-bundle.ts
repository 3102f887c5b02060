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
 * builds every function and fails past these. 300 KB is the target; only broker-topology meets it.
 * In a function that talks to the broker and the table (register-requests, 338 KB), what stays:
 * amqplib 119 KiB (77 KiB of it defs.js, the generated AMQP codec; CommonJS, kept whole), zod's
 * classic API 98 KiB (core/schemas 25, classic/schemas 14, core/util 13, the JSON Schema
 * conversion 18: every classic schema carries all its methods, toJSONSchema included; only
 * zod/mini is smaller, a rewrite of every schema), our own code 110 KiB and middy 2.5 KiB. Gone:
 * keepNames (20 KB: error classes spell their names out) and Powertools Metrics (15 KB: EmfMetrics
 * writes its EMF lines itself). A budget is 5-10 % over the size measured when it was set: growth
 * past it is a dependency pulled in by mistake (zod's locales come back with
 * `import { z } from 'zod'`: 260 KiB) or a choice to make here, not by accident.
 */
export const BUNDLE_BUDGET_BYTES: Readonly<Record<string, number>> = {
  // + jose (JWT, 19 KiB), the routes, the OpenAPI document and the use cases of the API: our own
  // code is 183 KiB. Measured 438 KB (465 KB with keepNames).
  'admin-api': 465_000,
  // amqplib and zod, with little else: measured 247 KB.
  'broker-topology': 262_000,
  // The queue-fed functions and the sweep, measured 332-361 KB (the metric catalogue with its HELP
  // texts is 2 KiB of it; admin-api records no metrics).
  'handle-session-deletions': 352_000,
  'handle-worker-dead-letters': 372_000,
  'handle-worker-responses': 376_000,
  'record-heartbeats': 360_000,
  'register-requests': 360_000,
  'run-bulk-jobs': 365_000,
  sweep: 384_000,
};
