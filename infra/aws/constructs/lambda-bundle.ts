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
  keepNames: true,
  sourcesContent: false,
  // CommonJS dependencies (amqplib) call require(), which an ES module lacks.
  banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
  // The runtime's SDK v3 is used; bundling it would add megabytes to every cold start.
  external: ['@aws-sdk/*'],
} as const;
