/**
 * Reads Zoho's OAuth callback from whatever the host has: a full URL, a path with query, a bare query
 * string, URLSearchParams, or a framework's parsed query object. Pure.
 *
 * @module
 */
import { argumentError, kindOf } from '../args.js';

/**
 * What Zoho put on the redirect (docs/zoho-facts.md §1.3).
 * @group OAuth
 */
export interface CallbackParams {
  /** The authorization code (single-use, valid about two minutes). */
  code?: string;
  /** The state sent with the authorize URL. */
  state?: string;
  /** Data-centre code, e.g. `eu`. */
  location?: string;
  /** Accounts server to exchange the code at, e.g. `https://accounts.zoho.eu`. */
  accountsServer?: string;
  /** Set when the user denied consent (`access_denied`) or has no CRM org (`no_org`). */
  error?: string;
  /** Zoho's explanation of `error`, when it sends one. */
  errorDescription?: string;
}

/**
 * Anything a host's HTTP handler can hand over as the callback.
 * @group OAuth
 */
export type CallbackInput = string | URL | URLSearchParams | Record<string, string | string[] | undefined>;

/**
 * Extracts the callback parameters.
 * @throws {@link ConfigError} when `input` is none of the accepted forms (`null`, `undefined`, a number…).
 * @example
 * ```ts
 * parseCallback('https://pbx.example.com/api/auth/callback/zoho?code=1000.x&state=s&location=eu&accounts-server=https%3A%2F%2Faccounts.zoho.eu');
 * // { code: '1000.x', state: 's', location: 'eu', accountsServer: 'https://accounts.zoho.eu' }
 * ```
 * @group OAuth
 */
export function parseCallback(input: CallbackInput): CallbackParams {
  const params = toSearchParams(input);
  const read = (name: string) => {
    const value = params.get(name);
    return value === null || value === '' ? undefined : value;
  };
  const out: CallbackParams = {};
  const fields: Array<[keyof CallbackParams, string]> = [
    ['code', 'code'],
    ['state', 'state'],
    ['location', 'location'],
    ['accountsServer', 'accounts-server'],
    ['error', 'error'],
    ['errorDescription', 'error_description'],
  ];
  for (const [key, name] of fields) {
    const value = read(name);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function toSearchParams(input: CallbackInput): URLSearchParams {
  if (input instanceof URLSearchParams) return input;
  if (input instanceof URL) return input.searchParams;
  if (typeof input === 'string') {
    const query = input.includes('?') ? input.slice(input.indexOf('?') + 1) : input;
    return new URLSearchParams(query.split('#')[0]);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw argumentError(
      'OAuth callback',
      'callback',
      `must be a URL, a query string, URLSearchParams or a parsed query object (received ${kindOf(input)})`,
    );
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(input)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') params.set(key, first);
  }
  return params;
}
