/**
 * `ConnectorOptions`: the hand-written, documented interface hosts see, and the strict zod schema that
 * validates it once at construction. A type test (test/types/options.test-d.ts) keeps the two equal.
 *
 * @module
 */
import { z } from 'zod';
import { EDITION_NAMES, type Edition } from './editions.js';
import { ConfigError } from './errors.js';
import type { Logger } from './logger.js';
import { REGION_CODES, type RegionCode } from './regions.js';
import type { TokenStore } from './stores/types.js';

/**
 * A CRM module the caller-ID lookup can search.
 * @group Options
 */
export type LookupModule = 'Contacts' | 'Leads' | 'Accounts';

/**
 * A contact from the host's own PBX directory.
 * @group Options
 */
export interface PbxContact {
  /** Display name to show on the ringing phone. */
  name: string;
  /** The host's own id for the contact. */
  id?: string;
  /** Company, when the PBX directory knows it. */
  company?: string;
}

/**
 * The host's own directory, consulted before Zoho when `lookup.query` is `'whenNotFoundInPbx'`.
 * @group Options
 */
export interface PbxContactsProvider {
  /** Returns the PBX contact that owns an E.164 number, or undefined. */
  lookup(e164: string): Promise<PbxContact | undefined> | PbxContact | undefined;
}

/**
 * The two base URLs of one data centre.
 * @group Options
 */
export interface RegionEndpoints {
  /** Accounts server (authorize, token, revoke). */
  accountsUrl: string;
  /** API domain (`{apiUrl}/crm/v8/...`). */
  apiUrl: string;
}

/**
 * Where to send OAuth and CRM calls instead of Zoho's hosts: the embedded emulator, a recording proxy,
 * an egress gateway. Accounts servers named here are the only ones (besides Zoho's own) a callback's
 * `accounts-server` may point at.
 * @example
 * ```ts
 * const emu = await startZohoEmulator();
 * const endpoints: EndpointOverrides = { accountsUrl: emu.accountsUrl, apiUrl: emu.apiUrl };
 * const perRegion: EndpointOverrides = { regions: emu.regions };   // every data centre, for multi-DC tests
 * ```
 * @group Options
 */
export interface EndpointOverrides {
  /** Replaces the accounts server of the configured region, e.g. the emulator's `accountsUrl`. */
  accountsUrl?: string;
  /**
   * Replaces the API domain for every CRM call (otherwise the token response's `api_domain` is used),
   * e.g. the emulator's `apiUrl`.
   */
  apiUrl?: string;
  /** Per data centre overrides, e.g. the emulator's `regions`. */
  regions?: Partial<Record<RegionCode, RegionEndpoints>>;
}

/**
 * Caller-ID lookup settings (the seed's "Contact Lookup Order" and "Query CRM").
 * @group Options
 */
export interface LookupOptions {
  /**
   * Modules to search, highest priority first. Each module appears at most once.
   * @default ['Contacts', 'Leads', 'Accounts']
   */
  order?: LookupModule[];
  /**
   * `'always'` queries Zoho on every lookup; `'whenNotFoundInPbx'` asks `pbxContacts` first and only
   * queries Zoho when the PBX has no match (then `pbxContacts` is required).
   * @default 'always'
   */
  query?: 'always' | 'whenNotFoundInPbx';
  /**
   * ISO 3166-1 alpha-2 country for numbers dialled without a country code.
   * @default 'US'
   */
  defaultCountry?: string;
  /**
   * Ring deadline in ms: past it `lookupCaller` resolves `null` while the answer still fills the cache.
   * @default 1500
   */
  timeoutMs?: number;
  /**
   * `'sequential'` stops at the first module with a match (fewest credits); `'parallel'` queries all
   * modules at once (lowest latency).
   * @default 'sequential'
   */
  strategy?: 'sequential' | 'parallel';
  /**
   * `'search'` uses Zoho's phone search and verifies every hit; `'coql'` queries exact equality on each
   * phone field (no search-index lag, but numbers must be stored exactly in a known format).
   * @default 'search'
   */
  method?: 'search' | 'coql';
  /**
   * With `method: 'search'`: how many query forms to try per module before moving on (1 to 4: national
   * number, international digits, national digits with trunk prefix, E.164). Each costs a search.
   * @default 1
   */
  searchTermsPerModule?: number;
  /**
   * When several records in one module hold the number: the most recently modified wins, or the first
   * Zoho returned. The others are listed in `alternatives`.
   * @default 'mostRecentlyModified'
   */
  multipleMatches?: 'mostRecentlyModified' | 'firstReturned';
  /**
   * Also verify custom phone fields, discovered once per module through field metadata (one extra call
   * per module per connector lifetime).
   * @default false
   */
  discoverPhoneFields?: boolean;
  /** Cache bounds and lifetimes. */
  cache?: LookupCacheOptions;
}

/**
 * Caller-ID cache settings.
 * @group Options
 */
export interface LookupCacheOptions {
  /**
   * Most numbers kept.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * How long a found caller is remembered, in ms.
   * @default 300000
   */
  ttlMs?: number;
  /**
   * How long "not found" is remembered, in ms.
   * @default 60000
   */
  negativeTtlMs?: number;
}

/**
 * Call-journal settings (the seed's "Log Calls as Activities").
 * @group Options
 */
export interface JournalOptions {
  /**
   * Log trunk calls as Zoho CRM Calls activities.
   * @default true
   */
  enabled?: boolean;
  /**
   * Which recording link goes on the activity: the host's authenticated URL (`'private'`), a signed,
   * expiring URL that needs no sign-in (`'public'`), or none.
   * @default 'private'
   */
  recordingLink?: 'private' | 'public' | 'none';
  /**
   * Only calls that crossed a trunk are logged; internal extension-to-extension calls never are.
   * @default true
   */
  trunkCallsOnly?: boolean;
}

/**
 * Record-creation settings (the seed's "Create Contacts for New Numbers").
 * @group Options
 */
export interface CreateRecordsOptions {
  /**
   * Allow agents to create CRM records for unknown numbers.
   * @default true
   */
  enabled?: boolean;
  /**
   * Which module a new record goes to.
   * @default 'Contacts'
   */
  type?: 'Contacts' | 'Leads';
}

/**
 * HTTP behaviour toward Zoho.
 * @group Options
 */
export interface HttpOptions {
  /**
   * Per-attempt timeout in ms.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Deadline for a whole operation, retries included, in ms.
   * @default 30000
   */
  deadlineMs?: number;
  /**
   * Retries after the first attempt for network errors, 429 and 5xx.
   * @default 3
   */
  retries?: number;
  /**
   * Concurrent requests to Zoho from this connector. Defaults to the edition's concurrency limit.
   */
  maxConcurrency?: number;
}

/**
 * Everything a {@link ZohoCrmConnector} is configured with. Validated once, strictly: unknown keys and
 * bad values throw a {@link ConfigError} naming every bad path (never the value).
 * @example
 * ```ts
 * const options: ConnectorOptions = {
 *   connectionId: 'tenant-42',
 *   clientId: process.env.ZOHO_CLIENT_ID!,
 *   clientSecret: process.env.ZOHO_CLIENT_SECRET!,
 *   redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
 *   region: 'EU',
 *   edition: 'Enterprise',
 * };
 * ```
 * @group Options
 */
export interface ConnectorOptions {
  /** Key for stores, caches and ledgers: one connector per CRM connection (tenant). */
  connectionId: string;
  /** Client ID of the Zoho server-based client (API console). */
  clientId: string;
  /** Client secret of the Zoho client. Never logged, never echoed in errors. */
  clientSecret: string;
  /** Registered redirect URI, e.g. `https://pbx.example.com/api/auth/callback/zoho`. */
  redirectUri: string;
  /**
   * Data centre the admin picked; the OAuth callback's accounts server wins over it.
   * @default 'US'
   */
  region?: RegionCode;
  /**
   * Zoho CRM edition of the org: sets the concurrency gate and credit expectations.
   * @default 'Standard'
   */
  edition?: Edition;
  /** Where tokens live. Defaults to an in-memory store (tokens are lost on restart). */
  tokenStore?: TokenStore;
  /** Secret for signing OAuth `state`; defaults to a key derived from the client secret. */
  stateSecret?: string;
  /** OAuth scopes to request; defaults to the minimal set every feature needs. */
  scopes?: string[];
  /** Replace Zoho's hosts (emulator, proxy). */
  endpoints?: EndpointOverrides;
  /** Caller-ID lookup settings. */
  lookup?: LookupOptions;
  /** The host's own directory, for `lookup.query: 'whenNotFoundInPbx'`. */
  pbxContacts?: PbxContactsProvider;
  /** Call-journal settings. */
  journal?: JournalOptions;
  /** Record-creation settings. */
  createRecords?: CreateRecordsOptions;
  /** Timeouts, retries and concurrency toward Zoho. */
  http?: HttpOptions;
  /** pino-compatible logger; every line is redacted first. Silent by default. */
  logger?: Logger;
  /** fetch implementation to use; defaults to the global `fetch` at call time. */
  fetch?: typeof fetch;
}

// --- Schema ---

const isFunction = (value: unknown): boolean => typeof value === 'function';
const hasMethods =
  (...names: string[]) =>
  (value: unknown): boolean =>
    typeof value === 'object' &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');

const nonEmpty = z.string().trim().min(1);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const positiveInt = (max: number) => z.number().int().positive().max(max);

const LookupCacheSchema = z.strictObject({
  maxEntries: positiveInt(10_000_000).default(10_000),
  ttlMs: positiveInt(7 * 24 * 3_600_000).default(300_000),
  negativeTtlMs: z
    .number()
    .int()
    .nonnegative()
    .max(24 * 3_600_000)
    .default(60_000),
});

const LookupSchema = z.strictObject({
  order: z
    .array(z.enum(['Contacts', 'Leads', 'Accounts']))
    .min(1)
    .refine((order) => new Set(order).size === order.length, 'each module may appear only once')
    .default(['Contacts', 'Leads', 'Accounts']),
  query: z.enum(['always', 'whenNotFoundInPbx']).default('always'),
  defaultCountry: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
    .transform((code) => code.toUpperCase())
    .default('US'),
  timeoutMs: positiveInt(60_000).default(1_500),
  strategy: z.enum(['sequential', 'parallel']).default('sequential'),
  method: z.enum(['search', 'coql']).default('search'),
  searchTermsPerModule: z.number().int().min(1).max(4).default(1),
  multipleMatches: z.enum(['mostRecentlyModified', 'firstReturned']).default('mostRecentlyModified'),
  discoverPhoneFields: z.boolean().default(false),
  cache: LookupCacheSchema.prefault({}),
});

const JournalSchema = z.strictObject({
  enabled: z.boolean().default(true),
  recordingLink: z.enum(['private', 'public', 'none']).default('private'),
  trunkCallsOnly: z.boolean().default(true),
});

const CreateRecordsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  type: z.enum(['Contacts', 'Leads']).default('Contacts'),
});

const HttpSchema = z.strictObject({
  timeoutMs: positiveInt(300_000).default(10_000),
  deadlineMs: positiveInt(3_600_000).default(30_000),
  retries: z.number().int().min(0).max(10).default(3),
  maxConcurrency: positiveInt(1_000).optional(),
});

/** @internal */
export const ConnectorOptionsSchema = z
  .strictObject({
    connectionId: z
      .string()
      .max(256)
      .regex(
        /^[^\p{Cc}\s](?:[^\p{Cc}]*[^\p{Cc}\s])?$/u,
        'must be non-empty, without control characters or surrounding spaces',
      ),
    clientId: nonEmpty,
    clientSecret: nonEmpty,
    redirectUri: httpUrl.refine(isSecureRedirect, 'must use https (http is allowed for localhost only)'),
    region: z.enum(REGION_CODES as [RegionCode, ...RegionCode[]]).default('US'),
    edition: z.enum(EDITION_NAMES as [Edition, ...Edition[]]).default('Standard'),
    tokenStore: z
      .custom<TokenStore>(hasMethods('get', 'set', 'delete'), 'must implement get, set and delete')
      .optional(),
    stateSecret: z.string().min(16, 'must be at least 16 characters').optional(),
    scopes: z.array(nonEmpty).min(1).optional(),
    endpoints: z
      .strictObject({
        accountsUrl: httpUrl.optional(),
        apiUrl: httpUrl.optional(),
        regions: z
          .partialRecord(
            z.enum(REGION_CODES as [RegionCode, ...RegionCode[]]),
            z.strictObject({ accountsUrl: httpUrl, apiUrl: httpUrl }),
          )
          .optional(),
      })
      .optional(),
    lookup: LookupSchema.prefault({}),
    pbxContacts: z
      .custom<PbxContactsProvider>(hasMethods('lookup'), 'must have a lookup(e164) function')
      .optional(),
    journal: JournalSchema.prefault({}),
    createRecords: CreateRecordsSchema.prefault({}),
    http: HttpSchema.prefault({}),
    logger: z
      .custom<Logger>(
        hasMethods('debug', 'info', 'warn', 'error'),
        'must have debug, info, warn and error methods',
      )
      .optional(),
    fetch: z.custom<typeof fetch>(isFunction, 'must be a fetch function').optional(),
  })
  .superRefine((options, ctx) => {
    if (options.lookup.query === 'whenNotFoundInPbx' && !options.pbxContacts) {
      ctx.addIssue({
        code: 'custom',
        path: ['pbxContacts'],
        message: "is required when lookup.query is 'whenNotFoundInPbx'",
      });
    }
  });

/**
 * Options after validation, with every default filled in.
 * @group Options
 */
export type ResolvedConnectorOptions = z.output<typeof ConnectorOptionsSchema>;

/**
 * Validates connector options and fills in defaults.
 * @throws {@link ConfigError} naming every bad path; no value (a client secret, say) is ever echoed.
 * @example
 * ```ts
 * const resolved = parseConnectorOptions({ connectionId: 't1', clientId: 'id', clientSecret: 's', redirectUri: 'https://pbx.example.com/api/auth/callback/zoho' });
 * resolved.lookup.order; // ['Contacts', 'Leads', 'Accounts']
 * ```
 * @group Options
 */
export function parseConnectorOptions(input: ConnectorOptions): ResolvedConnectorOptions {
  const result = ConnectorOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  const values = stringLeaves(input);
  throw ConfigError.fromIssues(
    result.error.issues.map((issue) => ({ path: issue.path, message: scrub(issue.message, values) })),
    'ZohoCrmConnector options',
  );
}

// --- Internal helpers ---

function isSecureRedirect(value: string): boolean {
  if (!URL.canParse(value)) return true; // reported by the URL check already
  const url = new URL(value);
  return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** Every string value in the input (to make sure none is echoed by a validation message). */
function stringLeaves(value: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object' && depth < 6) {
    for (const item of Object.values(value)) stringLeaves(item, out, depth + 1);
  }
  return out;
}

function scrub(message: string, values: readonly string[]): string {
  let out = message;
  for (const value of values) if (value.length >= 3) out = out.split(value).join('[value]');
  return out;
}
