// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/*
 * One lint for the whole repository: the recommended JavaScript and TypeScript rules, the few
 * type-aware rules that catch real bugs in this code (a promise nobody awaits is a lost message or
 * an unhandled rejection), and the dependency rule of the architecture (ARCHITECTURE.md, section 2):
 *
 *   kernel <- contract <- domain <- ports <- application <- adapters <- lambda <- functions <- infra
 *
 * Each layer may import itself and the layers to its left, never one to its right. The AMQP kit
 * and the worker SDK sit beside that line: they are shipped to workers, so they carry nothing of
 * the manager. localstack deploys and drives everything; tests may import anything.
 */

const CHAIN = ['kernel', 'contract', 'domain', 'ports', 'application', 'adapters', 'lambda', 'functions', 'infra'];

/** The element types a layer of the chain may import: itself and everything to its left. */
const leftOf = (layer) => CHAIN.slice(0, CHAIN.indexOf(layer) + 1);

/** What each element may import, by element type. */
const ALLOWED = {
  ...Object.fromEntries(CHAIN.map((layer) => [layer, leftOf(layer)])),
  // The AMQP kit is I/O: the adapters and everything composed on them may use it, the core may not.
  adapters: [...leftOf('adapters'), 'amqp-kit'],
  lambda: [...leftOf('lambda'), 'amqp-kit'],
  functions: [...leftOf('functions'), 'amqp-kit'],
  // The local demo runs the example workers of the SDK next to the manager.
  infra: [...leftOf('infra'), 'amqp-kit', 'worker-sdk'],
  'amqp-kit': ['kernel', 'contract', 'amqp-kit'],
  'worker-sdk': ['kernel', 'contract', 'amqp-kit', 'worker-sdk'],
  // The web dashboard runs in a browser: it may type itself from the wire contract, nothing more.
  dashboard: ['contract', 'dashboard'],
  localstack: [...CHAIN, 'amqp-kit', 'worker-sdk', 'localstack'],
  test: [...CHAIN, 'amqp-kit', 'worker-sdk', 'localstack', 'dashboard', 'test'],
};

const POLICIES = Object.entries(ALLOWED).map(([type, allowed]) => ({
  from: { element: { type } },
  allow: { to: { element: { types: { anyOf: allowed } } } },
}));

/** Node built-ins that do I/O (or start threads and processes), with and without the `node:` prefix. */
const IO_BUILT_INS = [
  'child_process',
  'cluster',
  'dgram',
  'dns',
  'dns/promises',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'inspector',
  'net',
  'readline',
  'readline/promises',
  'tls',
  'worker_threads',
].flatMap((name) => [name, `node:${name}`]);

/** Packages that talk to AWS, the broker or the CDK, or wrap a Lambda: none belongs in the core. */
const INFRASTRUCTURE_PACKAGES = ['@aws-sdk/*', '@middy/*', 'amqplib', 'aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'dynalite'];

const element = (type, folder) => ({ type, pattern: folder, partialMatch: false });

const noImportsOf = (group, message) => ['error', { patterns: [{ group, message }] }];

export default defineConfig(
  {
    ignores: ['node_modules/', 'cdk.out/', '.data/', 'coverage/', 'dist/', '**/dist/', 'infra/dashboard/.dist-*/', 'localstack/build/', '**/*.d.ts'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `_` marks a parameter a signature needs but the body does not use (tsc's noUnused* rules agree).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests match formatted output (log lines, progress bars) whose columns are two spaces apart;
    // the spaces read as the output does, `{2}` would not.
    files: ['test/**'],
    rules: { 'no-regex-spaces': 'off' },
  },
  {
    // The two plain JavaScript entry points (the `wm` binary and the dynalite thread) and this file run on Node.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },

  // The dependency rule between the layers.
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: './tsconfig.json' } },
      // partialMatch false: a pattern matches the path from the repository root, so
      // test/integration/functions is a test, not the functions layer.
      'boundaries/elements': [
        ...CHAIN.filter((layer) => layer !== 'functions' && layer !== 'infra').map((layer) => element(layer, `shared/${layer}`)),
        element('amqp-kit', 'shared/amqp-kit'),
        element('worker-sdk', 'shared/worker-sdk'),
        element('functions', 'functions'),
        // Before infra, so the dashboard's sources are their own element, not the infra layer.
        element('dashboard', 'infra/dashboard/src'),
        element('infra', 'infra'),
        element('localstack', 'localstack'),
        element('test', 'test'),
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: POLICIES,
        },
      ],
    },
  },
  // The core (kernel, contract, domain, ports, application) runs the same in a Lambda, in the local
  // host and in a unit test: no I/O, no SDK, no broker, no CDK.
  {
    files: ['shared/kernel/**', 'shared/application/**'],
    rules: {
      'no-restricted-imports': noImportsOf(
        [...IO_BUILT_INS, ...INFRASTRUCTURE_PACKAGES],
        'The core does no I/O: take a port (shared/ports) and let an adapter do it.',
      ),
    },
  },
  {
    // The domain, the ports and the wire contract are pure: not even a side-effect-free built-in.
    files: ['shared/contract/**', 'shared/domain/**', 'shared/ports/**'],
    rules: {
      'no-restricted-imports': noImportsOf(
        ['node:*', ...IO_BUILT_INS, ...INFRASTRUCTURE_PACKAGES],
        'The domain, the ports and the contract are pure: no Node built-ins, SDK, broker or CDK.',
      ),
    },
  },
  {
    // A handler composes (shared/lambda) and calls a use case; it never talks to a store or the broker itself.
    files: ['functions/*/handler.ts'],
    rules: {
      'no-restricted-imports': noImportsOf(
        ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', 'amqplib'],
        'A handler reaches the store and the broker through a use case and the services of shared/lambda.',
      ),
    },
  },
);
