/**
 * Zoho data centres as data, and pure functions that resolve one from a region code, an OAuth callback
 * or a token response. Sources: docs/zoho-facts.md §1.1 (Zoho's v8 SDK data-centre classes, Zoho Accounts'
 * multi-DC page) and §12 Q7.
 *
 * @module
 */
import { ConfigError } from './errors.js';

/**
 * A Zoho data-centre code.
 * @group Regions
 */
export type RegionCode = 'US' | 'EU' | 'IN' | 'AU' | 'CN' | 'JP' | 'CA' | 'SA' | 'UK';

/**
 * Everything the connector needs to talk to one Zoho data centre.
 * @group Regions
 */
export interface Region {
  /** Our region code, e.g. `EU`. */
  readonly code: RegionCode;
  /** Human-readable name for admin UIs, e.g. `Europe`. */
  readonly name: string;
  /** The `location` value Zoho puts on the OAuth callback, e.g. `eu`. */
  readonly location: string;
  /** Zoho Accounts server (authorize, token, revoke), e.g. `https://accounts.zoho.eu`. */
  readonly accountsUrl: string;
  /** CRM API domain (`{apiDomain}/crm/v8/...`), e.g. `https://www.zohoapis.eu`. */
  readonly apiDomain: string;
  /** CRM web application, used to build record URLs for screen pops, e.g. `https://crm.zoho.eu`. */
  readonly crmWebUrl: string;
  /**
   * False where Zoho has not documented the API domain (UK): the connector then trusts the token
   * response's `api_domain` over this table.
   */
  readonly verified: boolean;
}

function region(
  code: RegionCode,
  name: string,
  accountsUrl: string,
  apiDomain: string,
  crmWebUrl: string,
  verified = true,
): Region {
  return Object.freeze({
    code,
    name,
    location: code.toLowerCase(),
    accountsUrl,
    apiDomain,
    crmWebUrl,
    verified,
  });
}

/**
 * Every Zoho data centre the connector supports, keyed by region code.
 * CA is the odd one: its accounts server is `accounts.zohocloud.ca` while its API domain is `www.zohoapis.ca`.
 * UK's API domain is not in Zoho's SDKs; the token response's `api_domain` is used when it differs.
 * @group Regions
 */
export const REGIONS: Readonly<Record<RegionCode, Region>> = Object.freeze({
  US: region(
    'US',
    'United States',
    'https://accounts.zoho.com',
    'https://www.zohoapis.com',
    'https://crm.zoho.com',
  ),
  EU: region('EU', 'Europe', 'https://accounts.zoho.eu', 'https://www.zohoapis.eu', 'https://crm.zoho.eu'),
  IN: region('IN', 'India', 'https://accounts.zoho.in', 'https://www.zohoapis.in', 'https://crm.zoho.in'),
  AU: region(
    'AU',
    'Australia',
    'https://accounts.zoho.com.au',
    'https://www.zohoapis.com.au',
    'https://crm.zoho.com.au',
  ),
  CN: region(
    'CN',
    'China',
    'https://accounts.zoho.com.cn',
    'https://www.zohoapis.com.cn',
    'https://crm.zoho.com.cn',
  ),
  JP: region('JP', 'Japan', 'https://accounts.zoho.jp', 'https://www.zohoapis.jp', 'https://crm.zoho.jp'),
  CA: region(
    'CA',
    'Canada',
    'https://accounts.zohocloud.ca',
    'https://www.zohoapis.ca',
    'https://crm.zohocloud.ca',
  ),
  SA: region(
    'SA',
    'Saudi Arabia',
    'https://accounts.zoho.sa',
    'https://www.zohoapis.sa',
    'https://crm.zoho.sa',
  ),
  UK: region(
    'UK',
    'United Kingdom',
    'https://accounts.zoho.uk',
    'https://www.zohoapis.uk',
    'https://crm.zoho.uk',
    false,
  ),
});

/**
 * Every region code, in the order admin UIs usually list them.
 * @group Regions
 */
export const REGION_CODES: readonly RegionCode[] = Object.freeze(Object.keys(REGIONS) as RegionCode[]);

/**
 * Whether a string is a supported region code (case-sensitive, upper case).
 * @example
 * ```ts
 * isRegionCode('EU'); // true
 * ```
 * @group Regions
 */
export function isRegionCode(value: unknown): value is RegionCode {
  return typeof value === 'string' && Object.hasOwn(REGIONS, value);
}

/**
 * The data centre for a region code. Accepts any letter case and Zoho's own `com` alias for US.
 * @throws {@link ConfigError} for an unknown code.
 * @example
 * ```ts
 * getRegion('eu').apiDomain; // 'https://www.zohoapis.eu'
 * ```
 * @group Regions
 */
export function getRegion(code: string): Region {
  const upper = typeof code === 'string' ? code.trim().toUpperCase() : '';
  const normalized = upper === 'COM' ? 'US' : upper;
  if (!isRegionCode(normalized)) {
    throw new ConfigError([
      { path: 'region', message: `unknown Zoho region; expected one of ${REGION_CODES.join(', ')}` },
    ]);
  }
  return REGIONS[normalized];
}

/**
 * The data centre named by an OAuth callback. Zoho sends `location` (e.g. `eu`) and `accounts-server`
 * (e.g. `https://accounts.zoho.eu`); the accounts server wins when both are present. Only Zoho's own
 * accounts servers are accepted: the callback's query string is user-controlled, and the client secret
 * is about to be posted to the server it names.
 * @throws {@link ConfigError} when neither value names a known data centre, they disagree, or the
 *   callback is not an object of strings (`null`, a number…).
 * @example
 * ```ts
 * regionFromCallback({ location: 'eu', accountsServer: 'https://accounts.zoho.eu' }).code; // 'EU'
 * ```
 * @group Regions
 */
export function regionFromCallback(callback: {
  location?: string | null;
  accountsServer?: string | null;
}): Region {
  if (typeof callback !== 'object' || callback === null) {
    throw new ConfigError([
      { path: 'callback', message: 'must be an object with location / accountsServer' },
    ]);
  }
  const { location, accountsServer } = callback;
  for (const [path, value] of [
    ['location', location],
    ['accounts-server', accountsServer],
  ] as const) {
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw new ConfigError([{ path, message: 'must be a string' }]);
    }
  }
  const byServer = accountsServer ? regionFromAccountsServer(accountsServer) : undefined;
  const byLocation = location ? regionFromLocation(location) : undefined;
  if (byServer && byLocation && byServer.code !== byLocation.code) {
    throw new ConfigError([
      {
        path: 'callback',
        message: 'the location and accounts-server parameters name different data centres',
      },
    ]);
  }
  const found = byServer ?? byLocation;
  if (!found) {
    throw new ConfigError([
      {
        path: 'callback',
        message: 'the callback names no known Zoho data centre (location / accounts-server)',
      },
    ]);
  }
  return found;
}

/**
 * The data centre of a Zoho accounts server URL (`https://accounts.zoho.eu`, with or without a path).
 * @throws {@link ConfigError} for anything that is not one of Zoho's accounts servers over https.
 * @example
 * ```ts
 * regionFromAccountsServer('https://accounts.zohocloud.ca').code; // 'CA'
 * ```
 * @group Regions
 */
export function regionFromAccountsServer(accountsServer: string): Region {
  const host = httpsHost(accountsServer, 'accounts-server');
  const found = REGION_CODES.map((code) => REGIONS[code]).find((r) => new URL(r.accountsUrl).host === host);
  if (!found) {
    throw new ConfigError([{ path: 'accounts-server', message: 'not a known Zoho accounts server' }]);
  }
  return found;
}

/**
 * The data centre of a token response's `api_domain` (`https://www.zohoapis.eu`; the `sandbox.` and
 * `developer.` environments resolve to their data centre too).
 * @throws {@link ConfigError} for anything that is not a Zoho API domain over https.
 * @example
 * ```ts
 * regionFromApiDomain('https://www.zohoapis.com.au').code; // 'AU'
 * ```
 * @group Regions
 */
export function regionFromApiDomain(apiDomain: string): Region {
  const host = httpsHost(apiDomain, 'api_domain');
  const suffix = host.replace(/^(www|sandbox|developer)\./, '');
  const found = REGION_CODES.map((code) => REGIONS[code]).find(
    (r) => new URL(r.apiDomain).host.replace(/^www\./, '') === suffix,
  );
  if (!found) throw new ConfigError([{ path: 'api_domain', message: 'not a known Zoho API domain' }]);
  return found;
}

/**
 * The web URL of a CRM record, for screen pops: `https://crm.zoho.eu/crm/tab/Contacts/123`.
 * With an org id (`org12345`-style URLs) the link opens directly in that organisation.
 * @throws {@link ConfigError} when an argument is not a string (or `region` has no `crmWebUrl`).
 * @example
 * ```ts
 * recordUrl(getRegion('US'), 'Leads', '4876876000000333001'); // 'https://crm.zoho.com/crm/tab/Leads/4876876000000333001'
 * ```
 * @group Regions
 */
export function recordUrl(
  region: Pick<Region, 'crmWebUrl'>,
  module: string,
  id: string,
  orgId?: string,
): string {
  const base = (region as { crmWebUrl?: unknown } | null | undefined)?.crmWebUrl;
  const issues = [
    ...(typeof base === 'string' ? [] : [{ path: 'region', message: 'must be a Region (with crmWebUrl)' }]),
    ...(typeof module === 'string' ? [] : [{ path: 'module', message: 'must be a string' }]),
    ...(typeof id === 'string' ? [] : [{ path: 'id', message: 'must be a string' }]),
    ...(orgId === undefined || typeof orgId === 'string'
      ? []
      : [{ path: 'orgId', message: 'must be a string' }]),
  ];
  if (issues.length > 0) throw new ConfigError(issues, 'recordUrl arguments');
  return recordWebUrl(region, module, id, orgId);
}

/** {@link recordUrl} for arguments the library made itself (no checks: a lookup builds one per match). @internal */
export function recordWebUrl(
  region: Pick<Region, 'crmWebUrl'>,
  module: string,
  id: string,
  orgId?: string,
): string {
  const org = orgId ? `org${encodeURIComponent(orgId)}/` : '';
  return `${region.crmWebUrl}/crm/${org}tab/${encodeURIComponent(module)}/${encodeURIComponent(id)}`;
}

// --- Internal helpers ---

function regionFromLocation(location: string): Region {
  const code = location.trim().toUpperCase();
  const normalized = code === 'COM' ? 'US' : code;
  if (!isRegionCode(normalized)) {
    throw new ConfigError([{ path: 'location', message: 'not a known Zoho data-centre location' }]);
  }
  return REGIONS[normalized];
}

function httpsHost(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError([{ path: what, message: 'not a valid URL' }]);
  }
  if (url.protocol !== 'https:') throw new ConfigError([{ path: what, message: 'must use https' }]);
  return url.host.toLowerCase();
}
