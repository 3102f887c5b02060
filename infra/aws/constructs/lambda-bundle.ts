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
  // Error classes name themselves from their class (AppError: new.target.name), and that name is
  // the `error` code of an admin API answer and the errorType in logs: minifying must not rename it.
  // It costs about 20 KiB a bundle (a __name call per function and class, amqplib's codec included).
  keepNames: true,
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
  // + jose (JWT), the routes and the OpenAPI document. +10 KB (447 to 455 KB measured) for the
  // REGARDS session events and notifications every BatchEffects flush sends (regards-reports.ts).
  // +6 KB (464.5 KB measured) for fair dispatch: an operator's retry is a dispatch, so the admin API
  // takes slots like every other writer of one (slot-gate.ts, dynamo-slot-store.ts, about 7 KiB).
  // +10 KB (474.7 KB measured) for cancel (POST /requests/{id}/cancel), which applies its event
  // through the same folding as worker answers (request-events.ts and the outcomes, about 9 KiB)
  // rather than a second copy of it; a cancel run as a bulk job would cost admin-api nothing.
  'admin-api': 478_000,
  'broker-topology': 300_000,
  // 380 KB until they recorded metrics and sent REGARDS session events: + Powertools Metrics (about
  // 11 KiB), the metric catalogue with its HELP texts (2 KiB) and the session reports and
  // notifications (regards-reports.ts, about 8 KiB). admin-api records no metrics.
  'handle-session-deletions': 410_000,
  'handle-worker-dead-letters': 410_000,
  'handle-worker-responses': 410_000,
  'record-heartbeats': 410_000,
  'register-requests': 410_000,
  'run-bulk-jobs': 410_000,
  // + fair dispatch's fill and reconciliation of the in-flight counters (fill-slots.ts and the slot gate, about 12 KiB).
  sweep: 418_000,
};
