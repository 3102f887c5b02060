import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The bundles are minified without keepNames, so a class's run-time name is whatever esbuild renamed
 * it to: an error must spell its name out (AppError's abstract `name`), since that name is the
 * `error` code of an admin API answer and the errorType of a log line. Every error class of the
 * code base is found in its source, so a new one is checked without being listed here.
 */

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SCANNED = ['functions', 'shared', 'infra', 'localstack'];
const NOT_SOURCE = /(^|\/)(node_modules|dist|build|cdk\.out)\//;
const CLASS = /^\s*(?:export\s+)?(abstract\s+)?class\s+(\w+)(?:<[^>{]*>)?\s+extends\s+([\w.]+)/gm;
/** A module that starts its program when imported (infra/local/main.ts): read, never imported. */
const RUNS_ON_IMPORT = /^(?:void\s+)?main\(\)/m;

interface ErrorClass {
  file: string;
  name: string;
  abstract: boolean;
  /** The class's source, from its declaration to the next one. */
  body: string;
}

function sourceFiles(): string[] {
  return SCANNED.flatMap((folder) =>
    readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .map((file) => path.join(folder, file))
      .filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts') && !NOT_SOURCE.test(file)),
  );
}

/** Every class extending Error, directly or through another class found (whatever its name). */
function errorClasses(): ErrorClass[] {
  const declared = sourceFiles().flatMap((file) => {
    const source = readFileSync(path.join(ROOT, file), 'utf8');
    const matches = [...source.matchAll(CLASS)];
    return matches.map((match, i) => ({
      file,
      name: match[2] ?? '',
      abstract: match[1] !== undefined,
      base: (match[3] ?? '').split('.').pop() ?? '',
      body: source.slice(match.index, matches[i + 1]?.index),
    }));
  });
  const errors = new Set(['Error']);
  for (let grown = true; grown;) {
    grown = false;
    for (const candidate of declared) {
      if (!errors.has(candidate.name) && errors.has(candidate.base)) {
        errors.add(candidate.name);
        grown = true;
      }
    }
  }
  return declared.filter((candidate) => errors.has(candidate.name)).map(({ file, name, abstract, body }) => ({ file, name, abstract, body }));
}

const CLASSES = errorClasses();

describe('Error names: every error class names itself, minified or not', () => {
  it('finds the error classes of the code base', () => {
    // The scan must not silently find nothing: these are a few of the 60-odd.
    expect(CLASSES.map((found) => found.name)).toEqual(
      expect.arrayContaining(['AppError', 'BadRequestError', 'StoreUnavailableError', 'PublishRefusedError', 'CorruptItemError', 'ConfigurationRefusedError']),
    );
    expect(CLASSES.length).toBeGreaterThan(50);
  });

  it('gives each concrete error class, constructed, its own class name as its name', async () => {
    const wrong: string[] = [];
    for (const file of [...new Set(CLASSES.map((found) => found.file))]) {
      const concrete = CLASSES.filter((found) => found.file === file && !found.abstract);
      const source = readFileSync(path.join(ROOT, file), 'utf8');
      if (RUNS_ON_IMPORT.test(source)) {
        for (const { name, body } of concrete) {
          if (!body.includes(`readonly name = '${name}'`)) wrong.push(`${file}: ${name} does not declare \`readonly name = '${name}'\``);
        }
        continue;
      }
      const exports = (await import(pathToFileURL(path.join(ROOT, file)).href)) as Record<string, unknown>;
      for (const { name } of concrete) {
        const found = exports[name];
        if (typeof found !== 'function') {
          wrong.push(`${file}: ${name} is not exported, so this test cannot check it`);
          continue;
        }
        // Every constructor here takes a message (or a key, a status) first and tolerates the rest missing.
        const error: unknown = Reflect.construct(found, ['a message']);
        if (!(error instanceof Error)) wrong.push(`${file}: ${name} does not construct an Error`);
        else if (error.name !== name)
          wrong.push(`${file}: ${name} is named '${error.name}' at run time; declare \`public override readonly name = '${name}'\``);
      }
    }
    expect(wrong).toEqual([]);
  });
});
