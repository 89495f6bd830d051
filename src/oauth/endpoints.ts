/**
 * Which accounts server and API base to use for a data centre, honouring endpoint overrides, and which
 * accounts server an OAuth callback may send us to. Pure.
 *
 * @module
 */
import { AuthError, ConfigError, ErrorCode } from '../errors.js';
import type { EndpointOverrides } from '../options.js';
import {
  getRegion,
  REGIONS,
  type RegionCode,
  regionFromAccountsServer,
  regionFromApiDomain,
} from '../regions.js';

/** @internal */
export interface RegionTarget {
  region: RegionCode;
  /** Accounts server to call for this region. */
  accountsUrl: string;
  /** API base override for this region, when one is configured (else the token's `api_domain`). */
  apiUrl: string | undefined;
}

/** The accounts server and API override for a region. @internal */
export function endpointsFor(region: RegionCode, overrides: EndpointOverrides | undefined): RegionTarget {
  const perRegion = overrides?.regions?.[region];
  return {
    region,
    accountsUrl: trimSlash(perRegion?.accountsUrl ?? overrides?.accountsUrl ?? REGIONS[region].accountsUrl),
    apiUrl: perRegion?.apiUrl ?? overrides?.apiUrl,
  };
}

/**
 * Where to exchange a callback's code. The callback's `accounts-server` wins (an EU user who started at
 * the US accounts server is sent back with the EU one), but only Zoho's own accounts servers and
 * configured overrides are accepted: the client secret is about to be posted there.
 * @throws {@link AuthError} `AUTH_INVALID_CALLBACK` for any other server.
 * @internal
 */
export function resolveCallbackTarget(
  callback: { location?: string | undefined; accountsServer?: string | undefined },
  configured: RegionCode,
  overrides: EndpointOverrides | undefined,
): RegionTarget {
  const fromLocation = callback.location ? regionOfLocation(callback.location) : undefined;
  const server = callback.accountsServer ? trimSlash(callback.accountsServer) : undefined;
  if (server) {
    for (const [code, endpoints] of Object.entries(overrides?.regions ?? {})) {
      if (endpoints && trimSlash(endpoints.accountsUrl) === server) {
        return endpointsFor(code as RegionCode, overrides);
      }
    }
    if (overrides?.accountsUrl && trimSlash(overrides.accountsUrl) === server) {
      return endpointsFor(fromLocation ?? configured, overrides);
    }
    try {
      return endpointsFor(regionFromAccountsServer(server).code, overrides);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new AuthError(
        ErrorCode.AUTH_INVALID_CALLBACK,
        'The callback names an accounts server that is neither Zoho nor a configured endpoint; it was not contacted.',
      );
    }
  }
  return endpointsFor(fromLocation ?? configured, overrides);
}

/**
 * The accounts server a stored grant may be refreshed or revoked at. The store entry's
 * `accountsServer` is data, not configuration: it is honoured only when it is one of Zoho's accounts
 * servers over https (the region table) or a configured override, and the URL returned is always the
 * table's or the configuration's, never the stored string.
 * @throws {@link AuthError} `AUTH_UNTRUSTED_ACCOUNTS_SERVER` for anything else; nothing is sent then.
 * @internal
 */
export function trustedAccountsUrl(
  accountsServer: unknown,
  overrides: EndpointOverrides | undefined,
): string {
  const server = typeof accountsServer === 'string' ? trimSlash(accountsServer.trim()) : '';
  const configured = [
    ...Object.values(overrides?.regions ?? {}).map((endpoints) => endpoints?.accountsUrl),
    overrides?.accountsUrl,
  ];
  for (const url of configured) if (url && trimSlash(url) === server) return trimSlash(url);
  try {
    return regionFromAccountsServer(server).accountsUrl;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new AuthError(
      ErrorCode.AUTH_UNTRUSTED_ACCOUNTS_SERVER,
      "The stored grant names an accounts server that is neither one of Zoho's nor a configured endpoint; no secret was sent to it. Check who can write the token store, then authorize again.",
      { reauthorize: true },
    );
  }
}

/**
 * The API domain a stored grant's access token may be sent to. Like `accountsServer`, the store entry's
 * `apiDomain` is data: it is honoured only when it is a configured override or one of Zoho's API
 * domains over https; anything else falls back to the region table's domain for the grant's region, so
 * a tampered entry can never route the access token elsewhere.
 * @internal
 */
export function trustedApiDomain(
  apiDomain: unknown,
  region: RegionCode,
  overrides: EndpointOverrides | undefined,
): string {
  const configured = endpointsFor(region, overrides).apiUrl;
  if (configured) return configured;
  const domain = typeof apiDomain === 'string' ? trimSlash(apiDomain.trim()) : '';
  try {
    regionFromApiDomain(domain);
    return new URL(domain).origin;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return getRegion(region).apiDomain;
  }
}

function regionOfLocation(location: string): RegionCode | undefined {
  try {
    return getRegion(location).code;
  } catch {
    return undefined;
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
