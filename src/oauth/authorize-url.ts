/**
 * Builds the URL of Zoho's consent page (the seed's "Authorize" button). Pure.
 *
 * @module
 */
import { ConfigError } from '../errors.js';
import { DEFAULT_SCOPES } from './scopes.js';

/**
 * What goes into the authorize URL.
 * @group OAuth
 */
export interface AuthorizeUrlOptions {
  /** Accounts server to start at, e.g. `https://accounts.zoho.com` (Zoho redirects users of other DCs). */
  accountsUrl: string;
  /** Client ID of the Zoho server-based client. */
  clientId: string;
  /** Registered redirect URI. */
  redirectUri: string;
  /** Signed state (see `createStateSigner`). */
  state: string;
  /** Scopes to request. @default DEFAULT_SCOPES */
  scopes?: readonly string[];
}

/**
 * The authorize URL: `response_type=code`, `access_type=offline` (a refresh token is needed) and
 * `prompt=consent` (Zoho issues a new refresh token only with it), comma-separated scopes. No secret
 * is ever part of it.
 * @throws {@link ConfigError} naming every option that is missing or of the wrong type.
 * @example
 * ```ts
 * buildAuthorizeUrl({ accountsUrl: 'https://accounts.zoho.eu', clientId: '1000.ABC', redirectUri: 'https://pbx.example.com/api/auth/callback/zoho', state });
 * // https://accounts.zoho.eu/oauth/v2/auth?response_type=code&client_id=1000.ABC&scope=ZohoCRM.modules.contacts.READ%2C...
 * ```
 * @group OAuth
 */
export function buildAuthorizeUrl(options: AuthorizeUrlOptions): string {
  const issues: { path: string; message: string }[] = [];
  const given = (options ?? {}) as Partial<Record<keyof AuthorizeUrlOptions, unknown>>;
  const accountsUrl = typeof given.accountsUrl === 'string' ? given.accountsUrl.replace(/\/+$/, '') : '';
  if (!URL.canParse(`${accountsUrl}/oauth/v2/auth`) || !/^https?:\/\//i.test(accountsUrl)) {
    issues.push({ path: 'accountsUrl', message: 'must be an absolute http(s) URL' });
  }
  for (const key of ['clientId', 'redirectUri', 'state'] as const) {
    if (typeof given[key] !== 'string') issues.push({ path: key, message: 'must be a string' });
  }
  const scopes = given.scopes ?? DEFAULT_SCOPES;
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string')) {
    issues.push({ path: 'scopes', message: 'must be an array of strings' });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'buildAuthorizeUrl options');
  const url = new URL(`${accountsUrl}/oauth/v2/auth`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', options.clientId);
  url.searchParams.set('scope', (options.scopes ?? DEFAULT_SCOPES).join(','));
  url.searchParams.set('redirect_uri', options.redirectUri);
  url.searchParams.set('access_type', 'offline');
  url.searchParams.set('prompt', 'consent');
  url.searchParams.set('state', options.state);
  return url.toString();
}
