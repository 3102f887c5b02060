import './style.css';
import { Api, ApiError, type Session } from './api.js';
import { h, replace } from './dom.js';
import { renderConfiguration } from './views/configuration.js';
import { renderJobs } from './views/jobs.js';
import { renderOverview } from './views/overview.js';
import { renderRequest } from './views/request-detail.js';
import { renderRequests } from './views/requests.js';
import { renderSessions } from './views/sessions.js';

/*
 * The dashboard: a sign-in form, then one view per hash route (#/overview, #/requests,
 * #/requests/<id>, #/jobs, #/configuration, #/sessions). Hash routes need no server rewrite, so
 * the same files work under /ui of the local host and at the root of a CloudFront distribution.
 */

export interface ViewContext {
  api: Api;
  main: HTMLElement;
  /** Aborted when the view is left: pollers stop. */
  signal: AbortSignal;
  /** A message for everyone, announced to screen readers. */
  notify(message: string, kind?: 'info' | 'error'): void;
}

const SESSION_KEY = 'worker-manager-dashboard-session';

interface DashboardConfig {
  /** The admin API's base URL; '' (default) is the page's own origin. */
  apiUrl: string;
}

async function loadConfig(): Promise<DashboardConfig> {
  // Written next to the files by the AWS deployment; absent on the local host, where the API is the same origin.
  try {
    const response = await fetch('./config.json', { cache: 'no-store' });
    if (!response.ok) return { apiUrl: '' };
    const config = (await response.json()) as Partial<DashboardConfig>;
    return { apiUrl: typeof config.apiUrl === 'string' ? config.apiUrl.replace(/\/+$/, '') : '' };
  } catch {
    return { apiUrl: '' };
  }
}

function readSession(): Session | undefined {
  const text = sessionStorage.getItem(SESSION_KEY);
  if (text === null) return undefined;
  try {
    const session = JSON.parse(text) as Partial<Session>;
    return typeof session.token === 'string' ? { token: session.token, tenant: typeof session.tenant === 'string' ? session.tenant : '' } : undefined;
  } catch {
    return undefined;
  }
}

const ROUTES: { hash: string; label: string }[] = [
  { hash: '#/overview', label: 'Overview' },
  { hash: '#/requests', label: 'Requests' },
  { hash: '#/jobs', label: 'Bulk jobs' },
  { hash: '#/configuration', label: 'Configuration' },
  { hash: '#/sessions', label: 'Session counters' },
];

function start(config: DashboardConfig): void {
  const app = document.getElementById('app');
  if (app === null) return;
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const notify = (message: string, kind: 'info' | 'error' = 'info') => {
    status.textContent = message;
    status.className = `notice ${kind}`;
  };
  let current: AbortController | undefined;

  const signIn = (failure?: string) => {
    current?.abort();
    const token = h('input', { id: 'token', name: 'token', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false' });
    const tenant = h('input', { id: 'tenant', name: 'tenant', type: 'text', autocomplete: 'off', placeholder: "the token's own" });
    const error = h('p', { class: 'notice error', role: 'alert' }, failure ?? '');
    const form = h(
      'form',
      { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
      h('h1', { id: 'sign-in-title' }, 'Worker manager'),
      h('label', { for: 'token' }, 'Token (bearer JWT)'),
      token,
      h('label', { for: 'tenant' }, 'Tenant (instance administrators only)'),
      tenant,
      h('button', { type: 'submit' }, 'Sign in'),
      error,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const session = { token: token.value.trim(), tenant: tenant.value.trim() };
      // One cheap call checks the token and the tenant before anything is shown.
      new Api(config.apiUrl, session).workers().then(
        () => {
          sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
          if (location.hash === '' || location.hash === '#/sign-in') location.hash = '#/overview';
          route();
        },
        (reason: unknown) => {
          error.textContent = reason instanceof ApiError ? `Refused: ${reason.message}` : String(reason);
          token.focus();
        },
      );
    });
    replace(app, form);
    token.focus();
  };

  const route = () => {
    const session = readSession();
    if (session === undefined) return signIn();
    current?.abort();
    current = new AbortController();
    const api = new Api(config.apiUrl, session);
    const main = h('main', { id: 'main', tabindex: -1 });
    const hash = location.hash === '' ? '#/overview' : location.hash;
    const signOut = h('button', { type: 'button', class: 'link' }, 'Sign out');
    signOut.addEventListener('click', () => {
      sessionStorage.removeItem(SESSION_KEY);
      signIn();
    });
    replace(
      app,
      h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
      h(
        'header',
        {},
        h('span', { class: 'brand' }, 'Worker manager'),
        h(
          'nav',
          { 'aria-label': 'Views' },
          ROUTES.map((r) => h('a', { href: r.hash, 'aria-current': hash.startsWith(r.hash) ? 'page' : null }, r.label)),
        ),
        h('span', { class: 'who' }, session.tenant === '' ? "token's tenant" : `tenant ${session.tenant}`),
        signOut,
      ),
      status,
      main,
    );
    notify('');
    const context: ViewContext = { api, main, signal: current.signal, notify };
    const failed = (error: unknown) => {
      if (error instanceof ApiError && error.status === 401) return signIn('The token was refused (expired or not valid): sign in again.');
      notify(error instanceof Error ? error.message : String(error), 'error');
    };
    const detail = /^#\/requests\/(.+)$/.exec(hash);
    const view =
      detail?.[1] !== undefined
        ? renderRequest(context, decodeURIComponent(detail[1]))
        : hash.startsWith('#/requests')
          ? renderRequests(context)
          : hash.startsWith('#/jobs')
            ? renderJobs(context)
            : hash.startsWith('#/configuration')
              ? renderConfiguration(context)
              : hash.startsWith('#/sessions')
                ? renderSessions(context)
                : renderOverview(context);
    view.catch(failed);
  };

  window.addEventListener('hashchange', route);
  route();
}

void loadConfig().then(start);
