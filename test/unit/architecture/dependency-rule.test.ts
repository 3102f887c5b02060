import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The dependency rule of the architecture, checked on the source: the domain, the ports and the
 * wire contract stay pure, so they run the same in a Lambda, in the local host and in a unit test.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = join(ROOT, folder, name);
    if (statSync(path).isDirectory()) return sources(relative(ROOT, path));
    return name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((match) => match[1] ?? '');
}

const IO_OR_INFRA = /^(node:|fs$|net$|http$|@aws-sdk\/|@middy\/|amqplib$|aws-cdk-lib|constructs$|dynalite$)/;

describe('dependency rule', () => {
  for (const folder of ['shared/domain', 'shared/ports', 'shared/contract']) {
    it(`${folder} imports no I/O, SDK, middy, amqplib or CDK, and no adapter or Lambda code`, () => {
      const offending = sources(folder).flatMap((file) =>
        importsOf(file)
          .filter((target) => IO_OR_INFRA.test(target) || /\/(adapters|lambda|infra|functions)\//.test(target))
          .map((target) => `${relative(ROOT, file)} -> ${target}`),
      );
      expect(offending).toEqual([]);
    });
  }

  it('handlers reach the domain only through use cases, never adapters directly except in composition', () => {
    const handlers = sources('functions').filter((file) => file.endsWith('handler.ts'));
    expect(handlers.length).toBeGreaterThanOrEqual(7);
    for (const file of handlers) {
      const imports = importsOf(file);
      // A handler composes (lambda/services) and calls a use case; it never talks to a store or the broker itself.
      expect(imports.filter((target) => /@aws-sdk\/(client-dynamodb|lib-dynamodb)|amqplib/.test(target)), relative(ROOT, file)).toEqual([]);
    }
  });
});
