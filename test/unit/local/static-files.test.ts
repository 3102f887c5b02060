import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnder, resolveInside, serveStatic, type StaticSite } from '../../../infra/local/static-files.js';

/*
 * The dashboard's files at /ui of the local host: content types, caching, and nothing outside
 * the folder whatever the path says (sent raw: fetch would normalise `..` away before sending).
 */

let base: string;
let site: StaticSite;
let server: Server;
let port: number;

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'wm-static-'));
  const root = join(base, 'dist');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>ui</title>');
  await writeFile(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(join(root, 'assets', 'index-abc.css'), 'body{}');
  await writeFile(join(base, 'secret.txt'), 'outside');
  await symlink(join(base, 'secret.txt'), join(root, 'link.txt'));
  site = { prefix: '/ui', directory: root };
  server = createServer((request, response) => void serveStatic(site, request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(base, { recursive: true, force: true });
});

describe('static files of the dashboard', () => {
  it('serves index.html at the folder, and redirects the bare prefix to it', async () => {
    const index = await get('/ui/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(index.body).toContain('<title>ui</title>');
    const bare = await get('/ui?x=1');
    expect(bare.status).toBe(308);
    expect(bare.headers['location']).toBe('/ui/?x=1');
  });

  it('gives each asset its content type and a long cache (Vite names them by hash)', async () => {
    const script = await get('/ui/assets/index-abc.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toContain('immutable');
    expect((await get('/ui/assets/index-abc.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await get('/ui/assets/index-abc.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers 404 for a missing file or a folder, 405 for another method', async () => {
    expect((await get('/ui/nothing.js')).status).toBe(404);
    expect((await get('/ui/assets')).status).toBe(404);
    const post = await get('/ui/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('never leaves the folder: dot segments, encoded ones, encoded slashes, backslashes, NUL, links', async () => {
    for (const path of [
      '/ui/../secret.txt',
      '/ui/assets/../../secret.txt',
      '/ui/%2e%2e/secret.txt',
      '/ui/%2E%2E%2Fsecret.txt',
      '/ui/..%2fsecret.txt',
      '/ui/..%5csecret.txt',
      '/ui/index.html%00.js',
      '/ui/link.txt',
      '/ui/%',
    ]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toContain('outside');
    }
  });

  it('resolves only paths inside the folder', () => {
    expect(resolveInside('/srv/ui', '/assets/a.js')).toBe('/srv/ui/assets/a.js');
    expect(resolveInside('/srv/ui', '/../etc/passwd')).toBeUndefined();
    expect(resolveInside('/srv/ui', '/%2e%2e/etc/passwd')).toBeUndefined();
    expect(isUnder(site, '/ui')).toBe(true);
    expect(isUnder(site, '/ui/x')).toBe(true);
    expect(isUnder(site, '/uix')).toBe(false);
    expect(isUnder(site, '/requests')).toBe(false);
  });

  it('says why when the dashboard is not built', async () => {
    const saved = site;
    site = { prefix: '/ui', directory: undefined, missingReason: 'it is not built (npm run build:dashboard)' };
    try {
      const answer = await get('/ui/');
      expect(answer.status).toBe(503);
      expect(answer.body).toContain('npm run build:dashboard');
    } finally {
      site = saved;
    }
  });
});
