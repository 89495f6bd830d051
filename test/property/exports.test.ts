/**
 * Property suite over every exported function of the package entries (`zoho-crm-connector` and
 * `zoho-crm-connector/testing`): hostile arguments never hang, never pollute a prototype, and fail only
 * with a typed ZohoCrmError (the testing entry reports misuse of test tooling with a plain TypeError or
 * RangeError, its documented convention).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as pkg from '../../src/index.js';
import * as testing from '../../src/testing/index.js';
import { anyText, anyValue, expectNoPollution, expectTyped, RUNS, settle } from './arbitraries.js';

const testingMisuse = (error: unknown) => error instanceof TypeError || error instanceof RangeError;
/** classifyNumber/toE164 document a RangeError for a bad `maxExtensionLength`. */
const extensionRange = (error: unknown) =>
  error instanceof RangeError && /maxExtensionLength/.test(error.message);

type Case = readonly [
  name: string,
  args: fc.Arbitrary<unknown[]>,
  call: (args: unknown[]) => unknown,
  allowed?: (error: unknown) => boolean,
];
const any1 = fc.tuple(anyValue);
const text1 = fc.tuple(anyText);
const fn = pkg as unknown as Record<string, (...args: unknown[]) => unknown>;

const PACKAGE_CASES: Case[] = [
  ['creditsForWrite', any1, (a) => fn.creditsForWrite?.(...a)],
  ['dailyCredits', fc.tuple(anyValue, anyValue, anyValue), (a) => fn.dailyCredits?.(...a)],
  ['isZohoCrmError', any1, (a) => expect(typeof fn.isZohoCrmError?.(...a)).toBe('boolean')],
  ['createMemoryJournalStore', any1, (a) => fn.createMemoryJournalStore?.(...a)],
  [
    'signPublicLink',
    fc.tuple(
      anyText,
      fc.oneof(anyValue, fc.record({ secret: anyText, expiresInSeconds: anyValue, now: anyValue })),
    ),
    (a) => fn.signPublicLink?.(...a),
  ],
  [
    'verifyPublicLink',
    fc.tuple(anyText, fc.oneof(anyValue, fc.record({ secret: fc.constant('s'.repeat(32)), now: anyValue }))),
    (a) => fn.verifyPublicLink?.(...a),
  ],
  [
    'noopLogger',
    fc.array(anyValue, { maxLength: 3 }),
    (a) => pkg.noopLogger.warn(a[0] as Record<string, unknown>, a[1] as string),
  ],
  [
    'buildAuthorizeUrl',
    fc.oneof(
      any1,
      fc.tuple(
        fc.dictionary(
          fc.constantFrom('clientId', 'redirectUri', 'state', 'scopes', 'region', 'accountsUrl', '__proto__'),
          anyText,
        ),
      ),
    ),
    (a) => fn.buildAuthorizeUrl?.(...a),
  ],
  ['parseCallback', any1, (a) => fn.parseCallback?.(...a)],
  ['classifyNumber', fc.tuple(anyText, anyText, anyValue), (a) => fn.classifyNumber?.(...a), extensionRange],
  ['toE164', fc.tuple(anyText, anyText, anyValue), (a) => fn.toE164?.(...a), extensionRange],
  ['isSupportedCountry', any1, (a) => expect(typeof fn.isSupportedCountry?.(...a)).toBe('boolean')],
  ['phoneSearchTerms', text1, (a) => fn.phoneSearchTerms?.(...a)],
  ['matchesNumber', fc.tuple(anyText, anyText, anyValue), (a) => fn.matchesNumber?.(...a)],
  ['formatForDisplay', text1, (a) => fn.formatForDisplay?.(...a)],
  ['isRegionCode', any1, (a) => expect(typeof fn.isRegionCode?.(...a)).toBe('boolean')],
  ['getRegion', any1, (a) => fn.getRegion?.(...a)],
  ['regionFromCallback', any1, (a) => fn.regionFromCallback?.(...a)],
  ['regionFromAccountsServer', text1, (a) => fn.regionFromAccountsServer?.(...a)],
  ['regionFromApiDomain', text1, (a) => fn.regionFromApiDomain?.(...a)],
  ['recordUrl', fc.tuple(anyValue, anyValue, anyValue), (a) => fn.recordUrl?.(...a)],
  ['new ZohoCrmConnector', any1, (a) => new pkg.ZohoCrmConnector(a[0] as pkg.ConnectorOptions).close()],
  [
    'createMemoryStore',
    fc.tuple(fc.constantFrom('get', 'set', 'delete', 'withLock'), anyValue, anyValue, anyValue),
    async ([method, ...rest]) => {
      const store = pkg.createMemoryStore() as unknown as Record<string, (...args: unknown[]) => unknown>;
      return store[method as string]?.(...rest);
    },
  ],
  [
    'createConnectorRegistry',
    fc.oneof(
      any1,
      fc.tuple(
        fc.record(
          {
            redirectUri: anyValue,
            stateSecret: anyValue,
            tokenStore: fc.oneof(anyValue, fc.constant(pkg.createMemoryStore())),
            settings: fc.oneof(
              anyValue,
              fc.constant(() => undefined),
            ),
            idleMs: anyValue,
            logger: anyValue,
            fetch: anyValue,
            connectorOptions: anyValue,
            __proto__: anyValue,
          },
          { requiredKeys: [] },
        ),
      ),
    ),
    (a) => (fn.createConnectorRegistry?.(...a) as unknown as pkg.ConnectorRegistry | undefined)?.close(),
  ],
  ['parseTenantSettings', fc.tuple(anyValue, anyValue), (a) => fn.parseTenantSettings?.(...a)],
  [
    'connectorOptionsFromSettings',
    fc.tuple(
      anyValue,
      fc.oneof(anyValue, fc.constant({ clientId: '1000.X', clientSecret: 'secret' })),
      anyValue,
    ),
    (a) => fn.connectorOptionsFromSettings?.(...a),
  ],
  ['assertTenantId', any1, (a) => fn.assertTenantId?.(...a)],
  [
    'createMemorySettingsStore',
    fc.tuple(
      fc.constantFrom('get', 'set', 'delete', 'list'),
      fc.oneof(anyValue, fc.constant('tenant-1')),
      anyValue,
    ),
    async ([method, ...rest]) => {
      const store = pkg.createMemorySettingsStore() as unknown as Record<
        string,
        (...args: unknown[]) => unknown
      >;
      return store[method as string]?.(...rest);
    },
  ],
];

const t = testing as unknown as Record<string, (...args: unknown[]) => unknown>;
const TESTING_CASES: Case[] = [
  ['createZohoRouter', fc.tuple(anyValue, anyValue), (a) => t.createZohoRouter?.(...a)],
  ['localUrlScheme', text1, (a) => t.localUrlScheme?.(...a)],
  ['zohoUrlScheme().resolve', any1, (a) => testing.zohoUrlScheme().resolve(a[0] as URL)],
  ['createZohoEmulatorState', any1, (a) => t.createZohoEmulatorState?.(...a)],
  [
    'startZohoEmulator',
    // Loopback on a free port only: an arbitrary host or port would reach the network or need root.
    fc.tuple(
      fc.record(
        {
          maxBodyBytes: anyValue,
          headersTimeoutMs: anyValue,
          requestTimeoutMs: anyValue,
          keepAliveTimeoutMs: anyValue,
          edition: anyValue,
          dataCenter: anyValue,
          __proto__: anyValue,
        },
        { requiredKeys: [] },
      ),
    ),
    async ([options]) => {
      const emu = await testing.startZohoEmulator({ ...(options as object), port: 0, host: '127.0.0.1' });
      await emu.close();
    },
  ],
];

describe('property: exported functions take any input', () => {
  afterEach(() => expectNoPollution());

  it('every runtime export of both entries is covered by a case', () => {
    const covered = new Set(
      [...PACKAGE_CASES, ...TESTING_CASES].map(([name]) => name.replace(/^new /, '').replace(/\(.*$/, '')),
    );
    const functions = (entry: object) =>
      Object.entries(entry)
        .filter(([, value]) => typeof value === 'function' && !/^[A-Z]/.test(value.name))
        .map(([name]) => name);
    const uncovered = [...functions(pkg), ...functions(testing)].filter(
      (name) =>
        !covered.has(name) &&
        // Test assertion helpers: throwing (an Error naming the broken rule) is their job.
        name !== 'assertTokenStoreContract' &&
        name !== 'assertJournalStoreContract' &&
        name !== 'assertSettingsStoreContract',
    );
    expect(uncovered).toEqual([]);
  });

  it.each(PACKAGE_CASES.map((c) => ({ name: c[0], c })))(
    '$name: settles with a value or a typed ZohoCrmError',
    async ({ c: [, args, call, allowed] }) => {
      await fc.assert(
        fc.asyncProperty(args, async (input) => {
          expectTyped(await settle(() => call(input)), allowed);
          expectNoPollution();
        }),
        { numRuns: RUNS },
      );
    },
  );

  it.each(TESTING_CASES.map((c) => ({ name: c[0], c })))(
    '$name (testing entry): settles; misuse is a TypeError or RangeError',
    async ({ c: [, args, call] }) => {
      await fc.assert(
        fc.asyncProperty(args, async (input) => {
          expectTyped(await settle(() => call(input)), testingMisuse);
          expectNoPollution();
        }),
        { numRuns: RUNS },
      );
    },
  );
});
