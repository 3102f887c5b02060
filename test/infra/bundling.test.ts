import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/aws/bin/app.js';
import { REPO_ROOT } from '../../infra/aws/constructs/manager-function.js';

/*
 * The one synth with real bundling (local esbuild, no Docker): the dev stateless stack only. The
 * assembly goes under the repository's cdk.out, so that the bundles' external @aws-sdk imports
 * resolve against node_modules when the test imports them, as the Lambda runtime provides them.
 */

const BANNER = "import { createRequire } from 'module';const require = createRequire(import.meta.url);";
/** A bundle past this has pulled in something it should not (the AWS SDK, a second zod). */
const MAX_BUNDLE_BYTES = 1024 * 1024;

const outdir = path.join(REPO_ROOT, 'cdk.out', `infra-test-${process.pid}`);

describe('Bundling: the functions of dev, built by esbuild', () => {
  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
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
    // the six of the MQ side and the schedule, admin-api and run-bulk-jobs
    expect(functions).toHaveLength(8);
    const sizes: Record<string, string> = {};
    for (const [id, fn] of functions) {
      const hash = fn.Properties.Code?.S3Key?.replace(/\.zip$/, '');
      const bundle = path.join(outdir, `asset.${hash}`, 'index.mjs');
      expect(existsSync(bundle), id).toBe(true);
      const bytes = statSync(bundle).size;
      sizes[id.replace(/Function[0-9A-F]{8}$/, '')] = `${(bytes / 1024).toFixed(1)} KiB`;
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith(BANNER), id).toBe(true);
      expect(bytes, id).toBeLessThan(MAX_BUNDLE_BYTES);
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
    console.info(`bundled synth of WorkerManager-dev (both stacks): ${(elapsedMs / 1000).toFixed(1)} s; bundle sizes:`, sizes);
  });
});
