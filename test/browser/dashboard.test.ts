import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt } from '../../infra/dashboard/build.js';
import { REGARDS_CONFIG_KEYS } from '../../shared/contract/config-file.js';
import type { Request } from '../../shared/domain/request/request.js';
import { apiCall, TEST_JWT_SECRET, tokenFor } from '../support/admin-api-client.js';
import { eventually, startHarness, type HostHarness } from '../support/host-harness.js';
import { makeRequest } from '../support/store-contract/requests.js';

/*
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a local
 * host on the real broker and dynalite: sign in as an instance administrator naming a tenant,
 * look at the overview, filter the requests, open one, retry it and see its state change, run a
 * bulk retry with its progress bar, import a bad configuration and see each error under its line.
 * Screenshots are kept in test/browser/artifacts/ (gitignored).
 */

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const TENANT = 'tenant-ui';
const WORKER = 'ui-worker';
const CONTENT_TYPE = 'ui-type';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let h: HostHarness;
let profile: string;
let browser: BrowserContext;
let page: Page;
let dashboardUrl: string;

const history = (at: string, status: Request['status'], event: string, messages: string[] = []) => ({
  at,
  event,
  status,
  stepNumber: null,
  workerType: WORKER,
  attempt: 1,
  messages,
});

function seeded(): Request[] {
  const base = Date.parse('2026-03-01T10:00:00.000Z');
  const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
  const common = { contentType: CONTENT_TYPE, stepWorkerType: WORKER, dispatchedWorkerType: WORKER, session: 'night-run' };
  return [
    makeRequest(TENANT, 'ui-failed-1', {
      ...common,
      source: 'ui-source',
      status: 'ERROR',
      error: 'disk full on the worker',
      creationDate: at(0),
      statusDate: at(2),
      history: [history(at(1), 'DISPATCHED', 'dispatched'), history(at(2), 'ERROR', 'worker answered', ['disk full on the worker'])],
    }),
    ...[2, 3, 4].map((i) => makeRequest(TENANT, `ui-failed-${i}`, { ...common, source: 'ui-source', status: 'ERROR', error: 'timeout', creationDate: at(i) })),
    ...[1, 2, 3].map((i) => makeRequest(TENANT, `ui-done-${i}`, { ...common, source: 'ui-source', status: 'SUCCESS', creationDate: at(10 + i) })),
    makeRequest(TENANT, 'ui-other-source', { ...common, source: 'elsewhere', status: 'ERROR', error: 'timeout', creationDate: at(20) }),
    ...Array.from({ length: 12 }, (_, i) =>
      makeRequest(TENANT, `ui-page-${String(i).padStart(2, '0')}`, { ...common, source: 'paging-source', status: 'SUCCESS', creationDate: at(30 + i) }),
    ),
  ];
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function statusOf(requestId: string): Promise<string> {
  const found = await h.services.requests.getAll(TENANT, [requestId]);
  return found.get(requestId)?.status ?? 'MISSING';
}

beforeAll(async () => {
  ensureDashboardBuilt();
  await mkdir(ARTIFACTS, { recursive: true });
  h = await startHarness('browser-dashboard', { only: [], http: { port: 0, auth: { secret: TEST_JWT_SECRET } }, tenants: [TENANT] });
  h.rabbit.trackWorkerType(WORKER);
  const file = {
    microservice: 'rs-worker-manager',
    modules: [
      {
        module: { id: 'workermanager' },
        resetBeforeImport: true,
        configuration: [{ key: REGARDS_CONFIG_KEYS.worker, value: { workerType: WORKER, contentTypeInputs: [CONTENT_TYPE] } }],
      },
    ],
  };
  expect((await apiCall(h, 'POST', '/microservice/configuration', { token: tokenFor(TENANT, 'PROJECT_ADMIN'), body: file })).status).toBe(201);
  const now = new Date();
  await h.services.registry.record([{ workerType: WORKER, instanceId: 'ui-worker-1', receivedAt: now, reportedAt: now }], now);
  await h.services.requests.insertAll(seeded());

  dashboardUrl = `${h.host.adminApi?.url}/ui/`;
  profile = await mkdtemp(join(tmpdir(), 'wm-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 800 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  await h?.close();
});

describe('the dashboard in chromium', () => {
  it('refuses a bad token, then signs in with the keyboard as an instance administrator naming a tenant', async () => {
    await page.goto(dashboardUrl);
    await page.getByLabel('Token (bearer JWT)').fill('not-a-token');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Refused/);

    await page.getByLabel('Token (bearer JWT)').fill(tokenFor(undefined, 'INSTANCE_ADMIN'));
    await page.keyboard.press('Tab');
    await page.keyboard.type(TENANT);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.locator('header .who').textContent()).toBe(`tenant ${TENANT}`);
  });

  it('shows requests per status, the worker types alive and the oldest waiting request', async () => {
    const perStatus = page.getByRole('img', { name: 'Requests per status' });
    await perStatus.waitFor();
    // ERROR: five seeded; SUCCESS: fifteen.
    await expect.poll(() => perStatus.textContent()).toMatch(/ERROR5/);
    expect(await perStatus.textContent()).toMatch(/SUCCESS15/);
    const workerRow = page.getByRole('row', { name: new RegExp(WORKER) });
    expect(await workerRow.textContent()).toMatch(new RegExp(`${WORKER}120`));
    expect(await page.getByText('1 of 1 worker types alive, 1 instances').count()).toBe(1);
    await screenshot('overview');
  });

  it('filters the requests by status and source', async () => {
    await page.getByRole('link', { name: 'Requests', exact: true }).click();
    await page.getByLabel('ERROR', { exact: true }).check();
    await page.getByLabel('Source (contains)').fill('ui-source');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('table.requests tbody tr').count()).toBe(4);
    const ids = await page.locator('table.requests tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-request-id')));
    expect(ids).toEqual(['ui-failed-1', 'ui-failed-2', 'ui-failed-3', 'ui-failed-4']);
    expect(await page.locator('.summary').textContent()).toMatch(/^4 requests match/);
    await screenshot('requests-filtered');
    // The README's picture (infra/dashboard/screenshot.png is a copy): the part a laptop shows first.
    await page.screenshot({ path: join(ARTIFACTS, 'readme.png'), clip: { x: 0, y: 0, width: 1366, height: 690 } });
  });

  it('opens a request, shows its history, retries it and shows its new state', async () => {
    await page.getByRole('link', { name: 'ui-failed-1' }).click();
    const status = page.getByTestId('request-status');
    await expect.poll(() => status.textContent()).toBe('ERROR');
    expect(await page.locator('table.history').textContent()).toMatch(/disk full on the worker/);
    await page.getByRole('button', { name: 'Retry this request' }).click();
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toBe('DISPATCHED');
    expect(await statusOf('ui-failed-1')).toBe('DISPATCHED');
    // The history, grouped per attempt: the retry opened attempt 2.
    expect(await page.locator('table.history tr.group').allTextContents()).toEqual([`Request, attempt 1 — ${WORKER}`, `Request, attempt 2 — ${WORKER}`]);
    expect(await page.getByRole('status').first().textContent()).toMatch(/dispatched again/);
    await screenshot('request-retried');
  });

  it('retries everything matching a filter, following the bulk job to 100 %', async () => {
    await page.goBack();
    await page.locator('table.requests').waitFor();
    await page.getByRole('button', { name: 'Retry all matching' }).click();
    await expect.poll(() => page.locator('.job[data-job-status="DONE"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.locator('.job progress').getAttribute('value')).toBe('100');
    expect(await page.locator('.job').textContent()).toMatch(/3 retried/);
    await eventually(async () => (await Promise.all(['ui-failed-2', 'ui-failed-3', 'ui-failed-4'].map(statusOf))).every((s) => s === 'DISPATCHED'));
    // The request of the other source was not part of the filter.
    expect(await statusOf('ui-other-source')).toBe('ERROR');
    await screenshot('bulk-retry');
  });

  it('deletes a selected request after a confirmation', async () => {
    await page.goto(`${dashboardUrl}#/requests?source=elsewhere`);
    await expect.poll(() => page.locator('table.requests tbody tr').count()).toBe(1);
    await page.getByLabel('Select ui-other-source').check();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete selected (1)' }).click();
    await expect.poll(() => page.locator('.job[data-job-status="DONE"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.locator('.job').textContent()).toMatch(/1 deleted/);
    await expect.poll(() => page.getByText('No request matches this filter.').count()).toBe(1);
    expect(await statusOf('ui-other-source')).toBe('MISSING');
  });

  it('pages with the cursor, forward and back, in either order', async () => {
    await page.goto(`${dashboardUrl}#/requests?source=paging-source&size=10`);
    const ids = () => page.locator('table.requests tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-request-id')));
    await expect.poll(() => page.locator('table.requests tbody tr').count()).toBe(10);
    expect(await page.locator('.summary').textContent()).toBe('12 requests match; page 1, 10 shown.');
    expect((await ids())[0]).toBe('ui-page-00');
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(ids).toEqual(['ui-page-10', 'ui-page-11']);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => page.locator('table.requests tbody tr').count()).toBe(10);
    await page.getByLabel('Order').selectOption('creationDate,DESC');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(async () => (await ids())[0]).toBe('ui-page-11');
  });

  it('refuses a bad configuration file and shows each error under the line it concerns', async () => {
    await page.getByRole('link', { name: 'Configuration' }).click();
    await expect.poll(() => page.getByLabel('Current configuration (native format)').textContent()).toMatch(new RegExp(WORKER));
    const bad = {
      format: 'worker-manager/v1',
      workers: [
        { workerType: 'good-worker', contentTypeInputs: ['a'] },
        { workerType: 'bad-worker', contentTypeInputs: 'not-a-list', keepErrorz: true },
      ],
    };
    await page.getByLabel(/Configuration file/).setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    await page.getByRole('button', { name: 'Import' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/bad\.json was refused \(HTTP 409\)/);
    const errors = await page.locator('.config-error').allTextContents();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((text) => text.includes('workers[1]'))).toBe(true);
    // Each error sits right under a line of the file (the line is marked).
    expect(await page.locator('pre.annotated .has-error').count()).toBeGreaterThan(0);
    // Nothing was changed.
    expect(await page.getByLabel('Current configuration (native format)').textContent()).not.toMatch(/bad-worker/);
    await screenshot('configuration-refused');
  });

  it('shows the session counters as bars', async () => {
    await page.getByRole('link', { name: 'Session counters' }).click();
    await page.getByLabel('Source', { exact: true }).fill('ui-source');
    await page.getByLabel('Session', { exact: true }).fill('night-run');
    await page.getByRole('button', { name: 'Show counters' }).click();
    await page.locator('.charts').waitFor();
    await expect.poll(() => page.locator('.charts').textContent()).toMatch(/ui-source \/ night-run/);
    // The four requests of this session the retries dispatched (the seeded ones bypassed the counters).
    expect(await page.getByRole('img', { name: `Worker type ${WORKER} — ui-source / night-run` }).textContent()).toMatch(/dispatched4/);
    await screenshot('session-counters');
  });
});
