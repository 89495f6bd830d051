/**
 * Where the emulator lives: the mapping between URLs and (data centre, accounts server or CRM API).
 * One scheme per transport: the node:http server serves every data centre under its own origin, the
 * msw handlers answer on Zoho's real hosts.
 *
 * @module
 */
import { REGION_CODES, REGIONS, type RegionCode } from '../../regions.js';

/**
 * A request resolved to its data centre and server.
 * @example
 * ```ts
 * const target: EmulatorTarget | undefined = zohoUrlScheme().resolve(new URL('https://accounts.zoho.eu/oauth/v2/token'));
 * // { dataCenter: 'EU', service: 'accounts', path: '/oauth/v2/token' }
 * ```
 * @group Router
 */
export interface EmulatorTarget {
  /** Data centre addressed. */
  readonly dataCenter: RegionCode;
  /** `accounts` (Zoho Accounts: OAuth) or `api` (CRM REST). */
  readonly service: 'accounts' | 'api';
  /** Path below the server's base, starting with `/` (e.g. `/oauth/v2/token`, `/crm/v8/Contacts`). */
  readonly path: string;
}

/**
 * Maps URLs to data centres and back. Pass one to `createZohoRouter()`.
 * @example
 * ```ts
 * const scheme: UrlScheme = localUrlScheme('http://127.0.0.1:4010');
 * scheme.accountsUrl('US'); // 'http://127.0.0.1:4010/accounts/us'
 * ```
 * @group Router
 */
export interface UrlScheme {
  /** Resolves an incoming URL, or returns undefined when it is not an emulated Zoho server. */
  resolve(url: URL): EmulatorTarget | undefined;
  /** Accounts-server base URL of a data centre (no trailing slash). */
  accountsUrl(dataCenter: RegionCode): string;
  /** API domain of a data centre (no trailing slash); CRM lives under `${apiUrl}/crm/v8`. */
  apiUrl(dataCenter: RegionCode): string;
}

/**
 * The node:http server's scheme: `${baseUrl}/accounts/{dc}` and `${baseUrl}/api/{dc}` for every data centre.
 * @param baseUrl - The server's origin (optionally with a path prefix), e.g. `http://127.0.0.1:4010`.
 * @example
 * ```ts
 * localUrlScheme('http://127.0.0.1:4010').apiUrl('EU'); // 'http://127.0.0.1:4010/api/eu'
 * ```
 * @group Router
 */
export function localUrlScheme(baseUrl: string): UrlScheme {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const origin = `${base.origin}${prefix}`;
  const byLocation = new Map(REGION_CODES.map((c) => [c.toLowerCase(), c]));
  return {
    resolve(url) {
      let path = url.pathname;
      if (prefix) {
        if (!path.startsWith(`${prefix}/`)) return undefined;
        path = path.slice(prefix.length);
      }
      const m = /^\/(accounts|api)\/([a-z]{2})(\/.*)?$/.exec(path);
      if (!m) return undefined;
      const dataCenter = byLocation.get(m[2] ?? '');
      if (!dataCenter) return undefined;
      return { dataCenter, service: m[1] === 'accounts' ? 'accounts' : 'api', path: m[3] ?? '/' };
    },
    accountsUrl: (dc) => `${origin}/accounts/${dc.toLowerCase()}`,
    apiUrl: (dc) => `${origin}/api/${dc.toLowerCase()}`,
  };
}

/**
 * Zoho's real hosts (`accounts.zoho.eu`, `www.zohoapis.eu`, ... from `REGIONS`), for msw.
 * @example
 * ```ts
 * zohoUrlScheme().resolve(new URL('https://www.zohoapis.eu/crm/v8/Contacts'))?.dataCenter; // 'EU'
 * ```
 * @group Router
 */
export function zohoUrlScheme(): UrlScheme {
  const hosts = new Map<string, { dataCenter: RegionCode; service: 'accounts' | 'api' }>();
  for (const code of REGION_CODES) {
    const r = REGIONS[code];
    hosts.set(new URL(r.accountsUrl).host, { dataCenter: code, service: 'accounts' });
    hosts.set(new URL(r.apiDomain).host, { dataCenter: code, service: 'api' });
  }
  return {
    resolve(url) {
      if (url.protocol !== 'https:') return undefined;
      const hit = hosts.get(url.host);
      return hit ? { ...hit, path: url.pathname || '/' } : undefined;
    },
    accountsUrl: (dc) => REGIONS[dc].accountsUrl,
    apiUrl: (dc) => REGIONS[dc].apiDomain,
  };
}

/** Every origin `zohoUrlScheme()` answers on (for msw handlers). @internal */
export function zohoOrigins(): string[] {
  return REGION_CODES.flatMap((c) => [REGIONS[c].accountsUrl, REGIONS[c].apiDomain]);
}
