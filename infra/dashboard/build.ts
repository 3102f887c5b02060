import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../shared/kernel/errors.js';

/*
 * The dashboard's build, for everything that needs its files: the local host (`npm start` on a
 * fresh clone), the CDK construct (the bucket's asset at synth) and the browser tests. Built with
 * Vite when the output is missing or older than a source, into a fresh folder renamed into place,
 * so two processes building at once never serve or stage a half-written folder. Synchronous,
 * since a CDK construct cannot wait; the build takes about a second.
 */

export const DASHBOARD_ROOT = fileURLToPath(new URL('.', import.meta.url));
export const DASHBOARD_DIST = join(DASHBOARD_ROOT, 'dist');

const SOURCES = ['index.html', 'vite.config.ts', 'src'];

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

/** Why the build output cannot be used as it is, or undefined when it is current. */
export function staleness(): string | undefined {
  const index = join(DASHBOARD_DIST, 'index.html');
  if (!existsSync(index)) return 'not built';
  const built = statSync(index).mtimeMs;
  return SOURCES.some((source) => newestSource(join(DASHBOARD_ROOT, source)) > built) ? 'older than its sources' : undefined;
}

export class DashboardBuildError extends AppError {
  public override readonly name = 'DashboardBuildError';
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The built dashboard's folder, built first when needed. Throws DashboardBuildError when it cannot
 * be built (vite is a devDependency: an install without dev dependencies has none).
 */
export function ensureDashboardBuilt(): string {
  const reason = staleness();
  if (reason === undefined) return DASHBOARD_DIST;
  let vite: string;
  try {
    // vite's exports name its package.json, not its bin.
    vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  } catch (error) {
    // An older build beats none (an install without dev dependencies, copied with its build).
    if (reason !== 'not built') return DASHBOARD_DIST;
    throw new DashboardBuildError(`the dashboard is ${reason} and vite is not installed (npm ci installs it; then npm run build:dashboard)`, { cause: error });
  }
  const temporary = join(DASHBOARD_ROOT, `.dist-${process.pid}-${Date.now()}`);
  const result = spawnSync(process.execPath, [vite, 'build', DASHBOARD_ROOT, '--outDir', temporary, '--emptyOutDir'], { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    rmSync(temporary, { recursive: true, force: true });
    throw new DashboardBuildError(`vite build of the dashboard failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
  }
  // Another process may have put a build in place meanwhile: either one will do.
  rmSync(DASHBOARD_DIST, { recursive: true, force: true });
  try {
    renameSync(temporary, DASHBOARD_DIST);
  } catch {
    rmSync(temporary, { recursive: true, force: true });
  }
  return DASHBOARD_DIST;
}

// `npm run build:dashboard`: rebuilds whatever the state of the output.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  rmSync(DASHBOARD_DIST, { recursive: true, force: true });
  process.stdout.write(`dashboard built in ${ensureDashboardBuilt()}\n`);
}
