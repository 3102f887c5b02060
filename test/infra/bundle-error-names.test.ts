import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { lambdaBuildOptions } from '../../infra/aws/constructs/lambda-bundle.js';
import { REPO_ROOT } from '../../infra/aws/constructs/manager-function.js';

/*
 * The functions are minified without keepNames: a class is renamed in a bundle. Built with the
 * functions' own options, a small entry throws a few of our errors through the admin API's error
 * mapping and reports the `error` code each answer carries, and the name each class has in the bundle.
 */

const outdir = path.join(REPO_ROOT, 'cdk.out', `error-names-${process.pid}`);

const ENTRY = `
import { errorAnswer, BadRequestError, RouteNotFoundError } from './shared/lambda/http/http-errors.js';
import { RequestNotFoundError, RetryRefusedError } from './shared/application/use-cases/use-case-errors.js';
import { StoreUnavailableError } from './shared/ports/request-store.js';
import { PublishRefusedError } from './shared/amqp-kit/confirm-publisher.js';
import { SilentLogger } from './shared/amqp-kit/silent-logger.js';

const thrown = [
  () => { throw new RequestNotFoundError('no such request'); },
  () => { throw new RetryRefusedError('not retryable'); },
  () => { throw new BadRequestError('bad body'); },
  () => { throw new RouteNotFoundError('no route'); },
  () => { throw new StoreUnavailableError('the store is down'); },
];
export const codes = thrown.map((fail) => {
  try { fail(); } catch (error) { return errorAnswer(error, new SilentLogger()).body.error; }
  return 'nothing thrown';
});
export const published = new PublishRefusedError('refused').name;
export const classNames = [RequestNotFoundError.name, PublishRefusedError.name];
`;

describe('Error names in a bundle: minified as the functions are, errors keep their names', () => {
  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it("answers with each error's own name as the admin API's `error` code, though the classes are renamed", async () => {
    // Arrange
    const options = lambdaBuildOptions(REPO_ROOT, 'admin-api', outdir);
    const { entryPoints: _entryPoints, ...withoutEntry } = options;
    // Act
    await build({ ...withoutEntry, sourcemap: false, stdin: { contents: ENTRY, resolveDir: REPO_ROOT, sourcefile: 'error-names-entry.ts', loader: 'ts' } });
    const bundled = (await import(pathToFileURL(options.outfile as string).href)) as { codes: string[]; published: string; classNames: string[] };
    // Assess
    expect(bundled.codes).toEqual(['RequestNotFoundError', 'RetryRefusedError', 'BadRequestError', 'RouteNotFoundError', 'StoreUnavailableError']);
    expect(bundled.published).toBe('PublishRefusedError');
    // The bundle was minified without keepNames: the classes themselves lost their names.
    expect(bundled.classNames).not.toContain('RequestNotFoundError');
    expect(bundled.classNames).not.toContain('PublishRefusedError');
    expect(readFileSync(options.outfile as string, 'utf8')).not.toContain('class RequestNotFoundError');
  });
});
