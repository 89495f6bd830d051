/**
 * The admin page of the PBX service: login (the admin password, or an API key when none is set), the
 * per-tenant "Integrations > CRM" form, its Authorize button and the connection state. Every admin API
 * call needs the session cookie and the session's CSRF token; no secret is ever sent back.
 *
 * @module
 */
import { ConfigError, isZohoCrmError } from '../../errors.js';
import type { ConnectorRegistry } from '../../registry/registry.js';
import { assertTenantId } from '../../registry/tenant-settings.js';
import type { SettingsStore } from '../../stores/settings-types.js';
import type { SecretCheck } from '../api-keys.js';
import { BodyError, errorResponse, json, readJson, readText, responseForError } from '../http.js';
import { mergeSettings, visibleSettings } from '../routes.js';
import { CLIENT_ADDRESS_HEADER, createLoginLimiter } from './login-limit.js';
import { appPage, loginPage } from './page.js';
import type { AdminSessions } from './session.js';

/** @internal */
export interface AdminDependencies {
  registry: ConnectorRegistry;
  settingsStore: SettingsStore;
  sessions: AdminSessions;
  /** Checks a login secret (the admin password, or an API key). */
  checkLogin: SecretCheck;
  /** Mark the session cookie `Secure` (and name it `__Host-…`): the service is reached over https. */
  secureCookies: boolean;
  maxBodyBytes: number;
  /** The last problem seen per tenant (authorization lost, a dead-lettered call). */
  lastError: (connectionId: string) => string | undefined;
  now: () => number;
}

/** Failed logins allowed per client and for everyone, per minute; the login form's largest body. */
const LOGIN_LIMIT = { perClient: 10, global: 100, windowMs: 60_000 };
const MAX_LOGIN_FORM_BYTES = 4_096;

const html = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(body, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      ...headers,
    },
  });

/** @internal */
export function createAdminHandler(deps: AdminDependencies) {
  const limiter = createLoginLimiter({ ...LOGIN_LIMIT, now: deps.now });

  const login = async (request: Request): Promise<Response> => {
    const client = request.headers.get(CLIENT_ADDRESS_HEADER) ?? 'unknown';
    if (!limiter.begin(client)) {
      return html(loginPage('Too many failed attempts; wait a minute.'), 429, { 'retry-after': '60' });
    }
    let succeeded = false;
    try {
      const form = new URLSearchParams(
        await readText(request, MAX_LOGIN_FORM_BYTES, 'application/x-www-form-urlencoded'),
      );
      const tenant = form.get('tenant') ?? undefined;
      if (!(await deps.checkLogin(form.get('password') ?? ''))) {
        return html(loginPage('Wrong password.', tenant), 401);
      }
      succeeded = true;
      const target = tenant ? `/admin?tenant=${encodeURIComponent(tenant)}` : '/admin';
      const cookie = await deps.sessions.issue(deps.secureCookies);
      return new Response(null, { status: 303, headers: { location: target, 'set-cookie': cookie } });
    } catch (error) {
      if (error instanceof BodyError)
        return html(loginPage('The login form was not understood.'), error.status);
      throw error;
    } finally {
      limiter.end(client, succeeded);
    }
  };

  const status = async (connectionId: string) => {
    const settings = await deps.settingsStore.get(connectionId);
    if (!settings) return { settings: null, status: { authorized: false } };
    try {
      const connector = await deps.registry.get(connectionId);
      const [authorized, stats] = await Promise.all([connector.isAuthorized(), connector.journalStats()]);
      return {
        settings: visibleSettings(settings),
        status: {
          authorized,
          region: settings.region,
          pending: stats.pending,
          deadLetters: stats.deadLetters,
          lastError: deps.lastError(connectionId),
        },
      };
    } catch (error) {
      const message = isZohoCrmError(error) ? error.message : 'The connector could not be built.';
      return { settings: visibleSettings(settings), status: { authorized: false, lastError: message } };
    }
  };

  const api = async (request: Request, rest: string): Promise<Response> => {
    if (rest === '/tenants' && request.method === 'GET') {
      return json({ tenants: await deps.settingsStore.list() });
    }
    const match = /^\/tenants\/([^/]+)(\/authorize|\/retry-dead-letters)?$/.exec(rest);
    if (!match) return errorResponse(404, 'NOT_FOUND', 'No such route.');
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[1] as string);
    } catch {
      throw new ConfigError([{ path: 'tenant', message: 'is not a valid percent-encoded id' }], 'request');
    }
    assertTenantId(connectionId);
    const action = match[2];
    if (!action && request.method === 'GET') return json(await status(connectionId));
    if (!action && request.method === 'PUT') {
      const stored = await deps.settingsStore.get(connectionId);
      await deps.settingsStore.set(
        connectionId,
        mergeSettings(stored, await readJson(request, deps.maxBodyBytes)),
      );
      await deps.registry.evict(connectionId);
      return json(await status(connectionId));
    }
    if (action === '/authorize' && request.method === 'POST') {
      const { url } = await deps.registry.authorizationUrl(connectionId);
      return json({ url });
    }
    if (action === '/retry-dead-letters' && request.method === 'POST') {
      const connector = await deps.registry.get(connectionId);
      let retried = 0;
      for (const letter of await connector.deadLetters()) {
        if (await connector.retryDeadLetter(letter.op.id)) retried++;
      }
      return json({ retried });
    }
    return errorResponse(405, 'METHOD_NOT_ALLOWED', 'Method not allowed.');
  };

  return async (request: Request, url: URL): Promise<Response | undefined> => {
    const path = url.pathname;
    if (path === '/admin/login' && request.method === 'POST') return login(request);
    if (path === '/admin/logout' && request.method === 'POST') {
      return new Response(null, {
        status: 303,
        headers: { location: '/admin', 'set-cookie': deps.sessions.clear(deps.secureCookies) },
      });
    }
    if (path === '/admin/app.js' || path === '/admin/app.css') {
      const { ADMIN_SCRIPT, ADMIN_STYLE } = await import('./assets.js');
      const script = path.endsWith('.js');
      return new Response(script ? ADMIN_SCRIPT : ADMIN_STYLE, {
        headers: {
          'content-type': script ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
          'cache-control': 'no-cache',
        },
      });
    }
    const session = await deps.sessions.read(request);
    if (path === '/admin' && request.method === 'GET') {
      if (!session) return html(loginPage(undefined, url.searchParams.get('tenant') ?? undefined));
      return html(appPage(await deps.sessions.csrf(session)));
    }
    if (!path.startsWith('/admin/api/')) return undefined;
    if (!session) return errorResponse(401, 'UNAUTHORIZED', 'Log in first.');
    if (!(await deps.sessions.checkCsrf(request, session))) {
      return errorResponse(403, 'CSRF', 'The request lacks the page’s CSRF token.');
    }
    try {
      return await api(request, path.slice('/admin/api'.length));
    } catch (error) {
      return responseForError(error);
    }
  };
}
