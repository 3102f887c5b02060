import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

/*
 * The dashboard's files under a path prefix of the admin API's server (/ui): GET and HEAD only,
 * a content type per extension, nothing outside the folder (a decoded `..`, an encoded slash or a
 * NUL byte is a 404, as is a folder or a link leading out), long caching for Vite's hashed
 * assets and none for index.html, so a rebuild is seen at the next load.
 */

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** The page talks only to its own origin; no frame may embed it. */
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export interface StaticSite {
  /** e.g. `/ui`, no trailing slash. */
  prefix: string;
  /** The folder served; undefined when there is none (the page says why). */
  directory: string | undefined;
  /** Shown at the prefix when there is no folder. */
  missingReason?: string;
}

export function isUnder(site: StaticSite, pathname: string): boolean {
  return pathname === site.prefix || pathname.startsWith(`${site.prefix}/`);
}

/** The file a URL path names inside `directory`, or undefined when it would leave it. */
export function resolveInside(directory: string, relative: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || /%2f/i.test(relative)) return undefined;
  const root = resolve(directory);
  const file = resolve(root, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  return file === root || file.startsWith(`${root}${sep}`) ? file : undefined;
}

/** A symbolic link inside the folder may point anywhere: the file's real path must stay inside too. */
async function staysInside(directory: string, file: string): Promise<boolean> {
  const [root, real] = await Promise.all([realpath(directory), realpath(file)]);
  return real.startsWith(`${root}${sep}`);
}

function answer(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...SECURITY_HEADERS,
    ...headers,
  });
  response.end(text);
}

export async function serveStatic(site: StaticSite, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return answer(response, 405, 'method not allowed', { Allow: 'GET, HEAD' });
  const url = new URL(request.url ?? '/', 'http://local');
  // The URL parser resolved any dot segment: `/ui/../x` is `/x`, no longer ours.
  if (!isUnder(site, url.pathname)) return answer(response, 404, 'not found');
  // The page's relative asset URLs resolve against a folder: /ui must be /ui/.
  if (url.pathname === site.prefix) return answer(response, 308, '', { Location: `${site.prefix}/${url.search}` });
  if (site.directory === undefined) return answer(response, 503, `The dashboard is not available: ${site.missingReason ?? 'it is not built'}.`);
  const relative = url.pathname.slice(site.prefix.length);
  const file = resolveInside(site.directory, relative === '/' ? '/index.html' : relative);
  const found = file === undefined ? undefined : await stat(file).catch(() => undefined);
  if (file === undefined || found === undefined || !found.isFile() || !(await staysInside(site.directory, file))) return answer(response, 404, 'not found');
  const immutable = relative.startsWith('/assets/');
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(found.size),
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...SECURITY_HEADERS,
  });
  if (method === 'HEAD') {
    response.end();
    return;
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      response.destroy();
      done();
    });
    stream.on('end', done);
    stream.pipe(response);
  });
}
