import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { signToken } from '../../shared/lambda/auth.js';
import { apiCall, TEST_JWT_SECRET, tokenFor, type ApiAnswer, type CallOptions } from '../support/admin-api-client.js';
import { startHarness, type HostHarness } from '../support/host-harness.js';
import { makeRequest } from '../support/store-contract/requests.js';
import { ResultBook } from './support/results.js';
import { FAULTS_LONG, FAULTS_SEED, Random } from './support/seed.js';

/*
 * The admin API against forged tokens and across tenants, on every route its OpenAPI document
 * lists (so a new route is covered without editing this file): seeded token mutations must get
 * 401 (403 for a well-signed token with odd claims), never a 5xx or a stack trace; a tenant admin
 * of A never reads or changes B. test/integration/admin-api covers the fixed cases; this adds the
 * random ones and the whole route list.
 */

const book = new ResultBook('admin-tokens');
const A = 'fuzz-tenant-a';
const B = 'fuzz-tenant-b';
let h: HostHarness;
let routes: { method: string; path: string; role: string }[] = [];
const STACK = /\bat [^\n]*\.(?:ts|js|mjs):\d+|node_modules|\/work\//;

const call = (method: string, path: string, options: CallOptions = {}) => apiCall(h, method, path, options);
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const hmac = (input: string, secret = TEST_JWT_SECRET) => createHmac('sha256', secret).update(input).digest('base64url');

function concrete(path: string, tenantLetter: 'a' | 'b'): string {
  return path
    .replace('{requestId}', `fz-${tenantLetter}-1`)
    .replace('{name}', 'skipContentTypes')
    .replace(/\{[^}]+\}/g, 'fuzz-unknown');
}

function bodyFor(method: string): CallOptions {
  return method === 'GET' ? {} : { body: { source: 'nobody-matches' } };
}

beforeAll(async () => {
  h = await startHarness('f-tokens', { only: [], http: { port: 0, auth: { secret: TEST_JWT_SECRET } } });
  for (const tenant of [A, B]) {
    const imported = await call('PUT', '/configuration/native', {
      token: tokenFor(tenant, 'PROJECT_ADMIN'),
      body: { format: 'worker-manager/v1', resetBeforeImport: true, workers: [{ workerType: `wt-${tenant}`, contentTypeInputs: [`ct-${tenant}`] }] },
    });
    expect(imported.status).toBe(200);
  }
  h.rabbit.trackWorkerType(`wt-${A}`);
  h.rabbit.trackWorkerType(`wt-${B}`);
  await h.services.requests.insertAll(
    [A, B].flatMap((tenant) => {
      const letter = tenant === A ? 'a' : 'b';
      return [
        makeRequest(tenant, `fz-${letter}-1`, { status: 'ERROR', error: 'boom', contentType: `ct-${tenant}`, creationDate: '2026-01-01T00:00:01.000Z' }),
        makeRequest(tenant, `fz-${letter}-2`, {
          status: 'NO_WORKER_AVAILABLE',
          dispatchedWorkerType: null,
          contentType: `ct-${tenant}`,
          creationDate: '2026-01-01T00:00:02.000Z',
        }),
      ];
    }),
  );
  const document = await call('GET', '/openapi.json');
  const paths = document.body.paths as Record<string, Record<string, { 'x-required-role': string }>>;
  routes = Object.entries(paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, operation]) => operation['x-required-role'] !== 'none')
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, role: operation['x-required-role'] })),
  );
});

afterAll(async () => {
  book.write();
  await h?.close();
});

/**
 * What a mutated token must get: `refused` 401 (431 when the header is too big for the HTTP
 * server), `odd` 401 or 403 (well signed, claims the server must not trust), `valid` anything
 * below 500 (well signed, the mutation is in a part the server rightly ignores, e.g. a `jku` header).
 */
type Expectation = 'refused' | 'odd' | 'valid';

/** A forged or broken token and what it must get. */
function mutant(random: Random): { token: string; label: string; expect: Expectation } {
  const now = Math.floor(Date.now() / 1000);
  const claims = { tenant: A, role: 'PROJECT_ADMIN', sub: 'fuzz', exp: now + 600 };
  const valid = signToken(TEST_JWT_SECRET, claims);
  const [header, payload, signature] = valid.split('.') as [string, string, string];
  const signed = (h: unknown, p: unknown) => {
    const input = `${b64(h)}.${b64(p)}`;
    return `${input}.${hmac(input)}`;
  };
  const choice = random.int(0, 15);
  switch (choice) {
    case 0: {
      const alg = random.pick<unknown>([
        'none',
        'None',
        'NONE',
        'nOnE',
        '',
        null,
        256,
        {},
        ['HS256'],
        'HS256 ',
        'hs256',
        'RS256',
        'ES256',
        'PS256',
        'EdDSA',
        'HS384',
        'HS512',
        'x'.repeat(5_000),
        '\u0000',
        '💥',
      ]);
      const unsigned = `${b64({ alg, typ: 'JWT' })}.${payload}`;
      const sig = random.pick(['', signature, hmac(unsigned), random.bytes(32).toString('base64url')]);
      return { token: `${unsigned}.${sig}`, label: `alg ${JSON.stringify(alg).slice(0, 20)}`, expect: 'refused' };
    }
    case 1: {
      const extra = random.pick<Record<string, unknown>>([
        { kid: '../../../../etc/passwd' },
        { jku: 'http://127.0.0.1:1/jwks.json' },
        { x5u: 'http://127.0.0.1:1/cert' },
        { jwk: { kty: 'oct', k: b64('attacker-secret-attacker-secret!!') } },
        { crit: ['exp'] },
        { b64: false, crit: ['b64'] },
        { typ: 'at+jwt', cty: 'JWT' },
      ]);
      // Signed with the real secret over a changed header: only a server reading the extras would differ.
      const token = signed({ alg: 'HS256', typ: 'JWT', ...extra }, claims);
      return { token, label: `header ${Object.keys(extra).join('+')}`, expect: 'crit' in extra ? 'odd' : 'valid' };
    }
    case 2: {
      const chars = [...signature];
      // Not the last character: its two low bits are base64 padding, so some changes there decode
      // to the same signature bytes (the token is then genuinely the signed one).
      const at = random.int(0, chars.length - 2);
      chars[at] = chars[at] === 'A' ? 'B' : 'A';
      return { token: `${header}.${payload}.${chars.join('')}`, label: 'signature: one character changed', expect: 'refused' };
    }
    case 3:
      return { token: `${header}.${payload}.${signature.slice(0, random.int(0, signature.length - 1))}`, label: 'signature: truncated', expect: 'refused' };
    case 4:
      return { token: `${header}.${payload}.${'A'.repeat(random.int(100, 60_000))}`, label: 'signature: huge', expect: 'refused' };
    case 5: {
      const forged = { ...claims, tenant: random.pick([B, '*', '', null]), role: random.pick(['INSTANCE_ADMIN', 'PROJECT_ADMIN']) };
      return { token: `${header}.${b64(forged)}.${signature}`, label: 'claims changed, signature kept', expect: 'refused' };
    }
    case 6: {
      const secret = random.pick(['', 'secret', 'another-secret-of-at-least-32-characters', TEST_JWT_SECRET.toUpperCase()]);
      const input = `${header}.${payload}`;
      return { token: `${input}.${hmac(input, secret)}`, label: 'signed with another secret', expect: 'refused' };
    }
    case 7: {
      const shape = random.pick([
        '',
        '.',
        '..',
        '...',
        header,
        `${header}.${payload}`,
        `${valid}.${signature}`,
        ` ${valid}`,
        `${valid} `,
        `${valid}\n`,
        `${header}==.${payload}.${signature}`,
      ]);
      // Whitespace around a valid token is trimmed by the HTTP layer: either answer is right.
      return { token: shape, label: 'structure', expect: shape.trim() === valid ? 'valid' : 'refused' };
    }
    case 8: {
      const body = random.pick<unknown>(['not json', '[]', '1', 'null', '{"tenant":', { ...claims, exp: 'tomorrow' }]);
      const input = `${header}.${typeof body === 'string' ? b64(body) : b64(body)}`;
      return { token: `${input}.${hmac(input)}`, label: 'payload not a claims object', expect: 'refused' };
    }
    case 9:
      return { token: signToken(TEST_JWT_SECRET, { ...claims, exp: now - random.int(1, 10_000_000) }), label: 'expired', expect: 'refused' };
    case 10:
      return { token: signed({ alg: 'HS256', typ: 'JWT' }, { ...claims, nbf: now + random.int(600, 100_000) }), label: 'not yet valid', expect: 'refused' };
    case 11: {
      const exp = random.pick<unknown>([1e308, -1, 0, '9999999999', null, [now + 600], { value: now + 600 }]);
      return {
        token: signed({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp }),
        label: `exp ${JSON.stringify(exp)}`,
        expect: exp === 1e308 ? 'valid' : 'refused',
      };
    }
    case 12: {
      const { exp: _dropped, ...withoutExp } = claims;
      return { token: signed({ alg: 'HS256', typ: 'JWT' }, withoutExp), label: 'no exp', expect: 'refused' };
    }
    case 13: {
      const role = random.pick<unknown>(['ROOT', 'instance_admin', '', 7, null, ['INSTANCE_ADMIN'], 'INSTANCE_ADMIN\u0000', 'x'.repeat(10_000)]);
      return { token: signed({ alg: 'HS256', typ: 'JWT' }, { ...claims, role }), label: `role ${JSON.stringify(role).slice(0, 20)}`, expect: 'odd' };
    }
    case 14: {
      const tenant = random.pick<unknown>(['', 5, ['a'], { t: 1 }, B.toUpperCase(), `${A}\u0000`, '../fuzz-tenant-b', 'x'.repeat(10_000)]);
      return {
        token: signed({ alg: 'HS256', typ: 'JWT' }, { ...claims, tenant }),
        label: `tenant ${JSON.stringify(tenant).slice(0, 20)}`,
        expect: typeof tenant === 'string' && tenant !== '' ? 'valid' : 'odd',
      };
    }
    default: {
      const bytes = random.bytes(random.int(1, 400)).toString(random.pick(['base64url', 'base64', 'latin1'] as const));
      return { token: bytes, label: 'random bytes', expect: 'refused' };
    }
  }
}

describe('token fuzzing on every admin route', () => {
  it(`answers 401 (403 for odd but well-signed claims), never 5xx or a stack trace, to seeded token mutations (seed ${FAULTS_SEED})`, async () => {
    const random = new Random(FAULTS_SEED);
    const count = FAULTS_LONG ? 3_000 : 300;
    const byLabel: Record<string, Record<string, number>> = {};
    const problems: string[] = [];
    let notSent = 0;
    const schemes = ['Bearer', 'bearer', 'BEARER', 'Basic', '', 'Bearer  '];
    for (let n = 0; n < count; n += 1) {
      const { token, label, expect: expectation } = mutant(random);
      const route = random.pick(routes);
      const scheme = random.chance(0.85) ? 'Bearer' : random.pick(schemes);
      let answer: ApiAnswer;
      try {
        answer = await call(route.method, concrete(route.path, 'a'), {
          ...bodyFor(route.method),
          headers: { authorization: scheme === '' ? token : `${scheme} ${token}` },
        });
      } catch (error) {
        // A header value fetch itself refuses (a control character) never reaches the server.
        if (error instanceof TypeError) {
          notSent += 1;
          continue;
        }
        throw error;
      }
      const counts = (byLabel[label.replace(/ .*/, '')] ??= {});
      counts[answer.status] = (counts[answer.status] ?? 0) + 1;
      const bearer = scheme.toLowerCase().trim() === 'bearer';
      const fine =
        answer.status === 401 ||
        (answer.status === 431 && token.length > 16_000) ||
        (bearer && expectation === 'odd' && answer.status === 403) ||
        (bearer && expectation === 'valid' && answer.status < 500);
      if (!fine || STACK.test(answer.text)) {
        problems.push(`${label} (${scheme}) on ${route.method} ${route.path}: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
    book.add({
      scenario: 'token fuzzing',
      notSentByTheHttpClient: notSent,
      seed: FAULTS_SEED,
      tokens: count,
      routes: routes.length,
      statusesByMutation: byLabel,
      problems: problems.slice(0, 10),
    });
    expect(problems).toEqual([]);
  });
});

describe('tenant matrix over every admin route', () => {
  it('a tenant admin of A never reads or changes tenant B, whatever the route, header or query says', async () => {
    const adminA = tokenFor(A, 'PROJECT_ADMIN');
    const configB = (await call('GET', '/configuration/native', { token: tokenFor(B, 'PROJECT_ADMIN') })).text;
    const settingsB = (await call('GET', '/settings', { token: tokenFor(B, 'PROJECT_ADMIN') })).text;
    const problems: string[] = [];
    const statuses: Record<string, Record<string, number>> = {};
    const note = (how: string, status: number) => {
      const counts = (statuses[how] ??= {});
      counts[status] = (counts[status] ?? 0) + 1;
    };
    for (const route of routes) {
      const where = `${route.method} ${route.path}`;
      const attempts: [string, string, CallOptions][] = [
        ['x-tenant: B', concrete(route.path, 'b'), { ...bodyFor(route.method), token: adminA, headers: { 'x-tenant': B } }],
        ['?tenant=B', `${concrete(route.path, 'b')}${route.path.includes('?') ? '&' : '?'}tenant=${B}`, { ...bodyFor(route.method), token: adminA }],
      ];
      for (const [how, path, options] of attempts) {
        const answer = await call(route.method, path, options);
        note(how, answer.status);
        if (answer.status !== 403) problems.push(`${how} on ${where}: ${answer.status} ${answer.text.slice(0, 150)}`);
      }
      // Naming A in the header and B in the query, or only B's ids in the path: the call acts on
      // A (the header wins) and shows nothing of B. B's own content and worker types are the
      // markers; ids from the path may be echoed ("no request fz-b-1").
      const acting: [string, string, CallOptions][] = [
        [
          'x-tenant: A, ?tenant=B',
          `${concrete(route.path, 'b')}${route.path.includes('?') ? '&' : '?'}tenant=${B}`,
          { ...bodyFor(route.method), token: adminA, headers: { 'x-tenant': A } },
        ],
        ["own tenant, B's ids", concrete(route.path, 'b'), { ...bodyFor(route.method), token: adminA }],
      ];
      for (const [how, path, options] of acting) {
        const answer = await call(route.method, path, options);
        note(how, answer.status);
        if (answer.status >= 500 || answer.text.includes(`ct-${B}`) || answer.text.includes(`wt-${B}`) || STACK.test(answer.text)) {
          problems.push(`${how} on ${where}: ${answer.status} ${answer.text.slice(0, 150)}`);
        }
      }
    }
    await h.host.adminApi?.jobs.idle();
    // B is as it was: its requests, configuration and settings.
    const stillB = await h.services.requests.getAll(B, ['fz-b-1', 'fz-b-2']);
    if (stillB.size !== 2) problems.push(`B lost requests: ${[...stillB.keys()].join(',')}`);
    if ((await call('GET', '/configuration/native', { token: tokenFor(B, 'PROJECT_ADMIN') })).text !== configB) problems.push('B configuration changed');
    if ((await call('GET', '/settings', { token: tokenFor(B, 'PROJECT_ADMIN') })).text !== settingsB) problems.push('B settings changed');
    book.add({ scenario: 'tenant matrix', routes: routes.map((route) => `${route.method} ${route.path}`), statuses, problems });
    expect(routes.length).toBeGreaterThanOrEqual(15);
    expect(problems).toEqual([]);
  });
});
