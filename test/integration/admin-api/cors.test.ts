import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../../shared/lambda/auth.js';
import { startHarness, type HostHarness } from '../../support/host-harness.js';

/* Cross-origin access through the local host's HTTP server: only the origins an operator listed. */

const SECRET = 'cors-test-secret-of-at-least-thirty-two-chars';
const DASHBOARD = 'http://127.0.0.1:5173';

describe('admin API cross-origin access', () => {
  let h: HostHarness;
  let url: string;

  beforeAll(async () => {
    h = await startHarness('admin-api-cors', { only: [], http: { port: 0, auth: { secret: SECRET }, corsOrigins: [DASHBOARD] } });
    url = h.host.adminApi?.url ?? '';
  });

  afterAll(async () => {
    await h?.close();
  });

  it('answers the preflight of a listed origin without a token', async () => {
    const response = await fetch(`${url}/workers`, { method: 'OPTIONS', headers: { Origin: DASHBOARD, 'Access-Control-Request-Method': 'GET' } });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(response.headers.get('access-control-allow-headers')).toContain('Authorization');
  });

  it('lets a listed origin read an answer, and gives another origin nothing', async () => {
    const token = signToken(SECRET, { tenant: 'tenant-a', role: 'EXPLOIT' });
    const allowed = await fetch(`${url}/workers`, { headers: { Origin: DASHBOARD, Authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    const other = await fetch(`${url}/workers`, { headers: { Origin: 'https://evil.example', Authorization: `Bearer ${token}` } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${url}/workers`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});
