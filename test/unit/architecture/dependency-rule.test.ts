import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/*
 * The dependency rule is enforced by the lint (eslint.config.js). What the lint cannot say about
 * itself is that its rules still fire: a renamed folder leaves a files pattern matching nothing, and
 * the rule passes silently. So each case adds one forbidden import to a real file of the layer and
 * expects the lint to refuse it.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

// Only the import rules, and no type information: the cases are about imports, and a type-aware
// parse of the whole project would make this unit test slow.
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => ruleId === 'boundaries/dependencies' || ruleId === 'no-restricted-imports',
});

async function findingsWith(file: string, extraImport: string): Promise<string[]> {
  const text = `${extraImport}\n${readFileSync(join(ROOT, file), 'utf8')}`;
  const [result] = await eslint.lintText(text, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).filter((message) => message.line === 1).map((message) => message.ruleId ?? message.message);
}

const DOMAIN_FILE = 'shared/domain/request/request.ts';

describe('dependency rule (the lint refuses what the architecture forbids)', () => {
  // The first lint loads the config, the plugins and the resolver.
  it('leaves the files as they are alone', async () => {
    expect(await findingsWith(DOMAIN_FILE, '')).toEqual([]);
  }, 60_000);

  for (const folder of ['shared/domain/request/request.ts', 'shared/ports/clock.ts', 'shared/contract/status.ts']) {
    for (const target of ['node:crypto', 'node:fs/promises', '@aws-sdk/lib-dynamodb', '@middy/core', 'amqplib', 'aws-cdk-lib', 'constructs', 'dynalite']) {
      it(`${folder.split('/')[1]} may not import ${target}`, async () => {
        expect(await findingsWith(folder, `import '${target}';`)).toEqual(['no-restricted-imports']);
      });
    }
  }

  for (const file of ['shared/kernel/errors.ts', 'shared/application/services/liveness.ts']) {
    it(`${file.split('/')[1]} may not do I/O or import an SDK`, async () => {
      expect(await findingsWith(file, "import 'node:fs';")).toEqual(['no-restricted-imports']);
      expect(await findingsWith(file, "import '@aws-sdk/client-dynamodb';")).toEqual(['no-restricted-imports']);
    });
  }

  it('a layer may not import one to its right', async () => {
    expect(await findingsWith(DOMAIN_FILE, "import '../../adapters/dynamodb/client.js';")).toEqual(['boundaries/dependencies']);
    expect(await findingsWith(DOMAIN_FILE, "import '../../lambda/env.js';")).toEqual(['boundaries/dependencies']);
    expect(await findingsWith('shared/kernel/errors.ts', "import '../contract/status.js';")).toEqual(['boundaries/dependencies']);
    expect(await findingsWith('functions/sweep/handler.ts', "import '../../infra/local/main.js';")).toEqual(['boundaries/dependencies']);
  });

  it('a layer may import the ones to its left', async () => {
    expect(await findingsWith('functions/sweep/handler.ts', "import '../../shared/kernel/errors.js';")).toEqual([]);
    expect(await findingsWith(DOMAIN_FILE, "import '../../contract/status.js';")).toEqual([]);
  });

  it('the worker SDK may not import the manager (adapters, domain, application, lambda)', async () => {
    const targets = [
      '../../domain/request/request.js',
      '../../application/services/liveness.js',
      '../../lambda/env.js',
      '../../adapters/rabbitmq/amqp-message-bus.js',
    ];
    for (const target of targets) {
      expect(await findingsWith('shared/worker-sdk/src/index.ts', `import '${target}';`), target).toEqual(['boundaries/dependencies']);
    }
    expect(await findingsWith('shared/worker-sdk/src/worker.ts', "import '../../amqp-kit/connection.js';")).toEqual([]);
  });

  it('the dashboard (a browser page) may import the wire contract only', async () => {
    const file = 'infra/dashboard/src/api.ts';
    const targets = [
      '../../../shared/domain/request/request.js',
      '../../../shared/adapters/dynamodb/client.js',
      '../../../functions/admin-api/schema.js',
      '../../local/main.js',
    ];
    for (const target of targets) {
      expect(await findingsWith(file, `import '${target}';`), target).toEqual(['boundaries/dependencies']);
    }
    expect(await findingsWith(file, "import '../../../shared/contract/status.js';")).toEqual([]);
  });

  it('a handler reaches the store and the broker only through use cases and shared/lambda', async () => {
    for (const target of ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', 'amqplib']) {
      expect(await findingsWith('functions/sweep/handler.ts', `import '${target}';`), target).toEqual(['no-restricted-imports']);
    }
  });
});
