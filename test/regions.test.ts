import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import {
  getRegion,
  isRegionCode,
  REGION_CODES,
  REGIONS,
  recordUrl,
  regionFromAccountsServer,
  regionFromApiDomain,
  regionFromCallback,
} from '../src/regions.js';

// docs/zoho-facts.md §1.1: accounts server, API domain and CRM web host of every data centre.
const TABLE = [
  ['US', 'us', 'https://accounts.zoho.com', 'https://www.zohoapis.com', 'https://crm.zoho.com', true],
  ['EU', 'eu', 'https://accounts.zoho.eu', 'https://www.zohoapis.eu', 'https://crm.zoho.eu', true],
  ['IN', 'in', 'https://accounts.zoho.in', 'https://www.zohoapis.in', 'https://crm.zoho.in', true],
  [
    'AU',
    'au',
    'https://accounts.zoho.com.au',
    'https://www.zohoapis.com.au',
    'https://crm.zoho.com.au',
    true,
  ],
  [
    'CN',
    'cn',
    'https://accounts.zoho.com.cn',
    'https://www.zohoapis.com.cn',
    'https://crm.zoho.com.cn',
    true,
  ],
  ['JP', 'jp', 'https://accounts.zoho.jp', 'https://www.zohoapis.jp', 'https://crm.zoho.jp', true],
  ['CA', 'ca', 'https://accounts.zohocloud.ca', 'https://www.zohoapis.ca', 'https://crm.zohocloud.ca', true],
  ['SA', 'sa', 'https://accounts.zoho.sa', 'https://www.zohoapis.sa', 'https://crm.zoho.sa', true],
  ['UK', 'uk', 'https://accounts.zoho.uk', 'https://www.zohoapis.uk', 'https://crm.zoho.uk', false],
] as const;

describe('REGIONS', () => {
  it('lists exactly the nine Zoho data centres', () => {
    expect(REGION_CODES).toEqual(TABLE.map((row) => row[0]));
  });

  it.each(TABLE)(
    '%s: accounts, API and web hosts',
    (code, location, accountsUrl, apiDomain, crmWebUrl, verified) => {
      expect(REGIONS[code]).toMatchObject({ code, location, accountsUrl, apiDomain, crmWebUrl, verified });
      expect(getRegion(code)).toBe(REGIONS[code]);
    },
  );

  it.each(TABLE)(
    '%s: resolves from its location, accounts server and API domain',
    (code, location, accountsUrl, apiDomain) => {
      expect(regionFromCallback({ location }).code).toBe(code);
      expect(regionFromCallback({ accountsServer: accountsUrl }).code).toBe(code);
      expect(regionFromCallback({ location, accountsServer: accountsUrl }).code).toBe(code);
      expect(regionFromAccountsServer(`${accountsUrl}/`).code).toBe(code);
      expect(regionFromApiDomain(apiDomain).code).toBe(code);
      expect(regionFromApiDomain(apiDomain.replace('://www.', '://sandbox.')).code).toBe(code);
      expect(regionFromApiDomain(apiDomain.replace('://www.', '://developer.')).code).toBe(code);
    },
  );

  it('CA keeps its accounts server on zohocloud.ca and its API on zohoapis.ca', () => {
    expect(regionFromAccountsServer('https://accounts.zohocloud.ca').apiDomain).toBe(
      'https://www.zohoapis.ca',
    );
  });

  it('is frozen', () => {
    expect(Object.isFrozen(REGIONS)).toBe(true);
    expect(Object.isFrozen(REGIONS.US)).toBe(true);
  });
});

describe('getRegion', () => {
  it('accepts any letter case and the com alias', () => {
    expect(getRegion(' eu ').code).toBe('EU');
    expect(getRegion('com').code).toBe('US');
  });

  it.each(['', 'XX', 'europe', 'U S'])('rejects %j with a ConfigError naming region', (bad) => {
    expect(() => getRegion(bad)).toThrow(ConfigError);
    expect(() => getRegion(bad)).toThrow(/region: unknown Zoho region/);
  });

  it('rejects a non-string at runtime', () => {
    expect(() => getRegion(undefined as unknown as string)).toThrow(ConfigError);
  });
});

describe('isRegionCode', () => {
  it('is case-sensitive and rejects non-strings', () => {
    expect(isRegionCode('SA')).toBe(true);
    expect(isRegionCode('sa')).toBe(false);
    expect(isRegionCode(1)).toBe(false);
    expect(isRegionCode('toString')).toBe(false);
  });
});

describe('regionFromCallback', () => {
  it('lets the accounts server win: an EU user authorizing through the US start URL lands on EU', () => {
    expect(regionFromCallback({ location: 'eu', accountsServer: 'https://accounts.zoho.eu' }).code).toBe(
      'EU',
    );
  });

  it('accepts the com alias for location', () => {
    expect(regionFromCallback({ location: 'com' }).code).toBe('US');
  });

  it('rejects location and accounts server that disagree', () => {
    expect(() => regionFromCallback({ location: 'us', accountsServer: 'https://accounts.zoho.eu' })).toThrow(
      /different data centres/,
    );
  });

  it('rejects a callback without either value', () => {
    expect(() => regionFromCallback({})).toThrow(/names no known Zoho data centre/);
    expect(() => regionFromCallback({ location: null, accountsServer: null })).toThrow(ConfigError);
  });

  it('rejects an unknown location', () => {
    expect(() => regionFromCallback({ location: 'mars' })).toThrow(/location: not a known/);
  });
});

describe('regionFromAccountsServer', () => {
  it.each([
    ['a forged host', 'https://accounts.zoho.com.evil.example'],
    ['a look-alike', 'https://accounts-zoho.com'],
    ['the API domain', 'https://www.zohoapis.com'],
  ])('refuses %s, so a forged callback cannot receive the client secret', (_label, url) => {
    expect(() => regionFromAccountsServer(url)).toThrow(/not a known Zoho accounts server/);
  });

  it('refuses plain http', () => {
    expect(() => regionFromAccountsServer('http://accounts.zoho.com')).toThrow(/must use https/);
  });

  it('refuses malformed URLs', () => {
    expect(() => regionFromAccountsServer('accounts.zoho.com')).toThrow(/not a valid URL/);
  });
});

describe('regionFromApiDomain', () => {
  it('refuses unknown hosts', () => {
    expect(() => regionFromApiDomain('https://www.zohoapis.example')).toThrow(/not a known Zoho API domain/);
    expect(() => regionFromApiDomain('http://www.zohoapis.com')).toThrow(/must use https/);
  });
});

describe('recordUrl', () => {
  it('builds the CRM web URL of a record in its data centre', () => {
    expect(recordUrl(REGIONS.EU, 'Contacts', '4876876000000333001')).toBe(
      'https://crm.zoho.eu/crm/tab/Contacts/4876876000000333001',
    );
  });

  it('includes the org when known, and encodes path parts', () => {
    expect(recordUrl(REGIONS.CA, 'Leads', 'a/b', '123')).toBe(
      'https://crm.zohocloud.ca/crm/org123/tab/Leads/a%2Fb',
    );
  });
});
