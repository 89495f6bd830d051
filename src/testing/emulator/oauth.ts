/**
 * The emulated Zoho Accounts server: consent page, token endpoint (code and refresh grants), revoke,
 * with Zoho's HTTP-200 errors and token limits (docs/zoho-facts.md §1).
 * @internal
 * @module
 */
import { REGION_CODES, type RegionCode } from '../../regions.js';
import { randomHex } from './ids.js';
import type { ConsentRec } from './oauth-store.js';
import type { UserRec } from './org.js';
import { escapeHtml, html, json, oauthError, redirect } from './responses.js';
import { isWellFormedScope, parseScopeParam, ScopeSet } from './scopes.js';
import type { EmulatorStateImpl } from './state.js';
import type { UrlScheme } from './url-scheme.js';

/** Zoho's throttle answer (HTTP 200). */
export const THROTTLE_DESCRIPTION =
  'You have made too many requests continuously. Please try again after some time.';

/** How long a consent page stays valid. */
const CONSENT_TTL_MS = 10 * 60_000;

/** Everything an accounts-server handler needs. */
export interface AccountsContext {
  readonly state: EmulatorStateImpl;
  readonly scheme: UrlScheme;
  readonly request: Request;
  readonly url: URL;
  readonly dataCenter: RegionCode;
  readonly path: string;
}

/** Routes one accounts-server request. */
export async function handleAccounts(ctx: AccountsContext): Promise<Response> {
  const { path } = ctx;
  const method = ctx.request.method.toUpperCase();
  switch (path) {
    case '/oauth/v2/auth':
      return method === 'GET' ? authorize(ctx) : methodNotAllowed();
    case '/oauth/v2/auth/consent':
      return method === 'POST' ? consentDecision(ctx) : methodNotAllowed();
    case '/oauth/v2/token':
      return method === 'POST' ? token(ctx) : methodNotAllowed();
    case '/oauth/v2/token/revoke':
      return method === 'POST' ? revoke(ctx) : methodNotAllowed();
    case '/oauth/serverinfo':
      return method === 'GET' ? serverInfo(ctx) : methodNotAllowed();
    default:
      return html(404, page('Not found', '<p>There is no such page on this accounts server.</p>'));
  }
}

// --- GET /oauth/v2/auth ---

function authorize(ctx: AccountsContext): Response {
  const { state, url } = ctx;
  const q = url.searchParams;
  const client = state.oauth.clients.get(q.get('client_id') ?? '');
  if (!client) return html(400, errorPage('Invalid Client', 'The client_id is not registered.'));
  const redirectUri = q.get('redirect_uri') ?? '';
  if (!client.redirectUris.has(redirectUri)) {
    return html(
      400,
      errorPage('Invalid Redirect Uri', 'The redirect_uri is not registered for this client.'),
    );
  }
  const stateParam = q.get('state');
  if (q.get('response_type') !== 'code') {
    return redirect(withParams(redirectUri, { error: 'unsupported_response_type', state: stateParam }));
  }
  const scopes = parseScopeParam(q.get('scope') ?? '');
  if (scopes.length === 0 || !scopes.every(isWellFormedScope)) {
    return redirect(withParams(redirectUri, { error: 'invalid_scope', state: stateParam }));
  }
  const consent: ConsentRec = {
    id: randomHex(16),
    clientId: client.clientId,
    redirectUri,
    scopes,
    state: stateParam,
    offline: q.get('access_type') === 'offline',
    promptConsent: q.get('prompt') === 'consent',
    expiresAt: state.now() + CONSENT_TTL_MS,
  };
  if (state.options.autoConsent) {
    const user = userForHint(state, q.get('login_hint'));
    return approve(ctx, consent, user);
  }
  pruneConsents(state);
  state.oauth.consents.set(consent.id, consent);
  return html(200, consentPage(ctx, consent, client.name), { 'cache-control': 'no-store' });
}

// --- POST /oauth/v2/auth/consent (the consent page's forms) ---

async function consentDecision(ctx: AccountsContext): Promise<Response> {
  const { state } = ctx;
  const form = await readParams(ctx.request, new URLSearchParams());
  const consent = state.oauth.consents.get(form.get('consent_id') ?? '');
  if (!consent || consent.expiresAt <= state.now()) {
    return html(400, errorPage('Request expired', 'This authorization request has expired. Start again.'));
  }
  state.oauth.consents.delete(consent.id);
  if (form.get('decision') !== 'accept') {
    return redirect(withParams(consent.redirectUri, { error: 'access_denied', state: consent.state }));
  }
  const chosen = state.org.usersById.get(form.get('user_id') ?? '');
  const user = chosen && chosen.json.status === 'active' ? chosen : state.org.firstUser();
  return approve(ctx, consent, user);
}

function approve(ctx: AccountsContext, consent: ConsentRec, user: UserRec): Response {
  const { state, scheme } = ctx;
  if (state.oauth.throttleCode(consent.clientId)) {
    return redirect(withParams(consent.redirectUri, { error: 'access_denied', state: consent.state }));
  }
  const code = `1000.${randomHex(16)}.${randomHex(16)}`;
  const orgDc = state.dataCenter;
  state.oauth.codes.set(code, {
    code,
    clientId: consent.clientId,
    userId: user.json.id,
    redirectUri: consent.redirectUri,
    scopes: consent.scopes,
    offline: consent.offline,
    promptConsent: consent.promptConsent,
    dc: orgDc,
    expiresAt: state.now() + state.options.codeTtlSeconds * 1000,
    used: false,
  });
  return redirect(
    withParams(consent.redirectUri, {
      state: consent.state,
      code,
      location: orgDc.toLowerCase(),
      'accounts-server': scheme.accountsUrl(orgDc),
    }),
  );
}

// --- POST /oauth/v2/token ---

async function token(ctx: AccountsContext): Promise<Response> {
  const { state, scheme } = ctx;
  const params = await readParams(ctx.request, ctx.url.searchParams);
  const basic = basicAuth(ctx.request.headers.get('authorization'));
  const clientId = params.get('client_id') ?? basic?.id ?? '';
  const clientSecret = params.get('client_secret') ?? basic?.secret ?? '';

  // Codes and refresh tokens live in the org's data centre; any other one does not know the client.
  if (ctx.dataCenter !== state.dataCenter) return oauthError('invalid_client');
  const client = state.oauth.clients.get(clientId);
  if (!client) return oauthError('invalid_client');
  if (client.clientSecret !== clientSecret) return oauthError(state.options.wrongSecretError);

  const grantType = params.get('grant_type');
  const now = state.now();
  if (grantType === 'authorization_code') {
    const code = state.oauth.codes.get(params.get('code') ?? '');
    if (!code || code.used || code.expiresAt <= now || code.clientId !== clientId)
      return oauthError('invalid_code');
    if (params.get('redirect_uri') !== code.redirectUri) return oauthError('invalid_redirect_uri');
    code.used = true;
    state.oauth.codes.delete(code.code);
    const issueRefresh =
      code.offline && (code.promptConsent || !state.oauth.hasRefreshToken(clientId, code.userId));
    const refresh = issueRefresh
      ? state.oauth.createRefreshToken(clientId, code.userId, code.scopes)
      : undefined;
    const scopes = refresh?.scopes ?? new ScopeSet(code.scopes);
    const access = state.oauth.mintAccessToken(refresh, clientId, code.userId, scopes);
    state.traffic.count('tokenGrants');
    return json(200, {
      access_token: access.token,
      ...(refresh ? { refresh_token: refresh.token } : {}),
      scope: code.scopes.join(' '),
      api_domain: scheme.apiUrl(state.dataCenter),
      token_type: 'Bearer',
      expires_in: state.options.accessTokenTtlSeconds,
    });
  }
  if (grantType === 'refresh_token') {
    const refresh = state.oauth.refreshTokens.get(params.get('refresh_token') ?? '');
    if (!refresh || refresh.clientId !== clientId) return oauthError('invalid_code');
    if (state.oauth.throttleRefresh(refresh)) {
      state.traffic.count('oauthThrottled');
      return oauthError('Access Denied', THROTTLE_DESCRIPTION);
    }
    const access = state.oauth.mintAccessToken(refresh, clientId, refresh.userId, refresh.scopes);
    state.traffic.count('refreshes');
    return json(200, {
      access_token: access.token,
      scope: refresh.scopes.scopes.join(' '),
      api_domain: scheme.apiUrl(state.dataCenter),
      token_type: 'Bearer',
      expires_in: state.options.accessTokenTtlSeconds,
    });
  }
  return oauthError('unsupported_grant_type');
}

// --- POST /oauth/v2/token/revoke?token= ---

async function revoke(ctx: AccountsContext): Promise<Response> {
  const { state } = ctx;
  const params = await readParams(ctx.request, ctx.url.searchParams);
  const rec = state.oauth.refreshTokens.get(params.get('token') ?? '');
  if (!rec || ctx.dataCenter !== rec.dc) return oauthError('invalid_token', undefined, 400);
  state.oauth.deleteRefreshToken(rec);
  state.traffic.count('revocations');
  return json(200, { status: 'success' });
}

// --- GET /oauth/serverinfo ---

function serverInfo(ctx: AccountsContext): Response {
  const locations: Record<string, string> = {};
  for (const code of REGION_CODES) locations[code.toLowerCase()] = ctx.scheme.accountsUrl(code);
  return json(200, { result: 'success', locations });
}

// --- Internal helpers ---

function methodNotAllowed(): Response {
  const res = oauthError('invalid_request', undefined, 405);
  res.headers.set('allow', 'GET, POST');
  return res;
}

/** Query parameters merged with a form body (urlencoded or multipart), the body winning. */
async function readParams(request: Request, query: URLSearchParams): Promise<URLSearchParams> {
  const out = new URLSearchParams(query);
  const type = request.headers.get('content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(await request.text())) out.set(k, v);
  } else if (type.includes('multipart/form-data')) {
    try {
      const form = await request.formData();
      for (const [k, v] of form) if (typeof v === 'string') out.set(k, v);
    } catch {
      // A malformed multipart body carries no parameters.
    }
  }
  return out;
}

function basicAuth(header: string | null): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  try {
    const decoded = atob(m[1]);
    const i = decoded.indexOf(':');
    if (i < 0) return undefined;
    return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
  } catch {
    return undefined;
  }
}

function withParams(base: string, params: Record<string, string | null>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v);
  return url.toString();
}

function userForHint(state: EmulatorStateImpl, hint: string | null): UserRec {
  if (hint) {
    for (const u of state.org.usersById.values()) {
      if (u.json.status === 'active' && u.json.email.toLowerCase() === hint.toLowerCase()) return u;
    }
  }
  return state.org.firstUser();
}

function pruneConsents(state: EmulatorStateImpl): void {
  const now = state.now();
  for (const [id, c] of state.oauth.consents) if (c.expiresAt <= now) state.oauth.consents.delete(id);
}

function consentPage(ctx: AccountsContext, consent: ConsentRec, clientName: string): string {
  const { state, scheme } = ctx;
  const action = escapeHtml(`${scheme.accountsUrl(ctx.dataCenter)}/oauth/v2/auth/consent`);
  const id = escapeHtml(consent.id);
  const users = [...state.org.usersById.values()]
    .filter((u) => u.json.status === 'active')
    .map(
      (u) =>
        `<option value="${escapeHtml(u.json.id)}">${escapeHtml(`${u.json.full_name} <${u.json.email}>`)}</option>`,
    )
    .join('');
  const scopes = consent.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('');
  return page(
    'Zoho CRM emulator: authorize access',
    `<h1><strong>${escapeHtml(clientName)}</strong> would like to access your Zoho CRM data</h1>
<p>Organisation: ${escapeHtml(state.options.orgName)} (data centre ${escapeHtml(state.dataCenter)})</p>
<p>Requested permissions:</p><ul>${scopes}</ul>
<form method="post" action="${action}" id="accept">
<input type="hidden" name="consent_id" value="${id}">
<input type="hidden" name="decision" value="accept">
<label>Sign in as <select name="user_id">${users}</select></label>
<button type="submit">Accept</button>
</form>
<form method="post" action="${action}" id="deny">
<input type="hidden" name="consent_id" value="${id}">
<input type="hidden" name="decision" value="deny">
<button type="submit">Deny</button>
</form>`,
  );
}

function errorPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}form{display:inline-block;margin-right:1rem}button{font-size:1rem;padding:.4rem 1.2rem}</style>
</head><body>${body}</body></html>`;
}
