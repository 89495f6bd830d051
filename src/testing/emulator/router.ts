/**
 * The emulator as one transport-neutral function, `(request: Request) => Promise<Response>`, over an
 * in-memory state. The node:http server and the msw handlers are thin adapters around it.
 *
 * @module
 */
import { type ApiContext, handleApi } from './crm.js';
import { handleAccounts } from './oauth.js';
import { ERROR_CODE_HEADER, html, LOST_ANSWERS, MESSAGES, zohoError } from './responses.js';
import { EmulatorStateImpl } from './state.js';
import type { RequestLogEntry, ZohoEmulatorState } from './types.js';
import type { EmulatorTarget, UrlScheme } from './url-scheme.js';

/**
 * A Zoho emulator as a Fetch API handler. A dropped connection is answered with `Response.error()`
 * (`type === 'error'`); adapters turn it into a destroyed socket or a network error.
 * @example
 * ```ts
 * const router: ZohoRouter = createZohoRouter(createZohoEmulatorState(), zohoUrlScheme());
 * const res = await router(new Request('https://accounts.zoho.com/oauth/serverinfo'));
 * ```
 * @group Router
 */
export type ZohoRouter = (request: Request) => Promise<Response>;

/**
 * Builds the emulator's request handler for a state and a URL scheme. Use it to host the emulator in
 * another server (any framework that speaks Fetch API `Request`/`Response`).
 * @param state - From {@link createZohoEmulatorState} (or a running emulator's `state`).
 * @param scheme - Where each data centre lives: {@link localUrlScheme} or {@link zohoUrlScheme}.
 * @example
 * ```ts
 * const state = createZohoEmulatorState({ autoConsent: true });
 * const router = createZohoRouter(state, localUrlScheme('http://localhost:8787'));
 * const res = await router(new Request('http://localhost:8787/api/us/crm/v8/org'));
 * res.status; // 401: no token
 * ```
 * @group Router
 */
export function createZohoRouter(state: ZohoEmulatorState, scheme: UrlScheme): ZohoRouter {
  if (!(state instanceof EmulatorStateImpl)) {
    throw new TypeError('createZohoRouter(state): state must come from createZohoEmulatorState()');
  }
  const impl = state;
  return async function zohoRouter(request: Request): Promise<Response> {
    const started = performance.now();
    const arrived = impl.now();
    const url = new URL(request.url);
    const target = scheme.resolve(url);
    let response: Response;
    let failure: string | undefined;
    try {
      response = await dispatch(impl, scheme, request, url, target);
    } catch (err) {
      // An emulator bug, not a Zoho behaviour: answer like Zoho's 500 and say why in the log.
      failure = `emulator failure: ${err instanceof Error ? err.message : String(err)}`;
      response = zohoError(500, 'INTERNAL_ERROR', MESSAGES.INTERNAL_ERROR);
    }
    const error =
      failure ??
      LOST_ANSWERS.get(response) ??
      (response.type === 'error' ? 'connection dropped' : response.headers.get(ERROR_CODE_HEADER));
    if (response.type !== 'error') response.headers.delete(ERROR_CODE_HEADER);
    const logged = impl.options.requestLogSize > 0;
    const entry: RequestLogEntry = {
      time: logged ? new Date(arrived).toISOString() : '',
      method: request.method.toUpperCase(),
      url: logged ? redactUrl(url) : '',
      endpoint: endpointKey(impl, request.method, target, url),
      status: response.type === 'error' ? 0 : response.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    };
    if (target) entry.dataCenter = target.dataCenter.toLowerCase();
    if (error) entry.error = error;
    impl.traffic.recordRequest(entry);
    return response;
  };
}

async function dispatch(
  state: EmulatorStateImpl,
  scheme: UrlScheme,
  request: Request,
  url: URL,
  target: EmulatorTarget | undefined,
): Promise<Response> {
  if (!target) {
    if (url.pathname === '/' || url.pathname === '') return indexPage(state, scheme);
    return zohoError(404, 'INVALID_URL_PATTERN', MESSAGES.INVALID_URL_PATTERN);
  }
  const faults = state.faultInjector.active;
  const applies =
    faults !== undefined && (faults.target ?? 'all') !== (target.service === 'api' ? 'accounts' : 'api');
  const latency = applies ? latencyOf(faults) : 0;
  const delay = () => (latency > 0 ? sleep(latency) : Promise.resolve());

  if (applies && faults) {
    const outage =
      faults.outage === true || (faults.outageUntil !== undefined && state.now() < faults.outageUntil);
    if (outage) {
      state.traffic.count('faultsInjected');
      await delay();
      return html(503, '<!doctype html><html><body><h1>503 Service Unavailable</h1></body></html>', {
        [ERROR_CODE_HEADER]: 'outage',
      });
    }
    const hit = (faults.dropConnections || faults.status !== undefined) && state.faultInjector.hit();
    if (hit && faults.dropConnections) {
      state.traffic.count('faultsInjected');
      await delay();
      return Response.error();
    }
    if (hit && faults.status !== undefined) {
      state.traffic.count('faultsInjected');
      await delay();
      return faultResponse(faults.status, target.service);
    }
  }

  if (target.service === 'accounts') {
    await delay();
    return handleAccounts({ state, scheme, request, url, dataCenter: target.dataCenter, path: target.path });
  }
  const ctx: ApiContext = { state, request, url, dataCenter: target.dataCenter, path: target.path, delay };
  return handleApi(ctx);
}

function faultResponse(status: number, service: 'accounts' | 'api'): Response {
  if (service === 'accounts' && status >= 500) {
    return html(status, `<!doctype html><html><body><h1>${status} Server Error</h1></body></html>`, {
      [ERROR_CODE_HEADER]: 'fault',
    });
  }
  if (status === 429) return zohoError(429, 'TOO_MANY_REQUESTS', MESSAGES.TOO_MANY_REQUESTS);
  if (status >= 500) return zohoError(status, 'INTERNAL_ERROR', MESSAGES.INTERNAL_ERROR);
  if (status === 401) return zohoError(401, 'INVALID_TOKEN', MESSAGES.INVALID_TOKEN);
  return zohoError(status, 'INVALID_DATA', MESSAGES.INVALID_DATA);
}

function latencyOf(faults: { latencyMs?: number; jitterMs?: number }): number {
  const base = faults.latencyMs ?? 0;
  const jitter = faults.jitterMs ? Math.random() * faults.jitterMs : 0;
  return base + jitter;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `GET /crm/v8/Contacts/search`, `POST /oauth/v2/token`: module names canonical, ids as `{id}`. */
function endpointKey(
  state: EmulatorStateImpl,
  method: string,
  target: EmulatorTarget | undefined,
  url: URL,
): string {
  const m = method.toUpperCase();
  if (!target) return `${m} ${url.pathname}`;
  if (target.service === 'accounts') return `${m} ${target.path}`;
  const parts = target.path.split('/').map((seg, i) => {
    if (/^\d{6,}$/.test(seg)) return '{id}';
    if (i === 3) {
      const def = [...state.org.modules.values()].find((d) => d.apiName.toLowerCase() === seg.toLowerCase());
      if (def) return def.apiName;
    }
    return seg;
  });
  return `${m} ${parts.join('/')}`;
}

const SECRET_PARAMS = new Set(['code', 'token', 'refresh_token', 'access_token', 'client_secret', 'state']);

/** Path and query of a URL with secret query values replaced. */
function redactUrl(url: URL): string {
  if (!url.search) return url.pathname;
  const parts: string[] = [];
  for (const [key, value] of new URLSearchParams(url.search)) {
    const shown = SECRET_PARAMS.has(key.toLowerCase()) ? '[REDACTED]' : encodeURIComponent(value);
    parts.push(`${encodeURIComponent(key)}=${shown}`);
  }
  return `${url.pathname}?${parts.join('&')}`;
}

function indexPage(state: EmulatorStateImpl, scheme: UrlScheme): Response {
  const dc = state.dataCenter;
  return html(
    200,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Zoho CRM emulator</title></head><body>
<h1>Zoho CRM emulator</h1>
<p>Organisation data centre: ${dc}. Edition: ${state.edition}.</p>
<ul><li>Accounts server: <code>${scheme.accountsUrl(dc)}</code></li>
<li>API domain: <code>${scheme.apiUrl(dc)}</code> (CRM under <code>/crm/v8</code>)</li></ul>
</body></html>`,
  );
}
